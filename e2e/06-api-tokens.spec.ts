/**
 * API tokens for automation: the admin creates one on the Tokens page, the
 * secret is shown once; with `Authorization: Bearer <secret>` (no cookie, no
 * Origin — what a script sends) it answers a query and, for an operator
 * token, makes a change attributed to the token; after revoking in the UI the
 * same requests are refused with UNAUTHORIZED, and the page never shows the
 * secret again.
 */
import { expect, request as playwrightRequest, test } from "@playwright/test";
import { Api, BASE_URL, ok, refused } from "./helpers/api";
import { listAudit, signInAsAdmin, type ClusterView } from "./helpers/panel";

const TOKEN_NAME = "ci-deploy";

test("an API token works with Authorization: Bearer until it is revoked", async ({ page }) => {
  const admin = await signInAsAdmin(page);
  const script = await playwrightRequest.newContext({ baseURL: BASE_URL });

  await page.goto("/tokens");
  let secret = "";
  await test.step("create an operator token: the secret is shown once", async () => {
    await page.getByTestId("new-token-button").click();
    const dialog = page.getByRole("dialog", { name: "New API token" });
    await dialog.getByLabel("Name").fill(TOKEN_NAME);
    await dialog.getByLabel("Role").selectOption("operator");
    await dialog.getByLabel("Expires in (days)").fill("30");
    await dialog.getByRole("button", { name: "Create token" }).click();

    const shown = page.getByRole("dialog", { name: `Token ${TOKEN_NAME} created` });
    await expect(shown).toContainText("You will not see it again");
    secret = await shown.getByTestId("token-secret").inputValue();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    await page.screenshot({ path: test.info().outputPath("token-created.png") });
    await shown.getByRole("button", { name: "Done" }).click();
    await expect(shown).toBeHidden();

    const row = page.getByTestId(`token-row-${TOKEN_NAME}`);
    await expect(row).toContainText("operator");
    await expect(row).toContainText("active");
    await page.reload();
    await expect(page.getByTestId(`token-row-${TOKEN_NAME}`)).toBeVisible();
    expect(await page.content()).not.toContain(secret);
    const listed = JSON.stringify(ok(await admin.query("tokens.list")));
    expect(listed).not.toContain(secret);
  });

  const bearer = Api.withToken(script, secret);
  let made: ClusterView;
  await test.step("the token answers queries and makes changes, attributed to it", async () => {
    refused(await new Api(script).query("clusters.list"), "UNAUTHORIZED"); // no credentials, no data
    const clusters = ok(await bearer.query<ClusterView[]>("clusters.list"));
    expect(Array.isArray(clusters)).toBe(true);
    made = ok(await bearer.mutate<ClusterView>("clusters.create", { name: "made-by-token" }));
    const [event] = await listAudit(admin, { clusterId: made.id });
    expect(event).toMatchObject({ action: "cluster.create" });
    expect(event.actor.name).toContain(TOKEN_NAME);
    // An operator token is not an admin.
    refused(await bearer.query("users.list"), "FORBIDDEN");
  });

  await test.step("revoke it in the UI: the same requests are refused", async () => {
    await page.getByRole("button", { name: `Revoke token ${TOKEN_NAME}` }).click();
    const confirm = page.getByRole("dialog", { name: "Revoke API token" });
    await confirm.getByRole("button", { name: "Revoke token" }).click();
    await expect(confirm).toBeHidden();
    await expect(page.getByTestId(`token-row-${TOKEN_NAME}`)).toContainText("revoked");
    await expect(page.getByRole("button", { name: `Revoke token ${TOKEN_NAME}` })).toHaveCount(0);

    const query = refused(await bearer.query("clusters.list"), "UNAUTHORIZED");
    expect(query.status).toBe(401);
    expect(query.message).toMatch(/revoked/i);
    refused(await bearer.mutate("clusters.delete", { id: made.id }), "UNAUTHORIZED");
    expect(ok(await admin.query<ClusterView[]>("clusters.list")).map((c) => c.name)).toContain("made-by-token");
  });

  await script.dispose();
});
