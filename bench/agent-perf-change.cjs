// The daemon's path for ONE change, in-process, as `lvs-agent run` takes a
// panel push (and, with REPEAT=0 on an empty table, the cold apply of the
// whole document pushed to a running daemon): a Daemon over the real kernel (inside the lab VM) whose first
// reconcile warms its cached actual state; then each push arrives as the JSON
// text socket.io delivers — a delta against the previous push, as the panel's
// gateway sends it (deltaPushFor), or the whole document for bundles that
// predate deltas — and is timed from JSON.parse of that text through the panel
// client's receivePush (checks + validation of the new entries) and
// daemon.applyLoaded (plan of the changed services against the cache, state
// journal written, one `ipvsadm -R`, targeted read-back). Older bundles:
// JSON.parse + validateDesiredState (their client validated the push) +
// daemon.setDesired. Prints each change and the best.
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
  let last = null; // the push the agent accepted last (the base of the next delta)
  const send = async (doc, delta) => {
    const push = { generation: doc.generation, revisionId: null, state: doc, force: false };
    const wire = JSON.stringify((delta && lib.deltaPushFor && lib.deltaPushFor(push, last)) || push);
    last = { generation: push.generation, state: JSON.parse(JSON.stringify(doc)) };
    const t0 = process.hrtime.bigint();
    const payload = JSON.parse(wire); // what socket.io hands the client
    let outcome;
    if (lib.receivePush) {
      const decision = lib.receivePush(daemon, payload, null);
      if (!decision.accepted) throw new Error(decision.error);
      outcome = await daemon.applyLoaded(decision.loaded, "panel");
    } else {
      if (!lib.validateDesiredState(payload.state).ok) throw new Error("invalid");
      outcome = await daemon.setDesired(payload.state, "panel");
    }
    return { outcome, ms: ms(t0), bytes: wire.length };
  };
  base.generation = ++generation;
  const warm = await send(base, false);
  // with services in the kernel this reads them (warms the cache); on an empty table it is the cold apply through the daemon
  console.log(`first push (whole document, ${n} services): ${warm.ms.toFixed(0)} ms, ${warm.outcome.ops.length} ops, converged=${warm.outcome.converged}`);
  if (!warm.outcome.converged || warm.outcome.results.some((x) => !x.ok)) {
    console.log("  UNEXPECTED: the first push did not converge");
    process.exitCode = 1;
  }
  if (repeat === 0) {
    await daemon.stop("bench");
    return;
  }
  let best = Infinity;
  for (let r = 1; r <= repeat; r++) {
    const index = (r * 7919) % n;
    base.generation = ++generation;
    base.ipvs.services[index].destinations[1].weight = 10 + r;
    const { outcome, ms: t, bytes } = await send(base, true);
    best = Math.min(best, t);
    const failed = outcome ? outcome.results.filter((x) => !x.ok).length : -1;
    console.log(`  change #${r} (service ${index}, push ${bytes} bytes): ${t.toFixed(0)} ms, ${outcome ? outcome.ops.map((o) => o.command).join("; ") : "rejected"}, failed=${failed}, converged=${outcome && outcome.converged}`);
    const address = base.ipvs.services[index].address;
    if (!outcome || outcome.ops.length !== 1 || !outcome.ops[0].command.includes(` ${address}:`) || failed !== 0 || !outcome.converged) {
      console.log(`  UNEXPECTED: one weight edit should be exactly one successful op on ${address}`);
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
