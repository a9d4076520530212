/**
 * Live stats (#5) in the browser against the real panel: a simulated director
 * agent (e2e/helpers/sim-agent.mjs, the real wire protocol over socket.io
 * /agent) is enrolled with a token from the API, gets the applied desired
 * state, and feeds 1 Hz StatsFrames at a rate the test sets. What a person
 * sees: the cluster dashboard and the service page show the rate, the range
 * picker switches, the connection table is read on demand and paginates with
 * a filter, zero counters asks first, reaches the agent and is audited — and a
 * viewer does not see it.
 */
import { expect, test, type Locator, type Page } from "@playwright/test";
import { Api, ok } from "./helpers/api";
import { ensureUser, listAudit, signInAsAdmin, signInWithApi } from "./helpers/panel";
import { SimAgent } from "./helpers/sim-agent";

const VIP = "192.0.2.70";
const RS = ["198.51.100.71", "198.51.100.72"];
const VIEWER = { username: "stats-viewer", password: "stats-viewer-passphrase" };

let sim: SimAgent | undefined;
test.afterAll(() => sim?.stop());

const num = async (l: Locator, attr: string) => Number((await l.getAttribute(attr)) || "NaN");

async function setUp(api: Api) {
  const host = ok(await api.mutate<{ id: string }>("hosts.create", { name: "stats-lb1", managementAddress: "192.0.2.2" }));
  const cluster = ok(await api.mutate<{ id: string }>("clusters.create", { name: "live-stats", description: "" }));
  ok(await api.mutate("directors.add", { clusterId: cluster.id, hostId: host.id, vipInterface: "eth0" }));
  const service = ok(
    await api.mutate<{ id: string; realServers: { id: string; address: string }[] }>("services.create", {
      clusterId: cluster.id,
      protocol: "TCP",
      address: VIP,
      port: 80,
      scheduler: "rr",
      persistenceTimeout: null,
      realServers: RS.map((address) => ({ address, port: null, forwarding: "DR", weight: 1 })),
    }),
  );
  const { token } = ok(await api.mutate<{ token: string }>("hosts.enroll", { hostId: host.id }));
  sim = await SimAgent.start(token);
  const review = ok(await api.query<{ baseRevision: number | null; draftHash: string }>("revisions.review", { clusterId: cluster.id }));
  ok(await api.mutate("revisions.applyDraft", { clusterId: cluster.id, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash, note: "live stats e2e" }));
  await sim.waitFor((e) => e.event === "applied" && (e.services as string[]).includes(`tcp ${VIP}:80`), "the desired state with the service");
  return { clusterId: cluster.id, serviceId: service.id };
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

test("live stats: dashboard, service charts, range picker, connections, zero counters, viewer", async ({ page, browser }) => {
  const api = await signInAsAdmin(page);
  const { clusterId, serviceId } = await setUp(api);

  await test.step("no traffic yet: zero rates, the hint says why", async () => {
    sim!.setRate(0);
    await page.goto(`/clusters/${clusterId}`);
    const dash = page.getByTestId("cluster-dashboard");
    await expect(dash.getByTestId("live-status")).toHaveAttribute("data-status", "live");
    await expect(dash.getByTestId("agent-presence-stats-lb1")).toHaveAttribute("data-online", "true");
    await expect(dash.getByTestId("dashboard-no-traffic")).toBeVisible();
    await expect(dash.getByTestId("total-conns")).toHaveAttribute("data-value", "0");
  });

  await test.step("12.5 conn/s at the director: dashboard totals and the service's sparkline show it", async () => {
    sim!.setRate(12.5);
    const dash = page.getByTestId("cluster-dashboard");
    await expect(dash.getByTestId("total-conns")).toHaveAttribute("data-value", "12.5");
    await expect(dash.getByTestId("total-conns")).toContainText("12.5 conn/s");
    await expect(dash.getByTestId(`spark-${VIP}:80`)).toHaveAttribute("data-last-value", "12.5");
    await expect(dash.getByTestId("dashboard-no-traffic")).toBeHidden();
    await shot(page, "dashboard");
  });

  await test.step("service page from the services table: header like ipvsadm -Ln, live charts and real-server rows", async () => {
    await page.getByTestId(`service-title-${VIP}:80`).click();
    await expect(page).toHaveURL(new RegExp(`/clusters/${clusterId}/services/${serviceId}$`));
    await expect(page.getByTestId("ipvsadm-line")).toHaveText(`TCP  ${VIP}:80 rr`);
    // the trail back: Clusters / live-stats
    const header = page.getByTestId("service-header");
    await expect(header.getByRole("link", { name: "Clusters" })).toHaveAttribute("href", "/clusters");
    await expect(header.getByRole("link", { name: "live-stats" })).toHaveAttribute("href", `/clusters/${clusterId}`);
    const conns = page.getByTestId("chart-conns");
    await expect(conns).toHaveAttribute("data-last-value", "12.5");
    await expect(conns).toHaveAttribute("aria-label", /12\.5 conn\/s now/);
    // several seconds of samples: the line has points, not just one
    await expect.poll(() => num(conns, "data-points")).toBeGreaterThan(2);
    await expect(page.getByTestId("chart-bytes")).toHaveAttribute("data-last-value", String(1500 * 12.5));
    await expect(page.getByTestId("chart-active")).toHaveAttribute("data-series", "2");
    for (const address of RS) {
      const row = page.getByTestId(`rs-stats-${address}:80`);
      await expect(row).toHaveAttribute("data-weight", "1");
      await expect.poll(() => num(row, "data-active")).toBeGreaterThan(0);
      // the ipvsadm-like columns show the live counts, not the "–" of no frame yet
      await expect(row.getByTestId("rs-active")).toHaveText(/^[1-9][\d,]*$/);
      await expect(row.getByTestId("rs-inactive")).toHaveText(/^\d[\d,]*$/);
    }
    await expect(page.getByTestId("service-active")).toHaveText(/^[1-9][\d,]*$/);
    await shot(page, "service-live");
  });

  await test.step("rate back to 0: the chart follows", async () => {
    sim!.setRate(0);
    await expect(page.getByTestId("chart-conns")).toHaveAttribute("data-last-value", "0");
    sim!.setRate(12.5);
    await expect(page.getByTestId("chart-conns")).toHaveAttribute("data-last-value", "12.5");
  });

  await test.step("range picker: 1 h / 24 h / 7 d read history, live comes back", async () => {
    for (const r of ["1h", "24h", "7d"] as const) {
      await page.getByTestId(`range-${r}`).click();
      await expect(page.getByTestId(`range-${r}`)).toHaveAttribute("aria-pressed", "true");
      await expect(page.getByTestId("range-live")).toHaveAttribute("aria-pressed", "false");
      await expect(page.getByTestId("service-charts")).toHaveAttribute("data-range", r);
      await expect(page.getByTestId("chart-conns")).toBeVisible();
    }
    await shot(page, "service-7d");
    await page.getByTestId("range-live").click();
    await expect(page.getByTestId("service-charts")).toHaveAttribute("data-range", "live");
    await expect(page.getByTestId("chart-conns")).toHaveAttribute("data-last-value", "12.5");
  });

  await test.step("connection table: read only on demand, paginated, filtered by state and real server", async () => {
    const panel = page.getByTestId("connections-panel");
    await expect(panel.getByTestId("connections-idle")).toBeVisible();
    expect(sim!.count("connections")).toBe(0); // nothing was read before the button
    await panel.getByTestId("load-connections").click();
    await expect(panel.getByTestId("conn-row")).toHaveCount(25);
    await expect(panel.getByTestId("pagination-range")).toHaveText("1–25 of 60 connections");
    expect(sim!.count("connections")).toBe(1);
    await panel.getByTestId("pagination-next").click();
    await expect(panel.getByTestId("pagination-range")).toHaveText("26–50 of 60 connections");
    await expect(panel.getByTestId("conn-row").first()).toHaveAttribute("data-client", "203.0.113.26:40025");

    // an invalid client filter is refused in the form and asks nothing
    const asked = sim!.count("connections");
    await panel.getByLabel("Client address").fill("203.0.113.1; rm");
    await expect(panel.getByTestId("field-error-client")).toBeVisible();
    await expect(panel.getByTestId("apply-connections-filter")).toBeDisabled();
    expect(sim!.count("connections")).toBe(asked);

    await panel.getByLabel("Client address").fill("");
    await panel.getByLabel("State").selectOption("TIME_WAIT");
    await panel.getByLabel("Real server").selectOption({ label: `${RS[1]}:80` });
    await panel.getByTestId("apply-connections-filter").click();
    await expect(panel.getByTestId("pagination-range")).toHaveText("1–6 of 6 matching connections");
    const rows = panel.getByTestId("conn-row");
    await expect(rows).toHaveCount(6);
    for (const row of await rows.all()) {
      await expect(row).toHaveAttribute("data-state", "TIME_WAIT");
      await expect(row).toHaveAttribute("data-destination", `${RS[1]}:80`);
    }

    await panel.getByLabel("State").selectOption("");
    await panel.getByLabel("Real server").selectOption("");
    await panel.getByLabel("Client address").fill("203.0.113.1");
    await panel.getByTestId("apply-connections-filter").click();
    // prefix: .1 and .10–.19
    await expect(panel.getByTestId("pagination-range")).toHaveText("1–11 of 11 matching connections");
    await shot(page, "connections");
  });

  await test.step("zero counters: confirm first, reaches the director, audited", async () => {
    await page.getByTestId("zero-counters-button").click();
    const dialog = page.getByTestId("confirm-dialog");
    await expect(dialog).toContainText("ipvsadm -Z");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
    expect(sim!.count("zero")).toBe(0);
    await page.getByTestId("zero-counters-button").click();
    await dialog.getByRole("button", { name: "Zero counters" }).click();
    await expect(page.getByTestId("zero-counters-done")).toBeVisible();
    await sim!.waitFor((e) => e.event === "zero" && e.service === `tcp ${VIP}:80`, "ipvsadm -Z for the service at the agent");
    const audit = await listAudit(api, { clusterId });
    expect(audit.some((e) => /zero/i.test(e.action) && e.actor.name === "admin")).toBe(true);
  });

  await test.step("a viewer watches the same page without the zero button", async () => {
    await ensureUser(api, VIEWER.username, VIEWER.password, "viewer");
    const context = await browser.newContext();
    const viewerPage = await context.newPage();
    await signInWithApi(viewerPage, VIEWER.username, VIEWER.password);
    await viewerPage.goto(`/clusters/${clusterId}/services/${serviceId}`);
    await expect(viewerPage.getByTestId("chart-conns")).toHaveAttribute("data-last-value", "12.5");
    await expect(viewerPage.getByTestId("ipvsadm-line")).toBeVisible();
    await expect(viewerPage.getByTestId("zero-counters-button")).toHaveCount(0);
    // and the API refuses it too
    const refused = await Api.forPage(viewerPage).mutate("stats.zeroCounters", { serviceId });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.code).toBe("FORBIDDEN");
    await context.close();
  });
});
