/**
 * Health checks, drain and sorry server (#6) in the browser against the built
 * panel. A simulated director (e2e/helpers/health-agent.mjs: the real /agent
 * wire protocol, enrolled with a token from the API) accepts the applied
 * desired states, sends health reports and live connection counts the test
 * chooses. What a person sees: the HTTP check with a Host header defined in
 * the service dialog (bad input shows field errors and saves nothing), an
 * operator is not offered exec (and the API refuses it), health badges and the
 * timeline follow the director's reports, and Drain → draining with live
 * counts → Restore / Remove.
 */
import { expect, test, type Page } from "@playwright/test";
import { Api, mutateFromPage, ok, refused } from "./helpers/api";
import { realServerRow, serviceDialog, serviceRow } from "./helpers/editor";
import { HealthAgent } from "./helpers/health-agent";
import { databaseState, ensureUser, signInAsAdmin, signInWithApi, type ServiceView } from "./helpers/panel";

const VIP = "192.0.2.80";
const RS = ["198.51.100.81", "198.51.100.82"];
const SERVICE_KEY = `tcp ${VIP}:80`;
const OPERATOR = { username: "health-operator", password: "health-operator-passphrase" };

let sim: HealthAgent | undefined;
test.afterAll(() => sim?.stop());

interface Setup {
  clusterId: string;
  serviceId: string;
}
let setup: Setup | undefined;

async function ensureSetup(api: Api): Promise<Setup> {
  if (setup) return setup;
  const host = ok(await api.mutate<{ id: string }>("hosts.create", { name: "health-lb1", managementAddress: "192.0.2.3" }));
  const cluster = ok(await api.mutate<{ id: string }>("clusters.create", { name: "health", description: "" }));
  ok(await api.mutate("directors.add", { clusterId: cluster.id, hostId: host.id, vipInterface: "eth0" }));
  const service = ok(
    await api.mutate<{ id: string }>("services.create", {
      clusterId: cluster.id,
      protocol: "TCP",
      address: VIP,
      port: 80,
      scheduler: "wlc",
      persistenceTimeout: 300,
      realServers: RS.map((address) => ({ address, port: null, forwarding: "DR", weight: 2 })),
    }),
  );
  const { token } = ok(await api.mutate<{ token: string }>("hosts.enroll", { hostId: host.id }));
  sim = await HealthAgent.start(token);
  setup = { clusterId: cluster.id, serviceId: service.id };
  return setup;
}

async function apply(api: Api, clusterId: string) {
  const review = ok(await api.query<{ baseRevision: number | null; draftHash: string }>("revisions.review", { clusterId }));
  ok(await api.mutate("revisions.applyDraft", { clusterId, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash, note: "health e2e" }));
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });
}

async function openEdit(page: Page) {
  await serviceRow(page, VIP, 80).getByRole("button", { name: `Edit service TCP ${VIP}:80` }).click();
  const dialog = serviceDialog(page);
  await expect(dialog).toBeVisible();
  return dialog;
}

