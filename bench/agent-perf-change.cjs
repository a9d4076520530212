// The daemon's path for ONE change, in-process, as `lvs-agent run` does it:
// a Daemon over the real kernel (inside the lab VM) whose first reconcile
// warms its cached actual state; then desired states arrive as fresh objects
// (as the panel client hands them over), each with one more real server's
// weight edited, through daemon.setDesired: incremental validation, plan of
// the changed services against the cache, state file written, one
// `ipvsadm -R`, targeted read-back. Prints each change and the best.
//   node bench/agent-perf-change.cjs DESIRED.json STATE_DIR [REPEAT]
"use strict";
const path = require("node:path");
const { readFileSync } = require("node:fs");
const lib = require(process.env.LIB || path.join(__dirname, "..", "agent", "dist", "lvs-agent-lib.cjs"));

const [desiredFile, stateDir, repeatArg] = process.argv.slice(2);
if (!desiredFile || !stateDir) {
  console.error("usage: agent-perf-change.cjs DESIRED.json STATE_DIR [REPEAT]");
  process.exit(2);
}
const repeat = Number(repeatArg || 5);
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

async function main() {
  const text = readFileSync(desiredFile, "utf8");
  const base = JSON.parse(text);
  const n = base.ipvs.services.length;
  const events = [];
  const daemon = new lib.Daemon(new lib.Reconciler(lib.linuxKernel(), new lib.StateStore(stateDir)), { intervalMs: 3600e3, periodic: false, log: (e) => events.push(e) });
  await daemon.start(); // cached desired state of the state dir, if any
  let generation = 5000;
  const send = async (doc) => {
    const received = JSON.parse(JSON.stringify(doc)); // a fresh object, as from the socket
    const t0 = process.hrtime.bigint();
    const outcome = await daemon.setDesired(received, "panel");
    return { outcome, ms: ms(t0) };
  };
  base.generation = ++generation;
  const warm = await send(base);
  console.log(`first reconcile (reads the kernel's ${n} services): ${warm.ms.toFixed(0)} ms, ${warm.outcome.ops.length} ops, converged=${warm.outcome.converged}`);
  let best = Infinity;
  for (let r = 1; r <= repeat; r++) {
    const index = (r * 7919) % n;
    base.generation = ++generation;
    base.ipvs.services[index].destinations[1].weight = 10 + r;
    const { outcome, ms: t } = await send(base);
    best = Math.min(best, t);
    const failed = outcome ? outcome.results.filter((x) => !x.ok).length : -1;
    console.log(`  change #${r} (service ${index}): ${t.toFixed(0)} ms, ${outcome ? outcome.ops.map((o) => o.command).join("; ") : "rejected"}, failed=${failed}, converged=${outcome && outcome.converged}`);
    if (!outcome || outcome.ops.length !== 1 || failed !== 0 || !outcome.converged) {
      console.log("  UNEXPECTED: one weight edit should be exactly one successful op");
      process.exitCode = 1;
    }
  }
  console.log(`daemon one change with ${n} services present (best of ${repeat}): ${best.toFixed(0)} ms`);
  // reference in the same process: parsing the document (what receiving it costs at least)
  let parse = Infinity;
  const whole = JSON.stringify(base);
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    JSON.parse(whole);
    parse = Math.min(parse, ms(t0));
  }
  console.log(`  reference: JSON.parse of the ${(whole.length / 1e6).toFixed(1)} MB document: ${parse.toFixed(0)} ms (${(best / parse).toFixed(1)}x)`);
  await daemon.stop("bench");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
