/**
 * First run on an empty database: the panel sends everyone to the setup page
 * (there is no default account or password), the admin created there is
 * signed in, can sign out and sign in again; a wrong password is refused
 * with a message and does not sign anyone in.
 *
 * Must run first in a fresh run (file order), or alone: it needs a database
 * without users.
 */
import { expect, test } from "@playwright/test";
import { Api, ok, refused } from "./helpers/api";
import { ADMIN } from "./helpers/panel";

test("first run creates the admin, who signs out and in again; a wrong password is refused", async ({ page }) => {
  const api = Api.forPage(page);
  const status = ok(await api.query<{ needsSetup: boolean; user: unknown }>("auth.status"));
  expect(status, "this spec needs a database without users").toEqual({ needsSetup: true, user: null });

  // No default account: the usual guesses do not sign in, and the panel sends us to setup.
  const guess = await api.mutate("auth.login", { username: "admin", password: "admin" });
  expect(guess.ok).toBe(false);

  await test.step("every page leads to first-run setup", async () => {
    await page.goto("/");
    await expect(page).toHaveURL(/\/setup$/);
    await page.goto("/clusters");
    await expect(page).toHaveURL(/\/setup$/);
    await page.goto("/login");
    await expect(page).toHaveURL(/\/setup$/);
  });

  const setup = page.getByTestId("setup-form");
  await test.step("the setup form validates before creating anything", async () => {
    await setup.getByLabel("Admin username").fill(ADMIN.username);
    await setup.getByLabel("Password", { exact: true }).fill("short");
    await setup.getByLabel("Repeat password").fill("different");
    await setup.getByRole("button", { name: "Create admin account" }).click();
    await expect(setup.getByLabel("Password", { exact: true })).toHaveAccessibleDescription(/at least 12 characters/i);
    await expect(setup.getByLabel("Repeat password")).toHaveAccessibleDescription("The passwords do not match");
    expect(ok(await api.query<{ needsSetup: boolean }>("auth.status")).needsSetup).toBe(true);
    await page.screenshot({ path: test.info().outputPath("setup-errors.png") });
  });

  await test.step("create the admin account: signed in on the clusters page", async () => {
    await setup.getByLabel("Password", { exact: true }).fill(ADMIN.password);
    await setup.getByLabel("Repeat password").fill(ADMIN.password);
    await setup.getByRole("button", { name: "Create admin account" }).click();
    await expect(page).toHaveURL(/\/clusters$/);
    await expect(page.getByTestId("account-name")).toHaveText(ADMIN.username);
    await expect(page.getByTestId("account-role")).toHaveText("admin");
    await expect(page.getByTestId("clusters-empty")).toBeVisible();
    const after = ok(await api.query<{ needsSetup: boolean; user: { username: string; role: string } | null }>("auth.status"));
    expect(after.needsSetup).toBe(false);
    expect(after.user).toMatchObject({ username: ADMIN.username, role: "admin" });
  });

  await test.step("setup is closed once an admin exists", async () => {
    refused(await api.mutate("auth.setup", { username: "intruder", password: "another-long-password" }), "FORBIDDEN");
    await page.goto("/setup");
    await expect(page).toHaveURL(/\/clusters$/);
  });

  await test.step("sign out: the session ends and panel pages lead to sign-in", async () => {
    await page.getByTestId("logout-button").click();
    await expect(page).toHaveURL(/\/login/);
    expect(ok(await api.query<{ user: unknown }>("auth.status")).user).toBeNull();
    await page.goto("/clusters");
    await expect(page).toHaveURL(/\/login/);
  });

  const login = page.getByTestId("login-form");
  await test.step("a wrong password shows an error and signs nobody in", async () => {
    await login.getByLabel("Username").fill(ADMIN.username);
    await login.getByLabel("Password").fill("not-the-password");
    await login.getByRole("button", { name: "Sign in" }).click();
    await expect(login.getByRole("alert")).toContainText(/password/i);
    await expect(page).toHaveURL(/\/login/);
    expect(ok(await api.query<{ user: unknown }>("auth.status")).user).toBeNull();
    await page.screenshot({ path: test.info().outputPath("login-wrong-password.png") });
  });

  await test.step("the right password signs in again", async () => {
    await login.getByLabel("Password").fill(ADMIN.password);
    await login.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/clusters$/);
    await expect(page.getByTestId("account-name")).toHaveText(ADMIN.username);
  });
});
