/**
 * The panel's HTTP entry point: one port serves the Next.js app (pages and the
 * tRPC route) and socket.io (agents and live browsers, added by later issues).
 *
 * Start-up order: apply the committed migrations (`prisma migrate deploy`) to
 * the database chosen by DATABASE_URL, prepare Next, then listen. A failed
 * migration stops the start with the reason instead of serving a broken panel.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import next from "next";
import { Server as SocketServer } from "socket.io";
import { AGENT_MAX_MESSAGE_BYTES, attachAgentGateway } from "./agent-gateway/gateway";
import { getDatabase } from "./db";
import { deployMigrations } from "./db/deploy";
import { handleMetrics } from "./stats/metrics";
import { startStatsRuntime } from "./stats/runtime";
import { CLIENT_ADDRESS_HEADER } from "./trpc/request-info";

const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST ?? "127.0.0.1";

/** Liveness for load balancers, the proxy and the test harness; says nothing about data. */
function handleHealth(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.url !== "/api/health") return false;
  res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify({ status: "ok" }));
  return true;
}

async function main() {
  await deployMigrations();
  const app = next({ dev, hostname, port });
  const handle = app.getRequestHandler();
  await app.prepare();

  const httpServer = createServer((req, res) => {
    if (handleHealth(req, res)) return;
    if (handleMetrics(req, res, getDatabase)) return; // Prometheus, bearer token (server/stats/metrics.ts)
    // The API reads the client address from this header (server/trpc/request-info.ts);
    // always overwrite it so a client cannot choose its own address.
    req.headers[CLIENT_ADDRESS_HEADER] = req.socket.remoteAddress ?? "";
    void handle(req, res);
  });
  const io = new SocketServer(httpServer, { path: "/socket.io", serveClient: false, maxHttpBufferSize: AGENT_MAX_MESSAGE_BYTES });
  // Agents (namespace /agent); registered on globalThis so tRPC code in Next's bundle reaches it.
  const agentGateway = attachAgentGateway(io, { db: await getDatabase() });
  // Live stats (#5): ingest, /live for browsers, rollups; registered for getStatsIngest()/getLiveHub().
  const stats = await startStatsRuntime(io, { db: await getDatabase(), gateway: agentGateway });

  httpServer.listen(port, hostname, () => {
    console.log(`lvs-control panel listening on http://${hostname}:${port}`);
  });
  const stop = () => {
    void agentGateway.close();
    void stats.close();
    io.close();
    httpServer.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
