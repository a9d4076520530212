// Where the agent's time goes, natively on any host (no IPVS needed): the
// daemon's one-change path at N services against the in-memory FakeKernel and
// a StateStore in a temp dir, as the panel client runs it: the push's JSON
// text parsed (as socket.io does), receivePush (checks + validation), then
// daemon.applyLoaded — with the panel's delta push (the default) or the whole
// document (--whole). Reference: parsing the whole document's JSON text
// (JSON.parse of the whole state), measured in the same process.
//   npm run agent:build && node bench/agent-perf-native.cjs [N=10000] [REPEAT=10] [--whole]
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/agent-perf-native.cjs   # profile
"use strict";
const path = require("node:path");
const os = require("node:os");
const fs = require("node:fs");
const lib = require(process.env.LIB || path.join(__dirname, "..", "agent", "dist", "lvs-agent-lib.cjs"));

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const WHOLE = process.argv.includes("--whole") || !lib.receivePush;
const N = Number(args[0] || 10000);
const REPEAT = Number(args[1] || 10);
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

function desiredDoc(n, generation) {
  const services = [];
  for (let i = 0; i < n; i++) {
    const address = `10.${100 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`;
    services.push({
      protocol: "tcp", address, port: 80, scheduler: "wlc",
      destinations: [
        { address: "10.200.0.1", port: 8080, forwarding: "nat", weight: 1 },
        { address: "10.200.0.2", port: 8080, forwarding: "nat", weight: 1 },
      ],
    });
  }
  return { schemaVersion: 1, generation, host: "bench", ipvs: { services }, addresses: [], realServer: null, sysctls: {}, fwmarks: [] };
}

/** One push as the panel client handles it: wire text → JSON.parse → checks + validation → ack → applyLoaded. */
async function deliver(daemon, wireText) {
  const payload = JSON.parse(wireText);
  if (!lib.receivePush) {
    // bundles before delta pushes: their client validated the push (whole) before the daemon did
    if (!lib.validateDesiredState(payload.state).ok) throw new Error("invalid");
    return daemon.setDesired(payload.state, "panel");
  }
  const decision = lib.receivePush(daemon, payload, null);
  if (!decision.accepted) throw new Error(decision.error);
  return daemon.applyLoaded(decision.loaded, "panel");
}

async function main() {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "agent-perf-"));
  const kernel = new lib.FakeKernel();
  const reconciler = new lib.Reconciler(kernel, new lib.StateStore(stateDir));
  const daemon = new lib.Daemon(reconciler, { intervalMs: 3600e3, periodic: false, log: () => {} });
  await daemon.start();
  let generation = 1;
  let doc = desiredDoc(N, generation);
  let push = { generation, revisionId: null, state: doc, force: false };
  let t0 = process.hrtime.bigint();
  const cold = await deliver(daemon, JSON.stringify(push));
  console.log(`cold apply of ${N} services (fake kernel): ${ms(t0).toFixed(0)} ms, ${cold.ops.length} ops, converged=${cold.converged}`);

  const text = JSON.stringify(doc);
  let refBest = Infinity;
  for (let r = 0; r < REPEAT; r++) { t0 = process.hrtime.bigint(); JSON.parse(text); refBest = Math.min(refBest, ms(t0)); }

  let best = Infinity;
  const times = [];
  let wireBytes = 0;
  for (let r = 1; r <= REPEAT; r++) {
    const base = { generation: push.generation, state: push.state };
    doc = structuredClone(doc);
    doc.generation = ++generation;
    const edited = doc.ipvs.services[(r * 7919) % N];
    edited.destinations[1].weight = 2 + r;
    push = { generation, revisionId: null, state: doc, force: false };
    const wire = JSON.stringify(WHOLE ? push : (lib.deltaPushFor(push, base) ?? push)); // what the panel sends
    wireBytes = wire.length;
    t0 = process.hrtime.bigint();
    const outcome = await deliver(daemon, wire);
    const t = ms(t0);
    times.push(t.toFixed(0));
    best = Math.min(best, t);
    if (!outcome || outcome.ops.length !== 1 || !outcome.ops[0].command.includes(` ${edited.address}:`) || !outcome.converged || outcome.results.some((x) => !x.ok)) {
      console.log("UNEXPECTED outcome", outcome && outcome.ops.map((o) => o.command));
      process.exitCode = 1;
    }
  }
  console.log(`one change with ${N} present (${WHOLE ? "whole" : "delta"} push, ${wireBytes} bytes → receivePush → daemon, fake kernel): best ${best.toFixed(1)} ms [${times.join(", ")}]`);
  console.log(`reference: JSON.parse of the ${(text.length / 1e6).toFixed(1)} MB document: ${refBest.toFixed(1)} ms → one change = ${(best / refBest).toFixed(2)}× a parse`);
  fs.rmSync(stateDir, { recursive: true, force: true });
}
main().catch((e) => { console.error(e); process.exit(1); });
