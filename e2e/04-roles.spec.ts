/**
 * Roles: the admin creates a viewer and an operator on the Users page. The
 * viewer, signed in in a separate browser, sees clusters but no control that
 * edits anything and no admin pages; when the viewer's browser sends a
 * mutation anyway (same origin, the viewer's session cookie), the server
 * refuses it with FORBIDDEN and the database is unchanged (re-read as the
 * admin). The operator gets the edit controls but not users and tokens.
 */
import { expect, test, type Browser, type Page } from "@playwright/test";
import { mutateFromPage, ok, refused } from "./helpers/api";
import { realServerRow, serviceRow } from "./helpers/editor";
import { createCluster, createService, databaseState, listServices, signInAsAdmin, signInWithForm } from "./helpers/panel";

const VIEWER = { username: "vera-viewer", password: "viewer-passphrase-1" };
const OPERATOR = { username: "otto-operator", password: "operator-passphrase-2" };
const VIP = "192.0.2.50";

/** Buttons a reader may use on a cluster page: expand/collapse, paging, a real server's health timeline. */
const READ_ONLY_BUTTON = /^(Show real servers of .*|Health of .*|Hide real servers of .*|Collapse all|Expand all|Previous page|Next page|Close dialog|Switch to .*|Theme.*|Sign out)$/;

async function createUserInUi(page: Page, user: { username: string; password: string }, role: "viewer" | "operator") {
  await page.getByTestId("new-user-button").click();
  const dialog = page.getByRole("dialog", { name: "New user" });
  await dialog.getByLabel("Username").fill(user.username);
  await dialog.getByLabel("Password").fill(user.password);
  await dialog.getByLabel("Role").selectOption(role);
  await dialog.getByRole("button", { name: "Create user" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId(`user-row-${user.username}`)).toContainText(role);
}

async function newSignedInPage(browser: Browser, user: { username: string; password: string }): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signInWithForm(page, user.username, user.password);
  return page;
}

test("a viewer sees no edit controls and the API refuses the viewer's mutations; an operator edits but does not administer", async ({ page, browser }) => {
  const admin = await signInAsAdmin(page);
  const cluster = await createCluster(admin, "roles", "role checks");
  await createService(admin, cluster.id, { protocol: "TCP", address: VIP, port: 80, scheduler: "wlc" }, [{ address: "198.51.100.51", weight: 3 }]);
  const realServerId = (await listServices(admin, cluster.id)).items[0].realServers[0].id;

  await test.step("the admin creates a viewer and an operator on the Users page", async () => {
    await page.goto("/users");
    await createUserInUi(page, VIEWER, "viewer");
    await createUserInUi(page, OPERATOR, "operator");
  });

  const viewer = await newSignedInPage(browser, VIEWER);

  await test.step("the viewer reads the cluster but sees no edit control", async () => {
    await expect(viewer.getByTestId("account-role")).toHaveText("viewer");
    await expect(viewer.getByTestId("cluster-row-roles")).toBeVisible();
    await expect(viewer.getByTestId("new-cluster-button")).toHaveCount(0);

    await viewer.getByRole("link", { name: "roles" }).click();
    await expect(serviceRow(viewer, VIP, 80)).toBeVisible();
    await expect(realServerRow(viewer, "198.51.100.51", 80).getByTestId("rs-weight")).toHaveText("3");
    for (const id of ["new-service-button", "edit-cluster-button", "delete-cluster-button", "add-director-button"]) {
      await expect(viewer.getByTestId(id), id).toHaveCount(0);
    }
    const buttons = await viewer.locator("main").getByRole("button").evaluateAll((els) =>
      els.map((el) => el.getAttribute("aria-label") ?? el.textContent?.trim() ?? ""),
    );
    expect(buttons.length).toBeGreaterThan(0); // the expand toggle is there: the check looks at real buttons
    expect(buttons.filter((name) => !READ_ONLY_BUTTON.test(name))).toEqual([]);
    await viewer.screenshot({ path: test.info().outputPath("viewer-cluster-page.png"), fullPage: true });
  });

  await test.step("the viewer has no users or tokens pages", async () => {
    await expect(viewer.getByTestId("nav-users")).toHaveCount(0);
    await expect(viewer.getByTestId("nav-tokens")).toHaveCount(0);
    for (const path of ["/users", "/tokens"]) {
      await viewer.goto(path);
      await expect(viewer.getByTestId("admin-only")).toContainText("Only administrators");
      await expect(viewer.getByTestId("users-table")).toHaveCount(0);
      await expect(viewer.getByTestId("tokens-table")).toHaveCount(0);
    }
    await viewer.goto("/hosts");
    await expect(viewer.getByTestId("new-host-button")).toHaveCount(0);
  });

  await test.step("the server refuses the viewer's mutations and nothing changes", async () => {
    const before = await databaseState(admin, cluster.id);
    const attempts: [string, unknown][] = [
      ["realServers.update", { id: realServerId, weight: 99 }],
      ["realServers.delete", { id: realServerId }],
      ["services.create", { clusterId: cluster.id, protocol: "TCP", address: VIP, port: 443, scheduler: "rr" }],
      ["clusters.delete", { id: cluster.id }],
      ["clusters.create", { name: "viewer-made" }],
      ["users.create", { username: "mallory", password: "mallory-passphrase", role: "admin" }],
    ];
    for (const [path, input] of attempts) {
      const result = refused(await mutateFromPage(viewer, path, input), "FORBIDDEN");
      expect(result.status, path).toBe(403);
      expect(result.message, path).toMatch(/needs the (operator|admin) role; you are a viewer/);
    }
    expect(await databaseState(admin, cluster.id)).toEqual(before);
  });

  await test.step("the same request from the admin's browser is accepted (the refusal was the role)", async () => {
    await page.goto("/clusters");
    const updated = ok(await mutateFromPage<{ weight: number }>(page, "realServers.update", { id: realServerId, weight: 4 }));
    expect(updated.weight).toBe(4);
    await viewer.goto(`/clusters/${cluster.id}`);
    await expect(realServerRow(viewer, "198.51.100.51", 80).getByTestId("rs-weight")).toHaveText("4");
  });
  await viewer.context().close();

  const operator = await newSignedInPage(browser, OPERATOR);
  await test.step("the operator gets the edit controls but no users or tokens", async () => {
    await expect(operator.getByTestId("new-cluster-button")).toBeVisible();
    await expect(operator.getByTestId("nav-users")).toHaveCount(0);
    await expect(operator.getByTestId("nav-tokens")).toHaveCount(0);
    await operator.goto(`/clusters/${cluster.id}`);
    await expect(operator.getByTestId("new-service-button")).toBeVisible();
    await expect(serviceRow(operator, VIP, 80).getByRole("button", { name: `Edit service TCP ${VIP}:80` })).toBeVisible();
    await operator.goto("/users");
    await expect(operator.getByTestId("admin-only")).toBeVisible();

    const usersBefore = ok(await admin.query<unknown[]>("users.list"));
    const result = refused(await mutateFromPage(operator, "users.create", { username: "mallory", password: "mallory-passphrase", role: "admin" }), "FORBIDDEN");
    expect(result.message).toMatch(/needs the admin role; you are an? operator/);
    refused(await mutateFromPage(operator, "tokens.create", { name: "sneaky", role: "admin" }), "FORBIDDEN");
    expect(ok(await admin.query<unknown[]>("users.list"))).toEqual(usersBefore);
  });
  await operator.context().close();
});
