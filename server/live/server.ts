/**
 * The `/live` socket.io namespace (issue #5, contract in shared/live):
 * browsers watching a cluster or a virtual service.
 *
 * - Handshake: the session cookie must resolve to a signed-in user (any role);
 *   otherwise the connection is refused. Sessions are re-checked every
 *   SESSION_RECHECK_MS; a socket whose session ended is disconnected.
 * - "subscribe" / "unsubscribe" (LiveSubscription, zod-validated, the cluster
 *   or service must exist) join / leave room cluster:<id> / service:<id>.
 * - After each applied stats frame the rooms it touched get a cluster-stats /
 *   service-stats frame, at most one per MIN_EMIT_INTERVAL_MS per room (≈1 Hz per director: a
 *   cluster with two directors gets up to 2 Hz, each frame carrying the newest sums), and
 *   only rooms with members on THIS process are computed and emitted to
 *   (`local`): every process applies every frame (frames of agents connected
 *   elsewhere arrive through the adapter, see forwardFrames), so each process
 *   serves its own browsers. Nobody watching = no frame built.
 * - emitToCluster / emitToService (LiveHub, used by health #6) broadcast
 *   through the adapter to every process.
 * With PostgreSQL the namespace uses @socket.io/postgres-adapter
 * (LISTEN/NOTIFY; payloads over 8,000 bytes go through a small table).
 */
import { createAdapter } from "@socket.io/postgres-adapter";
import type pg from "pg";
import type { Namespace, Server, Socket } from "socket.io";
import type { AgentGateway } from "@/server/agent-gateway/registry";
import type { Database } from "@/server/db";
import { read } from "@/server/repositories/db";
import * as repo from "@/server/repositories/stats";
import type { Actor } from "@/server/services/actor";
import { resolveAuth } from "@/server/services/auth";
import { SESSION_COOKIE } from "@/server/services/auth/secrets";
import type { StatsIngestService } from "@/server/stats/ingest";
import { parseCookies } from "@/server/trpc/request-info";
import { StatsFrameSchema, type StatsFrame } from "@/shared/agent-protocol";
import {
  LIVE_NAMESPACE,
  LiveEvents,
  LiveSubscriptionSchema,
  liveRoom,
  type AgentPresence,
  type ClusterLiveFrame,
  type ServiceLiveFrame,
  type SubscribeAck,
} from "@/shared/live";
import { registerLiveHub, type LiveHub } from "./hub";

export const MIN_EMIT_INTERVAL_MS = 200;
export const SESSION_RECHECK_MS = 60_000;
export const CLUSTER_INFO_TTL_MS = 15_000;
export const MAX_ROOMS_PER_SOCKET = 200;
/** server-to-server events (several panel processes) */
const FORWARD_FRAME = "lvs:stats-frame";
const FORWARD_DOWN = "lvs:stats-host-down";
/** the adapter's table for payloads over PostgreSQL's NOTIFY limit (not a Prisma model) */
export const ADAPTER_TABLE = "lvs_socketio_attachments";

type LiveSocket = Socket & { data: { actor: Actor; sessionToken: string } };

export interface LiveServerOptions {
  db: Database;
  ingest: StatsIngestService;
  /** presence of agents connected to this process */
  gateway?: Pick<AgentGateway, "isOnline">;
  /** PostgreSQL pool for the cross-process adapter (null: one process) */
  adapterPool?: pg.Pool | null;
  log?: (line: string) => void;
}

interface ClusterInfoEntry {
  info: repo.ClusterStatsInfo | null;
  loadedAt: number;
  loading: Promise<repo.ClusterStatsInfo | null> | null;
}

function clientAddress(socket: Socket): string {
  return (socket.handshake.address ?? "").replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
}

export class LiveServer implements LiveHub {
  readonly namespace: Namespace;
  private readonly log: (line: string) => void;
  private readonly clusterInfo = new Map<string, ClusterInfoEntry>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly lastEmit = new Map<string, number>();
  private readonly removeListener: () => void;
  private readonly recheck: NodeJS.Timeout;
  private closed = false;
  /** frames emitted to rooms (for tests and the bench) */
  emitted = 0;

  constructor(
    io: Server,
    private readonly options: LiveServerOptions,
  ) {
    this.log = options.log ?? ((line) => console.log(line));
    this.namespace = io.of(LIVE_NAMESPACE);
    if (options.adapterPool) {
      const adapter = createAdapter(options.adapterPool, { tableName: ADAPTER_TABLE, errorHandler: (e) => this.log(`live: adapter: ${e.message}`) })(this.namespace);
      (this.namespace as unknown as { adapter: unknown }).adapter = adapter;
      void Promise.resolve(adapter.init());
      this.forwardFrames();
    }
    this.namespace.use((socket, next) => {
      if (this.closed) return next(new Error("the panel is shutting down"));
      void this.authenticate(socket).then(
        (auth) => {
          if (!auth) return next(new Error("unauthorized: sign in to watch live stats"));
          Object.assign((socket as LiveSocket).data, auth);
          next();
        },
        (error) => {
          this.log(`live: authentication failed: ${(error as Error).message}`);
          next(new Error("unauthorized: the panel could not check the session"));
        },
      );
    });
    this.namespace.on("connection", (socket) => this.onConnection(socket as LiveSocket));
    this.removeListener = options.ingest.addListener({ applied: (_h, clusters, services) => this.onApplied(clusters, services) });
    this.recheck = setInterval(() => void this.recheckSessions(), SESSION_RECHECK_MS);
    this.recheck.unref();
  }

