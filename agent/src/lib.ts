/**
 * The agent as a library (bundled to agent/dist/lvs-agent-lib.cjs): what the
 * lab's bench drives in-process, and what the panel connection (#4) builds on.
 *
 *   const lib = require("./agent/dist/lvs-agent-lib.cjs");
 *   const reconciler = new lib.Reconciler(lib.linuxKernel(), new lib.StateStore(stateDir));
 *   const { resolved, document } = lib.loadDesiredFile(file);       // or lib.parseDesiredDocument(json, "source")
 *   const outcome = await reconciler.reconcile(resolved, document);  // first call reads the kernel; later ones use the cache
 */
export { Reconciler, MemoryStore, HostMismatchError, TARGETED_READ_LIMIT, type ReconcileOutcome, type AgentStore } from "./reconciler";
export { StateStore } from "./state-store";
export { linuxKernel } from "./kernel/linux";
export { FakeKernel } from "./kernel/fake";
export { plan } from "./plan/plan";
export { loadDesiredFile, parseDesiredDocument, InvalidDesiredStateError } from "./desired";
export { Daemon, type DaemonEvent } from "./daemon";
export { StatsSampler, buildSample, computeRates } from "./stats/stats";
export { validateDesiredState } from "../../shared/desired-state/resolve";
export type { Op, OpResult, ActualState } from "./model";
// the panel client's handling of a "desired" push (whole or delta) and the panel's delta builder, for the bench
export { receivePush } from "./panel/push";
export { deltaPushFor } from "../../shared/agent-protocol/delta";
