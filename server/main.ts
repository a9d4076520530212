/**
 * The panel's HTTP entry point: one port serves the Next.js app (pages and the
 * tRPC route) and socket.io (agents and live browsers, added by later issues).
 */
import { createServer } from "node:http";
import next from "next";
import { Server as SocketServer } from "socket.io";

const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST ?? "127.0.0.1";

async function main() {
  const app = next({ dev, hostname, port });
  const handle = app.getRequestHandler();
  await app.prepare();

  const httpServer = createServer((req, res) => {
    // The API reads the client address from this header (server/trpc/request-info.ts);
    // always overwrite it so a client cannot choose its own address.
    req.headers["x-lvs-client-address"] = req.socket.remoteAddress ?? "";
    void handle(req, res);
  });
  const io = new SocketServer(httpServer, { path: "/socket.io", serveClient: false });
  void io;

  httpServer.listen(port, hostname, () => {
    console.log(`lvs-control panel listening on http://${hostname}:${port}`);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
