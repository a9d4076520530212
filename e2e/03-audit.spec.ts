/**
 * Change history: after a service is created, a real server's weight is
 * changed and another real server is deleted (in the browser), the audit page
 * shows the three kinds of change with readable diffs (weight 1 → 5; the
 * deleted server's last state; the fields a service was created with), each
 * attributed to its user, and its filters (user, cluster, entity, time)
 * narrow the list to exactly what the API returns for the same filter.
 */
import { expect, test, type Locator, type Page } from "@playwright/test";
import { realServerRow, serviceRow } from "./helpers/editor";
import { createCluster, createService, ensureUser, listAudit, listServices, signInAsAdmin, signInWithApi } from "./helpers/panel";

const VIP = "192.0.2.30";
const OTHER_VIP = "192.0.2.40";
const OPERATOR = { username: "audit-operator", password: "operator-passphrase-1" };

function events(page: Page): Locator {
  return page.getByTestId("audit-event");
}

test("weight change and deletion appear in the audit log with diffs; filters narrow it", async ({ page, browser }) => {
  const admin = await signInAsAdmin(page);
  const cluster = await createCluster(admin, "audit-a", "audit trail");
  await createService(admin, cluster.id, { protocol: "TCP", address: VIP, port: 80, scheduler: "wlc", persistenceTimeout: 120 }, [
    { address: "198.51.100.31" },
    { address: "198.51.100.32" },
    { address: "198.51.100.33" },
  ]);

  // Another user changes another cluster, so the user and cluster filters have something to leave out.
  await ensureUser(admin, OPERATOR.username, OPERATOR.password, "operator");
  const operatorContext = await browser.newContext();
  const operatorPage = await operatorContext.newPage();
  const operator = await signInWithApi(operatorPage, OPERATOR.username, OPERATOR.password);
  const other = await createCluster(operator, "audit-b");
  await createService(operator, other.id, { protocol: "TCP", address: OTHER_VIP, port: 443, scheduler: "sh" }, [{ address: "198.51.100.41" }]);
  await operatorContext.close();

  await page.goto(`/clusters/${cluster.id}`);
  const service = serviceRow(page, VIP, 80);
  await expect(service).toContainText("3 real servers");

  await test.step("change a weight from 1 to 5 in the edit dialog", async () => {
    const rs = realServerRow(page, "198.51.100.31", 80);
    await expect(rs.getByTestId("rs-weight")).toHaveText("1");
    await rs.getByRole("button", { name: `Edit real server 198.51.100.31:80 of TCP ${VIP}:80` }).click();
    const dialog = page.getByTestId("real-server-dialog");
    await expect(dialog.getByLabel("Weight")).toHaveValue("1");
    await dialog.getByLabel("Weight").fill("5");
    await dialog.getByRole("button", { name: "Save real server" }).click();
    await expect(dialog).toBeHidden();
    await expect(rs.getByTestId("rs-weight")).toHaveText("5");
  });

  await test.step("delete a real server after confirming", async () => {
    const rs = realServerRow(page, "198.51.100.33", 80);
    await rs.getByRole("button", { name: `Delete real server 198.51.100.33:80 of TCP ${VIP}:80` }).click();
    const confirm = page.getByRole("dialog", { name: "Delete real server" });
    await expect(confirm).toContainText("198.51.100.33:80");
    await confirm.getByRole("button", { name: "Delete real server" }).click();
    await expect(confirm).toBeHidden();
    await expect(rs).toHaveCount(0);
    await expect(service).toContainText("2 real servers");
  });

  const stored = (await listServices(admin, cluster.id)).items[0].realServers;
  expect(stored.map((r) => `${r.address} w${r.weight}`)).toEqual(["198.51.100.31 w5", "198.51.100.32 w1"]);

  await page.getByTestId("nav-audit").click();
  await expect(page).toHaveURL(/\/audit$/);
  const filters = page.getByTestId("audit-filters");
  const filter = (label: string) => filters.getByLabel(label, { exact: true });

  await test.step("the three changes, newest first, with readable diffs", async () => {
    await filter("Cluster").selectOption({ label: "audit-a" });
    await expect(events(page)).toHaveCount(4);
    expect(await events(page).evaluateAll((els) => els.map((e) => e.getAttribute("data-action")))).toEqual([
      "realServer.delete",
      "realServer.update",
      "virtualService.create",
      "cluster.create",
    ]);

    const update = events(page).nth(1);
    await expect(update).toContainText(`Real server 198.51.100.31:80 of TCP ${VIP}:80: weight 1 → 5`);
    await expect(update).toContainText("admin");
    const weight = update.getByTestId("diff-row-weight");
    await expect(weight).toHaveAttribute("data-kind", "changed");
    await expect(weight.locator("td").nth(1)).toHaveText("1");
    await expect(weight.locator("td").nth(3)).toHaveText("5");
    // Only the changed field is listed until asked for the rest.
    await expect(update.locator('[data-testid^="diff-row-"]')).toHaveCount(1);

    const deletion = events(page).nth(0);
    await expect(deletion).toContainText(`Removed real server 198.51.100.33:80 from TCP ${VIP}:80`);
    await expect(deletion.getByTestId("audit-diff")).toHaveAttribute("data-shape", "delete");
    await expect(deletion).toContainText("Last state before deletion");
    await expect(deletion.getByTestId("diff-row-address")).toContainText("198.51.100.33");

    const creation = events(page).nth(2);
    await expect(creation).toContainText(`Created TCP ${VIP}:80 (wlc) with 3 real servers in audit-a`);
    await creation.getByRole("button", { name: /Show the \d+ fields it was created with/ }).click();
    await expect(creation.getByTestId("diff-row-persistenceTimeout")).toContainText("120");
    await expect(creation.getByTestId("diff-row-realServers")).toContainText("198.51.100.33");
    await page.screenshot({ path: test.info().outputPath("audit-cluster-filter.png"), fullPage: true });
  });

  await test.step("entity filter on top of the cluster filter", async () => {
    await filter("Entity").selectOption({ label: "Real server" });
    await expect(events(page)).toHaveCount(2);
    await expect(page).toHaveURL(new RegExp(`clusterId=${cluster.id}.*entityType=realServer`));
  });

  await test.step("user filter: only the operator's changes", async () => {
    await filters.getByRole("button", { name: "Clear filters" }).click();
    await filter("User").selectOption({ label: OPERATOR.username });
    const expected = await listAudit(admin, { userId: (await ensureUser(admin, OPERATOR.username, OPERATOR.password, "operator")).id });
    expect(expected.map((e) => e.action).sort()).toEqual(["auth.login", "cluster.create", "virtualService.create"]);
    await expect(events(page)).toHaveCount(expected.length);
    for (const event of await events(page).all()) await expect(event).toContainText(`${OPERATOR.username} from`);
    await expect(page.getByTestId("audit-list")).toContainText("Created cluster audit-b");
    await expect(page.getByTestId("audit-list")).not.toContainText("audit-a");
  });

  await test.step("entity filter alone matches the API for every cluster", async () => {
    await filters.getByRole("button", { name: "Clear filters" }).click();
    await filter("Entity").selectOption({ label: "Real server" });
    const expected = await listAudit(admin, { entityType: "realServer" });
    await expect(events(page)).toHaveCount(expected.length);
    expect(new Set(await events(page).evaluateAll((els) => els.map((e) => e.getAttribute("data-entity-type"))))).toEqual(new Set(["realServer"]));
  });

  await test.step("a time range with nothing in it says so", async () => {
    await filters.getByRole("button", { name: "Clear filters" }).click();
    await filters.getByLabel("From").fill("2099-01-01T00:00");
    await expect(page.getByTestId("audit-empty")).toContainText("No event matches these filters");
    await filters.getByRole("button", { name: "Clear filters" }).click();
    await expect(events(page).first()).toBeVisible();
  });
});