  private async authenticate(socket: Socket): Promise<{ actor: Actor; sessionToken: string } | null> {
    const sessionToken = parseCookies(socket.handshake.headers.cookie ?? null).get(SESSION_COOKIE) || null;
    if (!sessionToken) {
      this.log(`live: refused a connection from ${clientAddress(socket)}: no session cookie`);
      return null;
    }
    const auth = await resolveAuth(this.options.db, { sessionToken, bearerToken: null, clientAddress: clientAddress(socket) });
    if (!auth.actor) this.log(`live: refused a connection from ${clientAddress(socket)}: ${auth.problem ?? "not signed in"}`);
    return auth.actor ? { actor: auth.actor, sessionToken } : null;
  }

  private async recheckSessions() {
    for (const socket of this.namespace.sockets.values()) {
      const s = socket as LiveSocket;
      try {
        const auth = await resolveAuth(this.options.db, { sessionToken: s.data.sessionToken, bearerToken: null, clientAddress: clientAddress(s) });
        if (!auth.actor) s.disconnect(true);
      } catch {
        // database hiccup: keep the socket, try again next time
      }
    }
  }

  private onConnection(socket: LiveSocket) {
    socket.on(LiveEvents.subscribe, (payload: unknown, ack?: unknown) => {
      const reply = (a: SubscribeAck) => (typeof ack === "function" ? (ack as (a: SubscribeAck) => void)(a) : undefined);
      void this.subscribe(socket, payload).then(reply, (error) => {
        this.log(`live: subscribe failed: ${(error as Error).message}`);
        reply({ ok: false, error: "the panel could not check the subscription" });
      });
    });
    socket.on(LiveEvents.unsubscribe, (payload: unknown, ack?: unknown) => {
      const parsed = LiveSubscriptionSchema.safeParse(payload);
      if (parsed.success) void socket.leave(parsed.data.scope === "cluster" ? liveRoom.cluster(parsed.data.clusterId) : liveRoom.service(parsed.data.serviceId));
      if (typeof ack === "function") (ack as (a: SubscribeAck) => void)(parsed.success ? { ok: true } : { ok: false, error: "invalid subscription" });
    });
  }

  private async subscribe(socket: LiveSocket, payload: unknown): Promise<SubscribeAck> {
    const parsed = LiveSubscriptionSchema.safeParse(payload);
    if (!parsed.success) return { ok: false, error: `invalid subscription: ${parsed.error.issues[0]?.message ?? "bad shape"}` };
    if (socket.rooms.size > MAX_ROOMS_PER_SOCKET) return { ok: false, error: `at most ${MAX_ROOMS_PER_SOCKET} subscriptions per connection` };
    const sub = parsed.data;
    if (sub.scope === "cluster") {
      const info = await this.loadClusterInfo(sub.clusterId, true);
      if (!info) return { ok: false, error: "no such cluster" };
      await socket.join(liveRoom.cluster(sub.clusterId));
      const frame = this.clusterFrame(sub.clusterId);
      if (frame) socket.emit(LiveEvents.clusterStats, frame);
    } else {
      if (!(await read(this.options.db, (q) => repo.serviceExists(q, sub.serviceId)))) return { ok: false, error: "no such virtual service" };
      await socket.join(liveRoom.service(sub.serviceId));
      const frame = this.serviceFrame(sub.serviceId);
      if (frame) socket.emit(LiveEvents.serviceStats, frame);
    }
    return { ok: true };
  }

  // --- frames ------------------------------------------------------------------------

  private watched(room: string): boolean {
    return (this.namespace.adapter.rooms.get(room)?.size ?? 0) > 0;
  }

  private onApplied(clusterIds: Iterable<string>, serviceIds: Iterable<string>) {
    if (this.closed || this.namespace.adapter.rooms.size === 0) return;
    for (const id of clusterIds) if (this.watched(liveRoom.cluster(id))) this.schedule("c", id);
    for (const id of serviceIds) if (this.watched(liveRoom.service(id))) this.schedule("s", id);
  }

