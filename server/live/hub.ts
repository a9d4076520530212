/**
 * How panel code reaches browsers watching live pages: ONE accessor,
 * `getLiveHub()`, registered on `globalThis` (`__lvsLiveHub`) by whoever owns
 * the socket.io server (server/main.ts, or a test) — like getAgentGateway(),
 * because Next's bundle does not share module singletons with main.ts.
 * Null without a live namespace (unit tests, scripts): callers skip the emit.
 *
 * emitToCluster / emitToService reach every browser in the room on EVERY panel
 * process (through the socket.io Postgres adapter when there are several).
 */
export interface LiveHub {
  /** Emits `event` (shared/live LiveEvents) to room cluster:<id>. */
  emitToCluster(clusterId: string, event: string, payload: unknown): void;
  /** Emits `event` to room service:<id>. */
  emitToService(serviceId: string, event: string, payload: unknown): void;
}

const registry = globalThis as unknown as { __lvsLiveHub?: LiveHub };

export function getLiveHub(): LiveHub | null {
  return registry.__lvsLiveHub ?? null;
}

/** Installs (or with null removes) the process's live hub. */
export function registerLiveHub(hub: LiveHub | null): void {
  if (hub) registry.__lvsLiveHub = hub;
  else delete registry.__lvsLiveHub;
}