test("an HTTP check with a Host header, defined in the dialog; bad input shows field errors and saves nothing", async ({ page }) => {
  const api = await signInAsAdmin(page);
  const { clusterId, serviceId } = await ensureSetup(api);
  await page.goto(`/clusters/${clusterId}`);
  await expect(realServerRow(page, RS[0], 80).getByTestId("rs-health")).toHaveAttribute("data-kind", "unchecked");

  const before = await databaseState(api, clusterId);
  const dialog = await openEdit(page);
  await dialog.getByLabel("Health check", { exact: true }).selectOption("http");
  // only the HTTP fields are shown, with the contract's defaults
  await expect(dialog.getByLabel("Interval (ms)")).toHaveValue("300");
  await expect(dialog.getByLabel("Timeout (ms)")).toHaveValue("500");
  await expect(dialog.getByLabel("Command")).toHaveCount(0);
  await expect(dialog.getByLabel("DNS name")).toHaveCount(0);
  await dialog.getByLabel("HTTP path").fill("health");
  await dialog.getByLabel("Host header").fill("www.example.com");
  await dialog.getByLabel("Fall").fill("1");
  await dialog.getByLabel("Expected status").fill("2xx");
  await dialog.getByLabel("Sorry server address").fill("2001:db8::99");
  await dialog.getByRole("button", { name: "Save service" }).click();
  await expect(dialog.getByTestId("field-error-hcPath")).toContainText("starts with /");
  await expect(dialog.getByTestId("field-error-hcTimeoutMs")).toContainText("interval × fall");
  await expect(dialog.getByTestId("field-error-hcExpectStatus")).toContainText("200-399");
  await expect(dialog.getByTestId("field-error-sorryAddress")).toContainText("IPv6 but the VIP is IPv4");
  await expect(dialog.getByLabel("HTTP path")).toHaveAttribute("aria-invalid", "true");
  await shot(page, "health-dialog-errors");
  expect(await databaseState(api, clusterId)).toEqual(before);

  await dialog.getByLabel("HTTP path").fill("/health");
  await dialog.getByLabel("Fall").fill("2");
  await dialog.getByLabel("Expected status").fill("200");
  await dialog.getByLabel("Expected body").fill("ok");
  await dialog.getByLabel("Sorry server address").fill("198.51.100.99");
  await dialog.getByRole("button", { name: "Save service" }).click();
  await expect(dialog).toBeHidden();

  const saved = ok(await api.query<ServiceView & { healthCheck: unknown; sorryServer: unknown; onFailure: string }>("services.get", { id: serviceId }));
  expect(saved.healthCheck).toEqual({
    type: "http",
    intervalMs: 300,
    timeoutMs: 500,
    rise: 2,
    fall: 2,
    port: null,
    path: "/health",
    host: "www.example.com",
    expectStatus: "200",
    expectBody: "ok",
    bodyIsRegex: false,
    tlsVerify: false,
  });
  expect(saved.sorryServer).toEqual({ address: "198.51.100.99", port: null, forwarding: "DR" });
  expect(saved.onFailure).toBe("QUIESCE");
  await expect(serviceRow(page, VIP, 80).getByTestId("service-health")).toContainText("http check");
  await expect(realServerRow(page, RS[0], 80).getByTestId("rs-health")).toHaveAttribute("data-kind", "unknown");

  // the dialog shows what was saved
  const again = await openEdit(page);
  await expect(again.getByLabel("Host header")).toHaveValue("www.example.com");
  await again.getByRole("button", { name: "Cancel" }).click();
});

test("an operator is not offered exec, and the API refuses it", async ({ page, browser }) => {
  const api = await signInAsAdmin(page);
  const { clusterId, serviceId } = await ensureSetup(api);
  await ensureUser(api, OPERATOR.username, OPERATOR.password, "operator");
  const context = await browser.newContext();
  const op = await context.newPage();
  await signInWithApi(op, OPERATOR.username, OPERATOR.password);
  await op.goto(`/clusters/${clusterId}`);
  const dialog = await openEdit(op);
  const options = await dialog.getByLabel("Health check", { exact: true }).locator("option").allTextContents();
  expect(options).toContain("HTTP GET");
  expect(options).not.toContain("Command (exec)");
  await dialog.getByRole("button", { name: "Cancel" }).click();

  const before = await databaseState(api, clusterId);
  const r = await mutateFromPage(op, "services.update", { id: serviceId, healthCheck: { type: "exec", command: "/usr/local/bin/check-app" } });
  expect(refused(r, "FORBIDDEN").message).toMatch(/Only admins may define or change an exec health check/);
  expect(await databaseState(api, clusterId)).toEqual(before);
  // the admin is offered it
  await page.goto(`/clusters/${clusterId}`);
  const adminDialog = await openEdit(page);
  expect(await adminDialog.getByLabel("Health check", { exact: true }).locator("option").allTextContents()).toContain("Command (exec)");
  await adminDialog.getByRole("button", { name: "Cancel" }).click();
  await context.close();
});

