// The daemon's path for ONE change, in-process (driven by bench/agent-apply.sh
// inside the lab VM): a Reconciler over the real kernel whose actual state is
// warm (cached after its first reconcile, as in `lvs-agent run`), then a
// desired state with one real server's weight edited arrives, is validated
// whole and reconciled (plan, one ipvsadm -R batch, targeted read-back, state
// written). Prints the time of each part and the best total.
//   node bench/agent-change.cjs DESIRED.json STATE_DIR [REPEAT]
"use strict";
const path = require("node:path");
const { readFileSync } = require("node:fs");
const lib = require(path.join(__dirname, "..", "agent", "dist", "lvs-agent-lib.cjs"));

const [desiredFile, stateDir, repeatArg] = process.argv.slice(2);
if (!desiredFile || !stateDir) {
  console.error("usage: agent-change.cjs DESIRED.json STATE_DIR [REPEAT]");
  process.exit(2);
}
const repeat = Number(repeatArg || 5);
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

async function main() {
  const base = JSON.parse(readFileSync(desiredFile, "utf8"));
  const services = base.ipvs.services.length;
  const reconciler = new lib.Reconciler(lib.linuxKernel(), new lib.StateStore(stateDir));

  // warm-up: the daemon's first reconcile (reads the kernel, caches the actual state)
  let generation = 1000;
  const warmDoc = structuredClone(base);
  warmDoc.generation = generation;
  let t0 = process.hrtime.bigint();
  const warm = lib.parseDesiredDocument(warmDoc, "bench");
  const first = await reconciler.reconcile(warm.resolved, warm.document);
  console.log(`first reconcile (cold read of ${services} services): ${ms(t0).toFixed(0)} ms, ${first.ops.length} ops, converged=${first.converged}`);

  let best = Infinity;
  const current = structuredClone(base);
  for (let r = 1; r <= repeat; r++) {
    // one more real server's weight edited each time (earlier edits stay): exactly one op
    const doc = structuredClone(current);
    doc.generation = ++generation;
    const index = (r * 7919) % services;
    doc.ipvs.services[index].destinations[1].weight = 2 + r;
    current.ipvs.services[index].destinations[1].weight = 2 + r;
    t0 = process.hrtime.bigint();
    const loaded = lib.parseDesiredDocument(doc, "bench");
    const validateMs = ms(t0);
    const t1 = process.hrtime.bigint();
    const outcome = await reconciler.reconcile(loaded.resolved, loaded.document);
    const reconcileMs = ms(t1);
    const total = validateMs + reconcileMs;
    best = Math.min(best, total);
    const failed = outcome.results.filter((x) => !x.ok).length;
    console.log(
      `  change #${r} (service ${index}): validate ${validateMs.toFixed(0)} ms + reconcile ${reconcileMs.toFixed(0)} ms = ${total.toFixed(0)} ms; ` +
        `${outcome.ops.length} op(s) [${outcome.ops.map((o) => o.command).join("; ")}], failed=${failed}, converged=${outcome.converged}`,
    );
    if (outcome.ops.length !== 1 || failed !== 0 || !outcome.converged) {
      console.log("  UNEXPECTED: one weight edit should be exactly one successful op");
      process.exitCode = 1;
    }
  }
  console.log(`in-process one change with ${services} services present (best of ${repeat}): ${best.toFixed(0)} ms`);

  // where the time goes (each part alone, same process, warm cache)
  const cached = reconciler.cachedActual;
  if (cached) {
    const doc = structuredClone(current);
    doc.generation = ++generation;
    doc.ipvs.services[0].destinations[1].weight = 99;
    const loaded = lib.parseDesiredDocument(doc, "bench");
    t0 = process.hrtime.bigint();
    const ops = lib.plan(loaded.resolved, cached);
    const planMs = ms(t0);
    t0 = process.hrtime.bigint();
    const text = JSON.stringify(doc);
    const stringifyMs = ms(t0);
    console.log(
      `breakdown: pure plan() ${planMs.toFixed(0)} ms (${ops.length} op), JSON.stringify of the document ${stringifyMs.toFixed(0)} ms ` +
        `(${(text.length / 1e6).toFixed(1)} MB written to the state dir on every change)`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
