/**
 * Issue #4 item 6, end to end: the panel in Chromium, three real agents in the
 * lab VM (director lb1, real servers rs1/rs2, each in its own namespace;
 * lab/control.mjs). Every step is checked in the UI and in the kernel. The
 * last step is issue #5's live-stats check in the same VM session: a client
 * loop through the VIP shows on the service's conn/s chart and stops showing.
 *
 *   npx playwright test -c playwright.lab.config.ts
 */
import { expect, test, type Page } from "@playwright/test";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ok } from "../helpers/api";
import { addService, realServerDialog, realServerRow } from "../helpers/editor";
import { signInAsAdmin } from "../helpers/panel";

type Lab = { run(script: string, timeoutMs?: number): Promise<string>; enroll(ns: string, host: string, token: string): Promise<string>; stop(): Promise<number> };
const VIP = "192.0.2.10";
let lab: Lab | undefined;
type Control = { startLab(o: { port: number; name: string; agents: { ns: string; host: string; token: string }[]; timeoutS?: number }): Promise<Lab>; stopAll(): void };
// lab/control.mjs is plain ESM shared with bench/click-to-kernel.mjs; Playwright
// compiles test imports to CommonJS, so load it with the runtime's own import().
const nativeImport = new Function("url", "return import(url)") as (url: string) => Promise<Control>;
const control = nativeImport(pathToFileURL(path.resolve(__dirname, "../../lab/control.mjs")).href);

test.afterAll(async () => {
  if (lab) await lab.stop();
  (await control).stopAll();
});

/** The director's IPVS table for the VIP, as `address weight` lines. */
async function kernelDests(): Promise<string[]> {
  const out = await lab!.run(`ip netns exec director ipvsadm -Ln -t ${VIP}:80`);
  return out.split("\n").filter((l) => l.includes("Route")).map((l) => { const f = l.trim().split(/\s+/); return `${f[1]} ${f[3]}`; }).sort();
}
/** 8 new client connections through the VIP; the answering server names, sorted. */
async function clientAnswers(): Promise<string[]> {
  const out = await lab!.run(`curl_n client http://${VIP}/ 8`);
  return out.trim().split("\n").sort();
}

/** Apply on the review page; `hosts` = the hosts whose desired state changes (only they get a deployment). */
async function applyFromReview(page: Page, clusterId: string, note: string, hosts: string[]) {
  await page.goto(`/clusters/${clusterId}/review`);
  await page.getByTestId("apply-note").fill(note);
  await page.getByTestId("apply-button").click();
  await expect(page.getByTestId("host-progress")).toHaveAttribute("data-settled", "true", { timeout: 60_000 });
  for (const h of hosts) await expect(page.getByTestId(`host-status-${h}`).last()).toContainText("applied");
}