  /** One frame per room per MIN_EMIT_INTERVAL_MS; frames of several directors arriving together make one emit. */
  private schedule(kind: "c" | "s", id: string) {
    const key = `${kind}${id}`;
    if (this.pending.has(key)) return;
    const wait = Math.max(0, (this.lastEmit.get(key) ?? 0) + MIN_EMIT_INTERVAL_MS - Date.now());
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        this.lastEmit.set(key, Date.now());
        if (kind === "c") {
          const frame = this.clusterFrame(id);
          if (frame) this.namespace.local.to(liveRoom.cluster(id)).emit(LiveEvents.clusterStats, frame);
        } else {
          const frame = this.serviceFrame(id);
          if (frame) this.namespace.local.to(liveRoom.service(id)).emit(LiveEvents.serviceStats, frame);
        }
        this.emitted++;
      }, wait),
    );
  }

  private loadClusterInfo(clusterId: string, wait: boolean): Promise<repo.ClusterStatsInfo | null> | repo.ClusterStatsInfo | null {
    let entry = this.clusterInfo.get(clusterId);
    const stale = !entry || Date.now() - entry.loadedAt > CLUSTER_INFO_TTL_MS;
    if (stale && !entry?.loading) {
      const e: ClusterInfoEntry = entry ?? { info: null, loadedAt: 0, loading: null };
      e.loading = read(this.options.db, (q) => repo.clusterStatsInfo(q, clusterId))
        .then((info) => {
          e.info = info;
          e.loadedAt = Date.now();
          return info;
        })
        .catch((error) => {
          this.log(`live: could not load cluster ${clusterId}: ${(error as Error).message}`);
          return e.info;
        })
        .finally(() => {
          e.loading = null;
        });
      this.clusterInfo.set(clusterId, e);
      entry = e;
    }
    if (wait && (stale || !entry!.info)) return entry!.loading ?? Promise.resolve(entry!.info);
    return entry!.info;
  }

  /** Agents of a cluster: online when a frame arrived recently (any process) or its agent is connected here. */
  presence(info: repo.ClusterStatsInfo): AgentPresence[] {
    return info.hosts.map((h) => {
      const p = this.options.ingest.presence(h.hostId);
      const seen = Math.max(h.lastSeenAt?.getTime() ?? 0, p.lastFrameAt ?? 0);
      return {
        hostId: h.hostId,
        name: h.name,
        role: h.role,
        online: p.online || (this.options.gateway?.isOnline(h.hostId) ?? false),
        lastSeenAt: seen > 0 ? new Date(seen).toISOString() : null,
      };
    });
  }

  clusterFrame(clusterId: string): ClusterLiveFrame | null {
    const ingest = this.options.ingest;
    const info = this.loadClusterInfo(clusterId, false) as repo.ClusterStatsInfo | null;
    const at = ingest.newestAt("cluster", clusterId);
    if (at === 0 && !info) return null;
    const ids = info ? info.services.map((s) => s.id) : ingest.servicesOf(clusterId);
    return {
      clusterId,
      at: at || Date.now(),
      totals: ingest.latest("cluster", clusterId),
      services: ids.map((id) => ({ id, ...ingest.latest("service", id) })),
      agents: info ? this.presence(info) : [],
    };
  }

  serviceFrame(serviceId: string): ServiceLiveFrame | null {
    const ingest = this.options.ingest;
    const at = ingest.newestAt("service", serviceId);
    if (at === 0) return null;
    return {
      serviceId,
      at,
      service: ingest.latest("service", serviceId),
      realServers: ingest.realServersOf(serviceId).map((id) => ({ id, ...ingest.latest("realServer", id) })),
    };
  }

  // --- several processes -------------------------------------------------------------

  private forwardFrames() {
    const ingest = this.options.ingest;
    ingest.onLocalFrame = (hostId, frame) => {
      if (!this.closed) this.namespace.serverSideEmit(FORWARD_FRAME, hostId, frame);
    };
    ingest.onLocalDisconnect = (hostId) => {
      if (!this.closed) this.namespace.serverSideEmit(FORWARD_DOWN, hostId);
    };
    this.namespace.on(FORWARD_FRAME, (hostId: unknown, frame: unknown) => {
      if (typeof hostId !== "string") return;
      const parsed = StatsFrameSchema.safeParse(frame);
      if (parsed.success) ingest.ingestForwarded(hostId, parsed.data as StatsFrame);
    });
    this.namespace.on(FORWARD_DOWN, (hostId: unknown) => {
      if (typeof hostId === "string") ingest.markDisconnected(hostId);
    });
  }

  // --- LiveHub -------------------------------------------------------------------------

  emitToCluster(clusterId: string, event: string, payload: unknown): void {
    if (!this.closed) this.namespace.to(liveRoom.cluster(clusterId)).emit(event, payload);
  }

  emitToService(serviceId: string, event: string, payload: unknown): void {
    if (!this.closed) this.namespace.to(liveRoom.service(serviceId)).emit(event, payload);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.removeListener();
    clearInterval(this.recheck);
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    this.options.ingest.onLocalFrame = null;
    this.options.ingest.onLocalDisconnect = null;
    this.namespace.disconnectSockets(true);
    this.namespace.removeAllListeners();
    await Promise.resolve((this.namespace.adapter as { close?: () => unknown }).close?.());
  }
}

/** Creates the adapter's attachment table (PostgreSQL, several processes). */
export async function prepareAdapterTable(pool: pg.Pool): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS ${ADAPTER_TABLE} (id bigserial UNIQUE, created_at timestamptz DEFAULT NOW(), payload bytea)`);
}

export function attachLiveServer(io: Server, options: LiveServerOptions): LiveServer {
  const live = new LiveServer(io, options);
  registerLiveHub(live);
  return live;
}
