/**
 * Prometheus exposition (issue #5): GET /metrics on the panel, text format
 * 0.0.4, `Authorization: Bearer <API token>` (any role; 401 otherwise).
 *
 * Labels are bounded by the configuration, never by traffic: cluster (name),
 * service ("TCP 192.0.2.10:80", "FWMARK 5 (192.0.2.10)"), real_server
 * ("10.0.0.11:80"; absent on the service's own series), host (agent_up).
 * Counters are the kernel's cumulative counters summed over the cluster's
 * directors that reported in the last seconds: they reset when a director's
 * counters reset (ipvsadm -Z, reboot) or a director stops reporting —
 * Prometheus' rate()/increase() handle such resets.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { getAgentGateway } from "@/server/agent-gateway/registry";
import type { Database } from "@/server/db";
import { read } from "@/server/repositories/db";
import { enrolledHosts } from "@/server/repositories/stats";
import { resolveAuth } from "@/server/services/auth";
import type { PrometheusSample } from "./ingest";
import { getStatsService } from "./access";

export const METRICS_PATH = "/metrics";
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const COUNTERS: [name: string, help: string][] = [
  ["lvs_connections_total", "Connections IPVS scheduled to the service / real server (cumulative, summed over the cluster's directors; resets with the kernel counters)."],
  ["lvs_packets_in_total", "Incoming packets (cumulative, summed over the directors; resets with the kernel counters)."],
  ["lvs_packets_out_total", "Outgoing packets (cumulative, summed over the directors; NAT only, DR/TUN replies bypass the director)."],
  ["lvs_bytes_in_total", "Incoming bytes (cumulative, summed over the directors; resets with the kernel counters)."],
  ["lvs_bytes_out_total", "Outgoing bytes (cumulative, summed over the directors; NAT only)."],
];

export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labels(s: PrometheusSample): string {
  const parts = [`cluster="${escapeLabel(s.cluster)}"`, `service="${escapeLabel(s.service)}"`];
  if (s.realServer !== null) parts.push(`real_server="${escapeLabel(s.realServer)}"`);
  return `{${parts.join(",")}}`;
}

function num(v: number): string {
  return Number.isFinite(v) ? String(v) : "NaN";
}

/** The exposition text for these samples and agents (pure). */
export function renderMetrics(samples: PrometheusSample[], agents: { host: string; up: boolean }[]): string {
  const out: string[] = [];
  COUNTERS.forEach(([name, help], k) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const s of samples) out.push(`${name}${labels(s)} ${num(s.counters[k])}`);
  });
  out.push("# HELP lvs_active_connections Active (ESTABLISHED) connections, summed over the directors.", "# TYPE lvs_active_connections gauge");
  for (const s of samples) out.push(`lvs_active_connections${labels(s)} ${num(s.active)}`);
  out.push("# HELP lvs_inactive_connections Inactive connections (other states), summed over the directors.", "# TYPE lvs_inactive_connections gauge");
  for (const s of samples) out.push(`lvs_inactive_connections${labels(s)} ${num(s.inactive)}`);
  out.push("# HELP lvs_agent_up 1 when the host's agent is connected to the panel (or reported stats in the last seconds).", "# TYPE lvs_agent_up gauge");
  for (const a of agents) out.push(`lvs_agent_up{host="${escapeLabel(a.host)}"} ${a.up ? 1 : 0}`);
  return `${out.join("\n")}\n`;
}

/** Answers GET /metrics; false when the request is not for /metrics. */
export function handleMetrics(req: IncomingMessage, res: ServerResponse, getDb: () => Promise<Database>): boolean {
  const path = (req.url ?? "").split("?")[0];
  if (path !== METRICS_PATH) return false;
  void serveMetrics(req, res, getDb).catch((error) => {
    console.error(`metrics: ${(error as Error).message}`);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
    res.end("metrics failed; see the panel log\n");
  });
  return true;
}

async function serveMetrics(req: IncomingMessage, res: ServerResponse, getDb: () => Promise<Database>) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" });
    res.end("use GET\n");
    return;
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? null;
  const db = await getDb();
  const auth = bearer ? await resolveAuth(db, { bearerToken: bearer, sessionToken: null, clientAddress: req.socket.remoteAddress ?? "" }) : null;
  if (!auth?.actor) {
    res.writeHead(401, { "www-authenticate": 'Bearer realm="lvs-control"', "content-type": "text/plain", "cache-control": "no-store" });
    res.end(`${auth?.problem ?? "an API token is required: Authorization: Bearer <token>"}\n`);
    return;
  }
  const ingest = getStatsService();
  const gateway = getAgentGateway();
  const hosts = await read(db, (q) => enrolledHosts(q));
  const text = renderMetrics(
    ingest?.prometheusSamples() ?? [],
    hosts.map((h) => ({ host: h.name, up: gateway.isOnline(h.id) || (ingest?.presence(h.id).online ?? false) })),
  );
  res.writeHead(200, { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : text);
}
