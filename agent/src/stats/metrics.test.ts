import { afterEach, describe, expect, it } from "vitest";
import { FakeKernel } from "../kernel/fake";
import type { Five, StatsSnapshot } from "./frames";
import { formatMetrics, parseListen, startMetricsServer, type MetricsServer } from "./metrics";
import { StatsCollector } from "./stream";

const Z: Five = [0, 0, 0, 0, 0];

describe("Prometheus text format", () => {
  it("service and destination counters and gauges with service/destination labels, host totals", () => {
    const snapshot: StatsSnapshot = {
      at: 1_700_000_000_500,
      services: new Map([
        ["tcp 192.0.2.10:80", { c: [10, 60, 50, 3940, 80000], r: Z, a: 2, i: 1, d: new Map([["10.0.0.11:80", { c: [10, 60, 50, 3940, 80000] as Five, r: Z, a: 2, i: 1 }]]) }],
        ["tcp [2001:db8::1]:443", { c: [1, 2, 3, 4, 5], r: null, a: 0, i: 0, d: new Map() }],
      ]),
      totals: { c: [11, 62, 53, 3944, 80005], r: null },
    };
    const text = formatMetrics(snapshot);
    const lines = text.split("\n");
    expect(lines).toContain('lvs_service_connections_total{service="tcp 192.0.2.10:80"} 10');
    expect(lines).toContain('lvs_service_bytes_out_total{service="tcp [2001:db8::1]:443"} 5');
    expect(lines).toContain('lvs_destination_packets_in_total{service="tcp 192.0.2.10:80",destination="10.0.0.11:80"} 60');
    expect(lines).toContain('lvs_destination_active_connections{service="tcp 192.0.2.10:80",destination="10.0.0.11:80"} 2');
    expect(lines).toContain('lvs_service_inactive_connections{service="tcp 192.0.2.10:80"} 1');
    expect(lines).toContain("lvs_host_connections_total 11");
    expect(lines).toContain("lvs_stats_sample_timestamp_seconds 1700000000.5");
    expect(lines).toContain("# TYPE lvs_service_connections_total counter");
    expect(lines).toContain("# TYPE lvs_service_active_connections gauge");
    // every sample line is NAME{labels} VALUE or NAME VALUE
    for (const line of lines.filter((l) => l && !l.startsWith("#"))) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? [0-9.e+]+$/);
  });

  it("before the first sample: metadata only, no series", () => {
    expect(formatMetrics(null).split("\n").filter((l) => l && !l.startsWith("#"))).toEqual([]);
  });

  it.each([
    ["127.0.0.1:9101", { host: "127.0.0.1", port: 9101 }],
    ["[::1]:9101", { host: "::1", port: 9101 }],
    [":9101", { host: "0.0.0.0", port: 9101 }],
  ])("parseListen(%s)", (text, expected) => expect(parseListen(text)).toEqual(expected));

  it.each(["9101", "127.0.0.1", "127.0.0.1:70000", "host:port"])("parseListen(%s) is an error", (text) => {
    expect(() => parseListen(text)).toThrow(/is not HOST:PORT/);
  });
});

describe("metrics endpoint", () => {
  let server: MetricsServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it("serves the latest sample of the owned services on GET /metrics, 404 elsewhere", async () => {
    const kernel = new FakeKernel();
    await kernel.ipvs.restore(["-A -t 192.0.2.10:80 -s rr", "-a -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 1", "-A -t 198.51.100.1:80 -s rr"]);
    kernel.traffic("tcp 192.0.2.10:80", "10.0.0.11:80", { conns: 7, activeconns: 3 });
    const collector = new StatsCollector({ kernel: kernel.stats, intervalMs: 50, owned: () => new Set(["tcp 192.0.2.10:80"]) });
    server = await startMetricsServer(collector, "127.0.0.1:0");
    const url = `http://127.0.0.1:${server.address.port}`;
    let body = "";
    for (let i = 0; i < 100 && !body.includes("lvs_service_connections_total{"); i++) {
      body = await (await fetch(`${url}/metrics`)).text();
      if (!body.includes("lvs_service_connections_total{")) await new Promise((r) => setTimeout(r, 20));
    }
    expect(body).toContain('lvs_service_connections_total{service="tcp 192.0.2.10:80"} 7');
    expect(body).toContain('lvs_destination_active_connections{service="tcp 192.0.2.10:80",destination="10.0.0.11:80"} 3');
    expect(body).not.toContain("198.51.100.1");
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("a port in use is a clear error", async () => {
    const collector = new StatsCollector({ kernel: new FakeKernel().stats, intervalMs: 1000, owned: () => new Set() });
    server = await startMetricsServer(collector, "127.0.0.1:0");
    await expect(startMetricsServer(collector, `127.0.0.1:${server.address.port}`)).rejects.toThrow(/cannot listen for metrics on 127.0.0.1:\d+: .*EADDRINUSE/);
  });
});