test("cluster in the UI -> enroll -> apply -> traffic -> weight -> drift -> repair -> rollback, checked in the kernel", async ({ page }) => {
  const api = await signInAsAdmin(page);
  const hosts: Record<string, { id: string }> = {};
  for (const [name, managementAddress] of [["lb1", "10.0.0.2"], ["rs1", "10.0.0.11"], ["rs2", "10.0.0.12"]]) {
    hosts[name] = ok(await api.mutate<{ id: string }>("hosts.create", { name, managementAddress }));
  }
  // the VM may queue behind other engineers' lab runs (one VM at a time): wait up to 30 min for it
  test.setTimeout(45 * 60_000);
  lab = await (await control).startLab({ port: Number(process.env.E2E_PORT), name: "e2e", agents: [], timeoutS: 1800 });

  let clusterId = "";
  await test.step("DR cluster, rr, two host-backed real servers, made in the UI", async () => {
    await page.goto("/clusters");
    await page.getByTestId("new-cluster-button").click();
    const dialog = page.getByTestId("cluster-dialog");
    await dialog.getByLabel("Name").fill("lab-loop");
    await dialog.getByRole("button", { name: "Create cluster" }).click();
    await expect(dialog).toBeHidden();
    await page.waitForURL(/\/clusters\/[^/]+$/); // creating a cluster opens its page
    await expect(page.getByTestId("cluster-header")).toBeVisible();
    clusterId = page.url().split("/clusters/")[1].split(/[/?#]/)[0];

    await page.getByTestId("add-director-button").click();
    const director = page.getByTestId("director-dialog");
    await director.getByLabel("Host").selectOption({ label: "lb1 (10.0.0.2)" });
    await director.getByLabel("VIP interface").fill("eth0");
    await director.getByRole("button", { name: "Add director" }).click();
    await expect(director).toBeHidden();
    await expect(page.getByTestId("director-row-lb1")).toBeVisible();

    const service = await addService(page, { address: VIP, port: "80", scheduler: "rr" });
    for (const [name, address] of [["rs1", "10.0.0.11"], ["rs2", "10.0.0.12"]]) {
      await service.getByRole("button", { name: /^Add real server to / }).click();
      const rs = realServerDialog(page);
      await rs.getByLabel("Host").selectOption({ label: `${name} (${address})` });
      await rs.getByRole("button", { name: "Add real server" }).click();
      await expect(rs).toBeHidden();
      await expect(realServerRow(page, address, 80)).toBeVisible();
    }
  });

  await test.step("enroll the three hosts with the UI's one-time commands", async () => {
    for (const [ns, name] of [["director", "lb1"], ["rs1", "rs1"], ["rs2", "rs2"]]) {
      await page.goto("/hosts");
      await page.getByTestId(`enroll-agent-${name}`).click();
      const command = await page.getByTestId("enroll-command").textContent();
      const token = /lvse_[A-Za-z0-9_-]+/.exec(command ?? "")?.[0];
      expect(token, `a token in: ${command}`).toBeTruthy();
      await lab!.enroll(ns, name, token!);
      await expect(page.getByTestId("enroll-connected")).toBeVisible({ timeout: 120_000 });
      await page.keyboard.press("Escape");
      await expect(page.getByTestId(`host-agent-${name}`)).toHaveAttribute("data-online", "true");
    }
  });

  await test.step("apply revision 1: UI shows applied; the kernel has both destinations; traffic reaches both", async () => {
    await applyFromReview(page, clusterId, "first", ["lb1", "rs1", "rs2"]);
    await page.goto(`/clusters/${clusterId}`);
    // data-applied sits on the status bar's inner row (components/revisions/cluster-status.tsx)
    await expect(page.getByTestId("cluster-status").locator("[data-applied]")).toHaveAttribute("data-applied", "1");
    await expect(page.getByTestId("cluster-status")).toContainText("In sync with revision #1");
    expect(await kernelDests()).toEqual(["10.0.0.11:80 1", "10.0.0.12:80 1"]);
    expect(await lab!.run("ip -n rs1 -o addr show dev lo")).toContain(`${VIP}/32`);
    const answers = await clientAnswers();
    expect(answers.filter((a) => a === "rs1")).toHaveLength(4);
    expect(answers.filter((a) => a === "rs2")).toHaveLength(4);
  });

  await test.step("weight rs1 1 -> 3 in the UI, apply revision 2: kernel weight 3, both still answer", async () => {
    await page.goto(`/clusters/${clusterId}`);
    await realServerRow(page, "10.0.0.11", 80).getByRole("button", { name: /^Edit real server/ }).click();
    const rs = realServerDialog(page);
    await rs.getByLabel("Weight").fill("3");
    await rs.getByRole("button", { name: "Save real server" }).click();
    await expect(rs).toBeHidden();
    await applyFromReview(page, clusterId, "rs1 weight 3", ["lb1"]);
    expect(await kernelDests()).toEqual(["10.0.0.11:80 3", "10.0.0.12:80 1"]);
    expect(new Set(await clientAnswers())).toEqual(new Set(["rs1", "rs2"])); // rr ignores weights
  });

  await test.step("ipvsadm -d behind the panel's back shows as drift; Repair restores it", async () => {
    await lab!.run(`ip netns exec director ipvsadm -d -t ${VIP}:80 -r 10.0.0.12:80`);
    await page.goto(`/clusters/${clusterId}`);
    await expect(page.getByTestId("drift-lb1")).toContainText("10.0.0.12", { timeout: 60_000 });
    expect(await kernelDests()).toEqual(["10.0.0.11:80 3"]);
    await page.getByTestId("repair-lb1").click();
    await expect(page.getByTestId("drift-lb1")).toBeHidden({ timeout: 60_000 });
    await expect.poll(kernelDests, { timeout: 30_000 }).toEqual(["10.0.0.11:80 3", "10.0.0.12:80 1"]);
  });

  await test.step("roll back to revision 1: weight 1 again in the UI and the kernel", async () => {
    await page.goto(`/clusters/${clusterId}/revisions`);
    await page.getByTestId("rollback-1").click();
    const dialog = page.getByTestId("rollback-dialog");
    await dialog.getByLabel("Note").fill("back to 1");
    await dialog.getByRole("button", { name: "Roll back to #1" }).click();
    await expect(page.getByTestId("host-progress")).toHaveAttribute("data-settled", "true", { timeout: 60_000 });
    await expect(page.getByTestId("revision-row-3")).toHaveAttribute("data-kind", "rollback");
    expect(await kernelDests()).toEqual(["10.0.0.11:80 1", "10.0.0.12:80 1"]);
    await page.goto(`/clusters/${clusterId}`);
    await expect(realServerRow(page, "10.0.0.11", 80).getByTestId("rs-weight")).toHaveText("1");
  });

  await test.step("live stats (#5): a client request loop through the VIP shows as conn/s on the service's chart; stopping it brings it back to 0", async () => {
    await page.goto(`/clusters/${clusterId}`);
    await page.getByTestId(`service-title-${VIP}:80`).click();
    await expect(page.getByTestId("live-status")).toHaveAttribute("data-status", "live");
    const chart = page.getByTestId("chart-conns");
    const conns = async () => Number((await chart.getAttribute("data-last-value")) || "NaN");
    await expect.poll(conns, { message: "idle service: 0 conn/s" }).toBe(0);
    await lab!.run(`rm -f /tmp/stats-loop-stop; ( while [ ! -e /tmp/stats-loop-stop ]; do nsx client curl -s -m 2 -o /dev/null http://${VIP}/; sleep 0.2; done ) > /dev/null 2>&1 &`);
    try {
      await expect.poll(conns, { message: "the loop's conn/s on the chart", timeout: 15_000 }).toBeGreaterThan(0);
      await expect(chart).toHaveAttribute("aria-label", /[1-9][\d.]* (k )?conn\/s now/);
      for (const address of ["10.0.0.11", "10.0.0.12"]) {
        await expect.poll(async () => Number(await page.getByTestId(`rs-stats-${address}:80`).getAttribute("data-inactive")), { message: `${address} answered` }).toBeGreaterThan(0);
      }
      const stats = await lab!.run(`ip netns exec director ipvsadm -Ln --stats -t ${VIP}:80`);
      expect(Number(stats.split("\n").find((l) => l.startsWith("TCP"))?.trim().split(/\s+/)[2])).toBeGreaterThan(0); // the kernel counted them too
    } finally {
      await lab!.run("touch /tmp/stats-loop-stop");
    }
    await expect.poll(conns, { message: "back to 0 conn/s after the loop stopped", timeout: 15_000 }).toBe(0);
  });
});
