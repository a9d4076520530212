/**
 * The agent's optional local Prometheus endpoint (`--metrics-listen
 * 127.0.0.1:9101`, off by default): GET /metrics serves the collector's
 * latest sample in the text exposition format (0.0.4), plain node:http.
 * Only the services the agent owns, like the panel stream. Counters are the
 * kernel's (they restart from zero on `ipvsadm -Z` or a re-created service,
 * which Prometheus' rate() handles as a reset).
 */
import http from "node:http";
import type { StatsCollector } from "./stream";
import type { EntrySnapshot, StatsSnapshot } from "./frames";

const COUNTERS = [
  ["connections_total", "connections scheduled"],
  ["packets_in_total", "incoming packets"],
  ["packets_out_total", "outgoing packets"],
  ["bytes_in_total", "incoming bytes"],
  ["bytes_out_total", "outgoing bytes"],
] as const;

const escape = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** The snapshot in Prometheus text format; null snapshot = only the agent's up/sample metadata. */
export function formatMetrics(snapshot: StatsSnapshot | null): string {
  const out: string[] = [];
  const family = (name: string, type: "counter" | "gauge", help: string, rows: Array<[Record<string, string>, number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${escape(v)}"`)
        .join(",");
      out.push(`${name}${l ? `{${l}}` : ""} ${value}`);
    }
  };
  const services = snapshot ? [...snapshot.services] : [];
  const destinations = services.flatMap(([service, s]) => [...s.d].map(([destination, d]) => [{ service, destination }, d] as [Record<string, string>, EntrySnapshot]));
  const serviceRows = services.map(([service, s]) => [{ service }, s] as [Record<string, string>, EntrySnapshot]);
  COUNTERS.forEach(([suffix, help], n) => {
    family(`lvs_service_${suffix}`, "counter", `IPVS virtual service ${help} (ipvsadm -Ln --stats)`, serviceRows.map(([l, e]) => [l, e.c[n]]));
    family(`lvs_destination_${suffix}`, "counter", `IPVS real server ${help} (ipvsadm -Ln --stats)`, destinations.map(([l, e]) => [l, e.c[n]]));
  });
  family("lvs_service_active_connections", "gauge", "IPVS virtual service active connections (ActiveConn, summed over its real servers)", serviceRows.map(([l, e]) => [l, e.a]));
  family("lvs_service_inactive_connections", "gauge", "IPVS virtual service inactive connections (InActConn, summed over its real servers)", serviceRows.map(([l, e]) => [l, e.i]));
  family("lvs_destination_active_connections", "gauge", "IPVS real server active connections (ActiveConn)", destinations.map(([l, e]) => [l, e.a]));
  family("lvs_destination_inactive_connections", "gauge", "IPVS real server inactive connections (InActConn)", destinations.map(([l, e]) => [l, e.i]));
  if (snapshot?.totals) {
    COUNTERS.forEach(([suffix, help], n) => family(`lvs_host_${suffix}`, "counter", `all IPVS ${help} of this host (/proc/net/ip_vs_stats, every service)`, [[{}, snapshot.totals!.c[n]]]));
  }
  family("lvs_stats_sample_timestamp_seconds", "gauge", "when the agent last read the kernel's counters", snapshot ? [[{}, snapshot.at / 1000]] : []);
  return out.join("\n") + "\n";
}

/** "127.0.0.1:9101", "[::1]:9101", ":9101" → host and port; throws with a message otherwise. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new Error(`metrics listen address ${JSON.stringify(text)} is not HOST:PORT (e.g. 127.0.0.1:9101)`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port };
}

export interface MetricsServer {
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

/** Starts the endpoint; it keeps the collector sampling for as long as it runs. */
export async function startMetricsServer(collector: StatsCollector, listen: string): Promise<MetricsServer> {
  const { host, port } = parseListen(listen);
  const unsubscribe = collector.subscribe(() => undefined);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("lvs-agent: metrics are at /metrics\n");
      return;
    }
    const body = formatMetrics(collector.latest);
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
  } catch (error) {
    unsubscribe();
    throw new Error(`cannot listen for metrics on ${listen}: ${(error as Error).message}`);
  }
  const bound = server.address();
  return {
    address: { host, port: typeof bound === "object" && bound ? bound.port : port },
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