test("health badges and timeline follow the director; drain → draining with live counts → restore; drain → remove → review", async ({ page }) => {
  const api = await signInAsAdmin(page);
  const { clusterId } = await ensureSetup(api);
  await apply(api, clusterId);
  const rs1 = `${RS[0]}:80`;
  await sim!.waitFor((e) => e.event === "applied" && (e.weights as Record<string, number>)[`${SERVICE_KEY} ${rs1}`] === 2, "the applied desired state");
  await page.goto(`/clusters/${clusterId}`);
  const row1 = realServerRow(page, RS[0], 80);

  await test.step("health reports become badges with reason and latency", async () => {
    sim!.health(SERVICE_KEY, [
      { destination: rs1, status: "up", reason: "HTTP 200", latencyMs: 1.4 },
      { destination: `${RS[1]}:80`, status: "up", reason: "HTTP 200", latencyMs: 2 },
    ]);
    await expect(row1.getByTestId("rs-health")).toHaveAttribute("data-kind", "up");
    await expect(row1.getByTestId("rs-health")).toHaveAttribute("title", /health-lb1: up — HTTP 200 \(1\.4 ms\)/);
    sim!.health(SERVICE_KEY, [{ destination: rs1, status: "down", reason: "connect ECONNREFUSED" }]);
    await expect(row1.getByTestId("rs-health")).toHaveAttribute("data-kind", "down");
    await expect(row1.getByTestId("rs-health")).toHaveAttribute("title", /connect ECONNREFUSED, quiesced/);
    await shot(page, "health-badges");
    await row1.getByTestId("rs-health").click();
    const timeline = page.getByTestId("health-timeline");
    await expect(timeline.getByTestId("health-event")).toHaveCount(2);
    await expect(timeline.getByTestId("health-event").first()).toContainText("connect ECONNREFUSED");
    await expect(timeline.getByTestId("health-event").nth(1)).toContainText("HTTP 200");
    await timeline.getByRole("button", { name: "Close dialog" }).click();
    sim!.health(SERVICE_KEY, [{ destination: rs1, status: "up", reason: "HTTP 200", latencyMs: 1.1 }]);
    await expect(row1.getByTestId("rs-health")).toHaveAttribute("data-kind", "up");
  });

  await test.step("drain: weight 0 on the director without a revision, draining with live counts, then restore", async () => {
    const revisions = ok(await api.query<unknown[]>("revisions.list", { clusterId })).length;
    sim!.connections({ [rs1]: 3 });
    await row1.getByRole("button", { name: `Drain real server ${RS[0]}:80 of TCP ${VIP}:80` }).click();
    const drainDialog = page.getByTestId("drain-dialog");
    await drainDialog.getByLabel("Drain timeout (s)").fill("5");
    await drainDialog.getByRole("button", { name: "Drain" }).click();
    await expect(drainDialog.getByTestId("field-error-timeoutSeconds")).toContainText("between 10 and 86400");
    await drainDialog.getByLabel("Drain timeout (s)").fill("600");
    await drainDialog.getByRole("button", { name: "Drain" }).click();
    await expect(drainDialog).toBeHidden();
    await expect(row1.getByTestId("rs-health")).toHaveAttribute("data-kind", "draining");
    await sim!.waitFor(() => sim!.latestWeights()?.[`${SERVICE_KEY} ${rs1}`] === 0, "weight 0 on the director");
    expect(sim!.latestWeights()?.[`${SERVICE_KEY} ${RS[1]}:80`]).toBe(2);
    expect(ok(await api.query<unknown[]>("revisions.list", { clusterId })).length).toBe(revisions);
    await expect(row1.getByTestId("drain-connections")).toHaveText("3 active / 0 inactive");
    await expect(row1.getByTestId("drain-status")).toHaveAttribute("data-phase", "draining");
    await expect(row1.getByRole("button", { name: /^Remove drained real server/ })).toHaveCount(0);
    await shot(page, "draining");
    sim!.connections({ [rs1]: 0 });
    await expect(row1.getByTestId("drain-status")).toHaveAttribute("data-phase", "drained");
    await expect(row1.getByRole("button", { name: /^Remove drained real server/ })).toBeVisible();
    await row1.getByRole("button", { name: `Restore real server ${RS[0]}:80 of TCP ${VIP}:80` }).click();
    await expect(row1.getByTestId("rs-health")).toHaveAttribute("data-kind", "up");
    await sim!.waitFor(() => sim!.latestWeights()?.[`${SERVICE_KEY} ${rs1}`] === 2, "the weight restored on the director");
    const actions = ok(await api.query<{ items: { action: string }[] }>("audit.list", { clusterId, limit: 2 })).items.map((e) => e.action);
    expect(actions).toEqual(["drain.restore", "drain.start"]);
  });

  await test.step("drain again, then remove: the real server leaves the draft and the review page opens", async () => {
    await row1.getByRole("button", { name: `Drain real server ${RS[0]}:80 of TCP ${VIP}:80` }).click();
    await page.getByTestId("drain-dialog").getByRole("button", { name: "Drain" }).click();
    await expect(row1.getByTestId("drain-status")).toHaveAttribute("data-phase", "drained");
    await row1.getByRole("button", { name: /^Remove drained real server/ }).click();
    await page.getByTestId("remove-drained-dialog").getByRole("button", { name: "Remove and review" }).click();
    await expect(page).toHaveURL(new RegExp(`/clusters/${clusterId}/review$`));
    const services = ok(await api.query<{ items: ServiceView[] }>("services.list", { clusterId }));
    expect(services.items[0].realServers.map((r) => r.address)).toEqual([RS[1]]);
    // still weight 0 on the director until the apply
    expect(sim!.latestWeights()?.[`${SERVICE_KEY} ${rs1}`]).toBe(0);
  });
});
