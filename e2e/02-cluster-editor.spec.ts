/**
 * Describing a cluster in the browser, the way the LVS field guides describe
 * one in shell scripts: a web VIP (TCP :80, wlc, persistent 120 s) with three
 * direct-routing real servers, and a media VIP with two ports (RTMP 1935 and
 * HTTP 8080, rr, persistent 3600 s) with two real servers each. Everything is
 * entered through the dialogs; the table shows the services with their real
 * servers nested, and the API returns exactly what was entered.
 */
import { expect, test } from "@playwright/test";
import { addRealServer, addService, realServerDialog, realServerRow } from "./helpers/editor";
import { ok } from "./helpers/api";
import { createCluster, createService, listServices, signInAsAdmin } from "./helpers/panel";

const WEB_VIP = "192.0.2.10";
const MEDIA_VIP = "192.0.2.20";
const WEB_REAL_SERVERS = ["198.51.100.11", "198.51.100.12", "198.51.100.13"];
const MEDIA_REAL_SERVERS = ["198.51.100.21", "198.51.100.22"];

test("create a cluster with a web VIP and a two-port media VIP through the dialogs", async ({ page }) => {
  const api = await signInAsAdmin(page);

  await test.step("create the cluster", async () => {
    await page.goto("/clusters");
    await page.getByTestId("new-cluster-button").click();
    const dialog = page.getByTestId("cluster-dialog");
    await dialog.getByLabel("Name").fill("edge-web");
    await dialog.getByLabel("Description").fill("Public web and media VIPs");
    await dialog.getByRole("button", { name: "Create cluster" }).click();
    await expect(page).toHaveURL(/\/clusters\/[^/]+$/);
    await expect(page.getByRole("heading", { name: "edge-web" })).toBeVisible();
    await expect(page.getByTestId("services-empty")).toBeVisible();
  });
  const clusterId = page.url().split("/").pop()!;

  await test.step("web VIP: TCP :80, wlc, persistence 120 s, three DR real servers", async () => {
    const web = await addService(page, { address: WEB_VIP, port: "80", scheduler: "wlc", persistenceTimeout: "120", description: "www" });
    for (const address of WEB_REAL_SERVERS) await addRealServer(page, web, 80, { address, forwarding: "DR", weight: "1" });
    await expect(web).toContainText("3 real servers");
  });

  await test.step("media VIP: TCP :1935 and TCP :8080, rr, persistence 3600 s, two real servers each", async () => {
    for (const port of [1935, 8080]) {
      const media = await addService(page, { address: MEDIA_VIP, port: String(port), scheduler: "rr", persistenceTimeout: "3600", description: "media" });
      for (const address of MEDIA_REAL_SERVERS) await addRealServer(page, media, port, { address, forwarding: "DR", weight: "2" });
      await expect(media).toContainText("2 real servers");
    }
  });

  await test.step("the table shows each service with its real servers nested under it", async () => {
    await page.reload();
    await expect(page.getByTestId("cluster-header")).toContainText("3 virtual services · 7 real servers");
    const table = page.getByRole("table", { name: "Virtual services and their real servers" });
    const rows = table.locator("tbody tr");
    // Row order: each service followed by its real servers (VIP order, then port).
    const expected = [
      `service-row-${WEB_VIP}:80`,
      ...WEB_REAL_SERVERS.map((a) => `rs-row-${a}:80`),
      `service-row-${MEDIA_VIP}:1935`,
      ...MEDIA_REAL_SERVERS.map((a) => `rs-row-${a}:1935`),
      `service-row-${MEDIA_VIP}:8080`,
      ...MEDIA_REAL_SERVERS.map((a) => `rs-row-${a}:8080`),
    ];
    await expect(rows).toHaveCount(expected.length);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-testid")))).toEqual(expected);

    const web = page.getByTestId(`service-row-${WEB_VIP}:80`);
    await expect(web).toContainText(`${WEB_VIP}:80`);
    await expect(web).toContainText("wlc");
    await expect(web).toContainText("120");
    const media = page.getByTestId(`service-row-${MEDIA_VIP}:8080`);
    await expect(media).toContainText("rr");
    await expect(media).toContainText("3600");
    const rs = page.getByTestId(`rs-row-${WEB_REAL_SERVERS[0]}:80`);
    await expect(rs).toContainText("DR");
    await expect(rs.getByTestId("rs-weight")).toHaveText("1");
    await page.screenshot({ path: test.info().outputPath("cluster-two-vips.png"), fullPage: true });
  });

  await test.step("collapsing a service hides its real servers", async () => {
    const web = page.getByTestId(`service-row-${WEB_VIP}:80`);
    await web.getByRole("button", { name: `Hide real servers of TCP ${WEB_VIP}:80` }).click();
    await expect(page.getByTestId(`rs-row-${WEB_REAL_SERVERS[0]}:80`)).toBeHidden();
    await web.getByRole("button", { name: `Show real servers of TCP ${WEB_VIP}:80` }).click();
    await expect(page.getByTestId(`rs-row-${WEB_REAL_SERVERS[0]}:80`)).toBeVisible();
  });

  await test.step("search narrows the table (server-side) and clearing restores it", async () => {
    const search = page.getByRole("searchbox", { name: "Search services" });
    await search.fill("198.51.100.12");
    await expect(page.getByTestId(`service-row-${WEB_VIP}:80`)).toBeVisible();
    await expect(page.getByTestId(`service-row-${MEDIA_VIP}:1935`)).toBeHidden();
    await search.fill("");
    await expect(page.getByTestId(`service-row-${MEDIA_VIP}:1935`)).toBeVisible();
  });

  await test.step("the API stores exactly what was entered", async () => {
    const { items, total } = await listServices(api, clusterId);
    expect(total).toBe(3);
    const summary = items.map((s) => ({
      key: `${s.protocol} ${s.address}:${s.port}`,
      scheduler: s.scheduler,
      persistenceTimeout: s.persistenceTimeout,
      realServers: s.realServers.map((r) => `${r.address}:${r.port ?? s.port} ${r.forwarding} w${r.weight}`).sort(),
    }));
    expect(summary).toEqual([
      { key: `TCP ${WEB_VIP}:80`, scheduler: "wlc", persistenceTimeout: 120, realServers: WEB_REAL_SERVERS.map((a) => `${a}:80 DR w1`) },
      { key: `TCP ${MEDIA_VIP}:1935`, scheduler: "rr", persistenceTimeout: 3600, realServers: MEDIA_REAL_SERVERS.map((a) => `${a}:1935 DR w2`) },
      { key: `TCP ${MEDIA_VIP}:8080`, scheduler: "rr", persistenceTimeout: 3600, realServers: MEDIA_REAL_SERVERS.map((a) => `${a}:8080 DR w2`) },
    ]);
  });

  await test.step("the clusters list shows the counts", async () => {
    await page.getByTestId("nav-clusters").click();
    const row = page.getByTestId("cluster-row-edge-web");
    await expect(row).toContainText("Public web and media VIPs");
    await expect(row.locator("td").nth(3)).toHaveText("3");
    await expect(row.locator("td").nth(4)).toHaveText("7");
  });
});

