/**
 * A panel process without Next.js: /api/health, /metrics and socket.io
 * (/agent gateway + /live) on one port — what server/main.ts runs minus the
 * pages. Used where several panel processes or a panel in a child process are
 * needed (the two-process live test, bench/stats-fanout.ts).
 *
 *   DATABASE_URL=… PORT=0 npx tsx server/stats/socket-panel.ts
 * prints one line `{"port":N}` once listening; SIGTERM stops it.
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { Server as SocketServer } from "socket.io";
import { AGENT_MAX_MESSAGE_BYTES, attachAgentGateway, type LiveAgentGateway } from "@/server/agent-gateway/gateway";
import { registerAgentGateway } from "@/server/agent-gateway/registry";
import { openDatabase, type Database } from "@/server/db";
import { handleMetrics } from "./metrics";
import { startStatsRuntime, type StatsRuntime } from "./runtime";

export interface SocketPanel {
  port: number;
  httpServer: HttpServer;
  io: SocketServer;
  gateway: LiveAgentGateway;
  stats: StatsRuntime;
  close(): Promise<void>;
}

export async function startSocketPanel(db: Database, options: { port?: number; host?: string; databaseUrl?: string; log?: (line: string) => void } = {}): Promise<SocketPanel> {
  const httpServer = createServer((req, res) => {
    if (req.url === "/api/health") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"status":"ok"}');
      return;
    }
    if (handleMetrics(req, res, async () => db)) return;
    res.writeHead(404);
    res.end();
  });
  const io = new SocketServer(httpServer, { path: "/socket.io", serveClient: false, maxHttpBufferSize: AGENT_MAX_MESSAGE_BYTES });
  const log = options.log ?? (() => undefined);
  const gateway = attachAgentGateway(io, { db, log });
  const stats = await startStatsRuntime(io, { db, gateway, databaseUrl: options.databaseUrl, log });
  await new Promise<void>((resolve) => httpServer.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  return {
    port: (httpServer.address() as AddressInfo).port,
    httpServer,
    io,
    gateway,
    stats,
    async close() {
      await gateway.close();
      await stats.close();
      registerAgentGateway(null);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}

if (process.argv[1] && /socket-panel\.ts$/.test(process.argv[1])) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("DATABASE_URL is required");
    process.exit(2);
  }
  void (async () => {
    const db = await openDatabase(url);
    const panel = await startSocketPanel(db, { port: Number(process.env.PORT ?? 0), databaseUrl: url, log: process.env.PANEL_LOG ? (l) => console.error(l) : undefined });
    console.log(JSON.stringify({ port: panel.port }));
    // bench/stats-fanout.ts: the process's own CPU time, RSS and ring memory, every PANEL_REPORT_MS
    const reportMs = Number(process.env.PANEL_REPORT_MS ?? 0);
    if (reportMs > 0) {
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      // garbage-collection pauses (main thread), summed and the longest, per report
      let gcMs = 0;
      let gcMaxMs = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          gcMs += e.duration;
          if (e.duration > gcMaxMs) gcMaxMs = e.duration;
        }
      }).observe({ entryTypes: ["gc"] });
      setInterval(() => {
        const cpu = process.cpuUsage();
        const loopP99 = loop.percentile(99) / 1e6;
        const loopMax = loop.max / 1e6;
        loop.reset();
        console.log(JSON.stringify({ t: Date.now(), cpuUs: cpu.user + cpu.system, rss: process.memoryUsage().rss, rings: panel.stats.ingest.memory(), emitted: panel.stats.live.emitted, loopP99, loopMax, gcMs, gcMaxMs }));
        gcMs = 0;
        gcMaxMs = 0;
      }, reportMs).unref();
    }
    const stop = () => {
      void panel.close().finally(() => void db.close().finally(() => process.exit(0)));
      setTimeout(() => process.exit(0), 3000).unref();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  })().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
