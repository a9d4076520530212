#!/usr/bin/env node
// Click to kernel: how long from the operator's apply (revisions.applyDraft)
// until EVERY agent of the cluster reports the revision applied, with the
// panel on the host and three real agents in the lab VM (director lb1, real
// servers rs1 and rs2, each in its own namespace, each enrolled with its own
// token; lab/tests/panel-lab.sh). The cluster is DR, rr, VIP 192.0.2.10:80.
//
//   npm run agent:build && npx next build   (once)
//   node bench/click-to-kernel.mjs          (N=50 applies, PORT=3198)
//
// Each apply alternates rs1's weight 1 <-> 2 (realServers.update), reviews and
// applies, then polls revisions.status every POLL_MS (20) until each host of
// the revision's deployments reports `applied` at its generation. Reference in
// the same run: the bare API round trip of revisions.status (every poll is
// timed). At the end the director's kernel table (ipvsadm inside the VM) must
// show the last weight, so the figure is click -> kernel, not click -> database.
// Prints p50 / p95 / max; target p95 <= 1 s. Not part of the test command.
import { panelClient, sleep, startLab, startPanel, stopAll, until } from "../lab/control.mjs";

const N = Number(process.env.N ?? 50);
const POLL_MS = Number(process.env.POLL_MS ?? 20);
const port = Number(process.env.PORT ?? 3198);
const t0 = Date.now();
const log = (msg) => console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}`);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x) => `${x.toFixed(1)} ms`;
process.on("SIGINT", () => { stopAll(); process.exit(130); });

let exitCode = 1;
let lab;
try {
  log(`starting the panel on 127.0.0.1:${port} (fresh database)`);
  const panel = await startPanel({ port, name: "click" });
  const api = panelClient(panel.base);
  await api.signIn();

  const lb1 = await api.mutate("hosts.create", { name: "lb1", managementAddress: "10.0.0.2" });
  const rs1 = await api.mutate("hosts.create", { name: "rs1", managementAddress: "10.0.0.11" });
  const rs2 = await api.mutate("hosts.create", { name: "rs2", managementAddress: "10.0.0.12" });
  const cluster = await api.mutate("clusters.create", { name: "click-to-kernel" });
  await api.mutate("directors.add", { clusterId: cluster.id, hostId: lb1.id, vipInterface: "eth0" });
  const service = await api.mutate("services.create", {
    clusterId: cluster.id, protocol: "TCP", address: "192.0.2.10", port: 80, scheduler: "rr",
    realServers: [{ hostId: rs1.id }, { hostId: rs2.id }],
  });
  const rs1Entry = service.realServers.find((r) => r.hostId === rs1.id);
  const agents = [];
  for (const [ns, host] of [["director", lb1], ["rs1", rs1], ["rs2", rs2]]) {
    agents.push({ ns, host: host.name, token: (await api.mutate("hosts.enroll", { hostId: host.id })).token });
  }
  log("cluster created (DR rr 192.0.2.10:80 -> rs1, rs2); three enrollment tokens issued; booting the lab VM");
  lab = await startLab({ port, name: "click", agents, log });
  await until("three agents online", async () => {
    for (const h of [lb1, rs1, rs2]) if (!(await api.query("hosts.get", { id: h.id })).agent.online) return false;
    return true;
  }, 120_000);
  log("three agents online");

  const status = () => api.query("revisions.status", { clusterId: cluster.id });
  const rtts = [];
  const timedStatus = async () => {
    const s = performance.now();
    const r = await status();
    rtts.push(performance.now() - s);
    return r;
  };
  /** review + applyDraft; resolves ms from the applyDraft call until every deployment is applied */
  async function applyAndWait(note) {
    const review = await api.query("revisions.review", { clusterId: cluster.id });
    const start = performance.now();
    const revision = await api.mutate("revisions.applyDraft", { clusterId: cluster.id, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash, note });
    const applyCall = performance.now() - start;
    const want = new Map(revision.deployments.map((d) => [d.hostId, d.generation]));
    for (;;) {
      const s = await timedStatus();
      const failed = s.hosts.find((h) => h.status === "failed");
      if (failed) throw new Error(`deployment on ${failed.name} failed: ${failed.error}`);
      const done = s.hosts.every((h) => !want.has(h.id) || (h.status === "applied" && h.appliedGeneration !== null && h.appliedGeneration >= want.get(h.id)));
      if (done) return { total: performance.now() - start, applyCall, hosts: want.size };
      if (performance.now() - start > 30_000) throw new Error(`revision #${revision.number} not applied everywhere after 30 s: ${JSON.stringify(s.hosts.map((h) => [h.name, h.status, h.appliedGeneration]))}`);
      await sleep(POLL_MS);
    }
  }

  const first = await applyAndWait("click-to-kernel: first revision");
  log(`first revision applied on ${first.hosts} hosts in ${ms(first.total)}`);
  const table = await lab.run("ip netns exec director ipvsadm -Ln -t 192.0.2.10:80");
  const rsVip = await lab.run("ip -n rs1 -o addr show dev lo");
  if ((table.match(/Route/g) ?? []).length !== 2) throw new Error(`the director's kernel lacks the two destinations:\n${table}`);
  if (!rsVip.includes("192.0.2.10/32")) throw new Error(`rs1 lacks the VIP on lo:\n${rsVip}`);
  log("kernel: director has 192.0.2.10:80 with two DR destinations; rs1 has the VIP on lo");

  const totals = [];
  const applyCalls = [];
  const deployed = new Set();
  rtts.length = 0;
  let weight = 1;
  for (let i = 0; i < N; i++) {
    weight = weight === 1 ? 2 : 1;
    await api.mutate("realServers.update", { id: rs1Entry.id, weight });
    const r = await applyAndWait(`click-to-kernel ${i + 1}: rs1 weight ${weight}`);
    totals.push(r.total);
    applyCalls.push(r.applyCall);
    deployed.add(r.hosts);
  }
  const after = await lab.run("ip netns exec director ipvsadm -Ln -t 192.0.2.10:80");
  const line = after.split("\n").find((l) => l.includes("10.0.0.11:80"));
  if (!line || line.trim().split(/\s+/)[3] !== String(weight)) throw new Error(`the director's kernel does not show rs1 at weight ${weight}:\n${after}`);
  log(`kernel: rs1 at weight ${weight} on the director after ${N} applies`);

  const rttP50 = pct(rtts, 50);
  console.log("");
  console.log(`click -> every agent applied, ${N} applies (rs1 weight 1<->2), 3 agents online, ${[...deployed].join("/")} deployment(s) per apply, polled every ${POLL_MS} ms`);
  console.log(`  apply -> applied   p50 ${ms(pct(totals, 50))}   p95 ${ms(pct(totals, 95))}   max ${ms(Math.max(...totals))}   (target p95 <= 1000 ms)`);
  console.log(`  applyDraft call    p50 ${ms(pct(applyCalls, 50))}   p95 ${ms(pct(applyCalls, 95))}`);
  console.log(`  reference: revisions.status round trip  p50 ${ms(rttP50)}   p95 ${ms(pct(rtts, 95))}   (${rtts.length} calls)`);
  console.log(`  ratio apply->applied p50 / status round trip p50: ${(pct(totals, 50) / rttP50).toFixed(1)}x`);
  exitCode = pct(totals, 95) <= 1000 ? 0 : 1;
  if (exitCode) console.log("  p95 above the 1 s target");
} catch (error) {
  log(`FAILED: ${error.message}`);
} finally {
  if (lab) log(`lab VM exited ${await lab.stop()}`);
  stopAll();
  await sleep(300);
}
process.exit(exitCode);