test("the editor works from the keyboard: focus lands in the first field, Enter submits, Escape cancels and focus returns to the opener", async ({ page }) => {
  const api = await signInAsAdmin(page);
  await page.goto("/clusters");

  await page.getByTestId("new-cluster-button").focus();
  await page.keyboard.press("Enter");
  const clusterDialog = page.getByRole("dialog", { name: "New cluster" });
  await expect(clusterDialog.getByLabel("Name")).toBeFocused();
  await page.keyboard.type("keyboard-only");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/clusters\/[^/]+$/);
  await expect(page.getByRole("heading", { name: "keyboard-only" })).toBeVisible();
  const clusterId = page.url().split("/").pop()!;

  await page.getByTestId("new-service-button").focus();
  await page.keyboard.press("Enter");
  const serviceDialog = page.getByRole("dialog", { name: "New virtual service" });
  await expect(serviceDialog.getByLabel("Virtual IP (VIP)")).toBeFocused();
  await page.keyboard.type("203.0.113.80");
  await page.keyboard.press("Tab");
  await expect(serviceDialog.getByLabel("Port", { exact: true })).toBeFocused();
  await page.keyboard.type("443");
  await page.keyboard.press("Enter");
  await expect(serviceDialog).toBeHidden();
  await expect(page.getByTestId("service-row-203.0.113.80:443")).toBeVisible();

  // Escape closes a dialog without saving anything.
  await page.getByTestId("new-service-button").focus();
  await page.keyboard.press("Enter");
  await expect(serviceDialog.getByLabel("Virtual IP (VIP)")).toBeFocused();
  await page.keyboard.type("203.0.113.81");
  await page.keyboard.press("Escape");
  await expect(serviceDialog).toBeHidden();
  await expect(page.getByTestId("new-service-button")).toBeFocused();
  const { items } = await listServices(api, clusterId);
  expect(items.map((s) => `${s.address}:${s.port}`)).toEqual(["203.0.113.80:443"]);
});

test("a host-backed real server can be saved before the host list has loaded", async ({ page }) => {
  const api = await signInAsAdmin(page);
  const cluster = await createCluster(api, "slow-hosts");
  const host = ok(await api.mutate<{ id: string }>("hosts.create", { name: "web-slow", managementAddress: "198.51.100.40" }));
  const service = await createService(api, cluster.id, { protocol: "TCP", address: "192.0.2.40", port: 80, scheduler: "wlc" });
  ok(await api.mutate("realServers.create", { virtualServiceId: service.id, hostId: host.id, address: null, port: null, forwarding: "DR", weight: 1 }));

  // Hold every request that carries hosts.list until the dialog has been saved.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route((url) => url.pathname.startsWith("/api/trpc/") && url.pathname.includes("hosts.list"), async (route) => {
    await held;
    await route.continue();
  });

  await page.goto(`/clusters/${cluster.id}`);
  await realServerRow(page, "198.51.100.40", 80).getByRole("button", { name: /^Edit real server/ }).click();
  const dialog = realServerDialog(page);
  await dialog.getByLabel("Weight").fill("3");
  await dialog.getByRole("button", { name: "Save real server" }).click();
  try {
    await expect(dialog).toBeHidden();
  } finally {
    release();
  }
  await expect(realServerRow(page, "198.51.100.40", 80).getByTestId("rs-weight")).toHaveText("3");
  const { items } = await listServices(api, cluster.id);
  expect(items[0].realServers.map((rs) => [rs.address, rs.weight])).toEqual([["198.51.100.40", 3]]);
});
