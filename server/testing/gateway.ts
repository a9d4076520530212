/**
 * A real agent gateway for integration tests: socket.io on an ephemeral
 * loopback port with the /agent namespace, registered for getAgentGateway()
 * like server/main.ts does. Also points the process database (getDatabase())
 * at the test database, so the agent HTTP route handlers can be called too.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { AGENT_MAX_MESSAGE_BYTES, attachAgentGateway, type LiveAgentGateway } from "@/server/agent-gateway/gateway";
import { registerAgentGateway } from "@/server/agent-gateway/registry";
import type { Database } from "@/server/db";

export interface TestGateway {
  url: string;
  gateway: LiveAgentGateway;
  logs: string[];
  close(): Promise<void>;
}

export async function startTestGateway(db: Database): Promise<TestGateway> {
  const httpServer = createServer();
  const io = new Server(httpServer, { path: "/socket.io", serveClient: false, maxHttpBufferSize: AGENT_MAX_MESSAGE_BYTES });
  const logs: string[] = [];
  const gateway = attachAgentGateway(io, { db, log: (line) => logs.push(line) });
  (globalThis as unknown as { lvsDatabase?: Promise<Database> }).lvsDatabase = Promise.resolve(db);
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    gateway,
    logs,
    async close() {
      await gateway.close();
      registerAgentGateway(null);
      delete (globalThis as unknown as { lvsDatabase?: unknown }).lvsDatabase;
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
