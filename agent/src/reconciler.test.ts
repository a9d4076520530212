import { describe, expect, it } from "vitest";
import { validateDesiredState, type DesiredStateInput, type ResolvedState } from "../../shared/desired-state";
import { DesiredStateValidator, documentTextOf } from "../../shared/desired-state/resolve";
import { plan } from "./plan/plan";
import { FakeKernel } from "./kernel/fake";
import { MemoryStore, Reconciler, HostMismatchError } from "./reconciler";

function doc(overrides: Record<string, unknown> = {}, generation = 1): DesiredStateInput {
  return { schemaVersion: 1, generation, ipvs: { services: [] }, addresses: [], realServer: null, sysctls: {}, fwmarks: [], ...overrides } as DesiredStateInput;
}

function resolve(document: DesiredStateInput): ResolvedState {
  const result = validateDesiredState(document);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.resolved;
}

const service = (i: number, extra: Record<string, unknown> = {}) => ({
  protocol: "tcp",
  address: `192.0.2.${i}`,
  port: 80,
  scheduler: "wlc",
  destinations: [
    { address: "10.0.0.11", forwarding: "dr" },
    { address: "10.0.0.12", forwarding: "dr" },
  ],
  ...extra,
});

function setup(kernel = new FakeKernel()) {
  const store = new MemoryStore();
  return { kernel, store, reconciler: new Reconciler(kernel, store) };
}

async function apply(reconciler: Reconciler, document: DesiredStateInput, options: { fresh?: "basic" | "full" } = {}) {
  return reconciler.reconcile(resolve(document), document, options);
}

describe("Reconciler with the fake kernel", () => {
  it("applies, verifies and converges; a second plan is empty; the desired state and ownership are stored", async () => {
    const { kernel, store, reconciler } = setup();
    const d = doc({ ipvs: { services: [service(10)] }, addresses: [{ interface: "eth0", address: "192.0.2.10" }], sysctls: { "net.ipv4.ip_forward": 1 } });
    const outcome = await apply(reconciler, d);
    expect(outcome.results.every((r) => r.ok)).toBe(true);
    expect(outcome.converged).toBe(true);
    expect(kernel.calls.filter((c) => c.startsWith("ipvsadm -R"))).toEqual(["ipvsadm -R (3 lines)"]);
    expect(store.desired).toEqual(d);
    expect(store.ledger).toMatchObject({ services: ["tcp 192.0.2.10:80"], addresses: ["eth0 192.0.2.10/32"], sysctls: { "net.ipv4.ip_forward": "0" } });
    expect((await new Reconciler(kernel, store).plan(resolve(d))).ops).toEqual([]);
  });

  it("is idempotent: applying twice changes nothing the second time", async () => {
    const { kernel, reconciler } = setup();
    const d = doc({ ipvs: { services: [service(10), service(11, { scheduler: "sh", schedulerFlags: ["sh-port"], persistence: { timeout: 60 } })] }, fwmarks: [{ mark: 3, family: "ipv4", protocol: "tcp", destination: "192.0.2.12" }] });
    await apply(reconciler, d);
    const callsAfterFirst = kernel.calls.length;
    const second = await apply(new Reconciler(kernel, reconciler.store), d);
    expect(second.ops).toEqual([]);
    expect(kernel.calls.length).toBe(callsAfterFirst);
  });

  it("never touches a foreign service or address, and reports a conflict for an unowned desired service", async () => {
    const kernel = new FakeKernel();
    kernel.addForeignService("-A -t 198.51.100.1:80 -s rr", ["-a -t 198.51.100.1:80 -r 10.0.0.50:80 -g -w 1"]);
    kernel.addForeignService("-A -t 192.0.2.11:80 -s rr");
    kernel.addForeignAddress("eth0", "198.51.100.1/32");
    const { reconciler } = setup(kernel);
    const outcome = await apply(reconciler, doc({ ipvs: { services: [service(10), service(11)] } }));
    const conflict = outcome.results.find((r) => r.op.kind === "ipvs-conflict")!;
    expect(conflict.ok).toBe(false);
    expect(conflict.error).toMatch(/tcp 192.0.2.11:80 already exists but was not created by lvs-agent/);
    expect(outcome.converged).toBe(false);
    expect(kernel.services.get("tcp 192.0.2.11:80")!.scheduler).toBe("rr");
    // removing everything we own leaves the foreign objects
    await apply(reconciler, doc({}, 2));
    expect(kernel.serviceKeys()).toEqual(["tcp 192.0.2.11:80", "tcp 198.51.100.1:80"]);
    expect(kernel.services.get("tcp 198.51.100.1:80")!.destinations).toHaveLength(1);
    expect(kernel.links.get("eth0")!.addresses.map((a) => a.address)).toEqual(["198.51.100.1"]);
  });

  it("when the batch fails, every op gets its own result and the rest is applied", async () => {
    const { kernel, reconciler } = setup();
    kernel.failures.push({ match: /-r 10\.0\.0\.12:80/, message: "Memory allocation problem" });
    const outcome = await apply(reconciler, doc({ ipvs: { services: [service(10), service(11)] } }));
    const failed = outcome.results.filter((r) => !r.ok);
    expect(failed.map((r) => r.op.command)).toEqual(["ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.12:80 -g -w 1", "ipvsadm -a -t 192.0.2.11:80 -r 10.0.0.12:80 -g -w 1"]);
    expect(failed.every((r) => r.error === "Memory allocation problem")).toBe(true);
    expect(outcome.results.filter((r) => r.ok)).toHaveLength(4);
    expect(outcome.converged).toBe(false);
    expect(kernel.services.get("tcp 192.0.2.10:80")!.destinations.map((d) => d.key)).toEqual(["10.0.0.11:80"]);
    // once the cause is gone, the next reconcile (cache dropped after the failure) repairs it
    kernel.failures = [];
    const retry = await apply(reconciler, doc({ ipvs: { services: [service(10), service(11)] } }));
    expect(retry.ops.map((op) => op.command)).toEqual(["ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.12:80 -g -w 1", "ipvsadm -a -t 192.0.2.11:80 -r 10.0.0.12:80 -g -w 1"]);
    expect(retry.converged).toBe(true);
  });

  it("when the batch says which lines failed (the ipvsadm session), those ops fail with their own message and nothing is run again", async () => {
    const { kernel, reconciler } = setup();
    kernel.restoreSaysWhichLine = true;
    const runs: string[] = [];
    const run = kernel.ipvs.run;
    kernel.ipvs.run = (line: string) => (runs.push(line), run(line));
    kernel.failures.push({ match: /-r 10\.0\.0\.12:80/, message: "Memory allocation problem" });
    const outcome = await apply(reconciler, doc({ ipvs: { services: [service(10), service(11)] } }));
    expect(outcome.results.filter((r) => !r.ok).map((r) => r.error)).toEqual([
      "ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.12:80 -g -w 1: Memory allocation problem",
      "ipvsadm -a -t 192.0.2.11:80 -r 10.0.0.12:80 -g -w 1: Memory allocation problem",
    ]);
    expect(outcome.results.filter((r) => r.ok)).toHaveLength(4);
    expect(runs).toEqual([]);
    expect(kernel.calls.filter((c) => c.startsWith("ipvsadm -R"))).toEqual(["ipvsadm -R (6 lines)"]);
    expect(outcome.converged).toBe(false);
  });

  it("a small change and its read-back go down together where the kernel can (one session round trip), and still verify", async () => {
    const { kernel, reconciler } = setup();
    kernel.restoreSaysWhichLine = true;
    await apply(reconciler, doc({ ipvs: { services: [service(10), service(11)] } }));
    const reads = kernel.reads.services;
    const listed = kernel.listedWithRestore;
    const edit = service(11, { destinations: [{ address: "10.0.0.11", forwarding: "dr", weight: 5 }, { address: "10.0.0.12", forwarding: "dr" }] });
    const outcome = await apply(reconciler, doc({ ipvs: { services: [service(10), edit] } }, 2));
    expect(outcome.ops.map((op) => op.command)).toEqual(["ipvsadm -e -t 192.0.2.11:80 -r 10.0.0.11:80 -g -w 5"]);
    expect(outcome.converged).toBe(true);
    expect(kernel.listedWithRestore).toBe(listed + 1);
    expect(kernel.reads.services).toBe(reads + 1); // the listing that came with the batch, no other
    // what came back is what is verified: a kernel that does not take the weight is caught
    const run = kernel.ipvs.restore;
    kernel.ipvs.restore = async (lines) => ({ ok: true, errors: [], lineErrors: lines.map(() => null) }); // says ok, changes nothing
    const lying = await apply(reconciler, doc({ ipvs: { services: [service(10), service(11, { destinations: [{ address: "10.0.0.11", forwarding: "dr", weight: 7 }, { address: "10.0.0.12", forwarding: "dr" }] })] } }, 3));
    kernel.ipvs.restore = run;
    expect(lying.converged).toBe(false);
    expect(lying.results[0]).toMatchObject({ ok: false, error: "applied, but the kernel read back differs from the desired state" });
  });

  it("with lines attributed, an op that failed because the kernel already held what it asked for counts as done", async () => {
    const { kernel, reconciler } = setup();
    kernel.restoreSaysWhichLine = true;
    expect((await apply(reconciler, doc({ ipvs: { services: [service(10)] } }))).converged).toBe(true);
    // added by someone else behind the cached state: the planned add fails with "Destination already exists"
    const held = kernel.services.get("tcp 192.0.2.10:80")!;
    held.destinations.push({ ...held.destinations[0], key: "10.0.0.13:80", address: "10.0.0.13" });
    const more = service(10, { destinations: [...service(10).destinations, { address: "10.0.0.13", forwarding: "dr" }] });
    const outcome = await apply(reconciler, doc({ ipvs: { services: [more] } }, 2));
    expect(outcome.ops.map((op) => op.command)).toEqual(["ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.13:80 -g -w 1"]);
    expect(outcome.results.every((r) => r.ok)).toBe(true);
    expect(outcome.converged).toBe(true);
  });

  it("when the kernel rejects everything the same way, it stops retrying one by one after 10 identical failures", async () => {
    const { kernel, reconciler } = setup();
    kernel.failures.push({ match: /-a -t/, message: "Invalid operation.  Possibly wrong module version, address not unicast, ..." });
    const outcome = await apply(reconciler, doc({ ipvs: { services: Array.from({ length: 20 }, (_, i) => service(i + 1)) } }));
    const failed = outcome.results.filter((r) => !r.ok);
    expect(failed).toHaveLength(40);
    expect(failed.filter((r) => /not retried on its own/.test(r.error!))).toHaveLength(30);
    expect(kernel.calls.filter((c) => c.startsWith("ipvsadm -A"))).toHaveLength(20);
  });

  it("a cheap read that under-reports (the kernel's /proc/net/ip_vs with IPVS in other namespaces) never costs ownership", async () => {
    const { kernel, store, reconciler } = setup();
    const services = Array.from({ length: 20 }, (_, i) => service(i + 1));
    for (const i of [3, 9, 15]) kernel.hiddenFromBasicRead.add(`tcp 192.0.2.${i}:80`);
    const outcome = await apply(reconciler, doc({ ipvs: { services } }));
    expect(outcome.results.every((r) => r.ok)).toBe(true);
    expect(outcome.converged).toBe(true);
    expect(store.ledger.services).toHaveLength(20);
    const again = new Reconciler(kernel, store);
    expect((await again.plan(resolve(doc({ ipvs: { services } })))).ops).toEqual([]);
    expect(kernel.reads.full).toBeGreaterThan(0);
  });

  it("without IPVS, plan works and apply fails the IPVS ops with a clear message (other ops still apply)", async () => {
    const { kernel, reconciler } = setup(new FakeKernel({ ipvsAvailable: false }));
    const d = doc({ ipvs: { services: [service(10)] }, addresses: [{ interface: "eth0", address: "192.0.2.10" }] });
    const { ops } = await reconciler.plan(resolve(d));
    expect(ops.map((op) => op.kind)).toEqual(["address-add", "ipvs-add-service", "ipvs-add-dest", "ipvs-add-dest"]);
    const outcome = await apply(reconciler, d);
    expect(outcome.results.filter((r) => !r.ok).map((r) => r.error)).toEqual(Array(3).fill(expect.stringMatching(/IPVS is not available in this kernel.*nothing applied/)));
    expect(kernel.links.get("eth0")!.addresses).toHaveLength(1);
  });

  it("rejects an unknown interface before changing anything", async () => {
    const { kernel, reconciler } = setup();
    await expect(apply(reconciler, doc({ ipvs: { services: [service(10)] }, addresses: [{ interface: "eth9", address: "192.0.2.10" }] }))).rejects.toBeInstanceOf(HostMismatchError);
    expect(kernel.calls).toEqual([]);
  });

  it("reads the host's interfaces only when something desired or owned names one", async () => {
    const { kernel, reconciler } = setup();
    expect((await apply(reconciler, doc({ ipvs: { services: [service(10)] } }))).converged).toBe(true);
    expect(kernel.reads.interfaces).toBe(0);
    // an address someone else put there already: the cached state never read interfaces, the next plan must
    kernel.links.get("eth0")!.addresses.push({ address: "192.0.2.10", prefix: 32, family: 4, label: null });
    const withVip = await apply(reconciler, doc({ ipvs: { services: [service(10)] }, addresses: [{ interface: "eth0", address: "192.0.2.10" }] }, 2));
    expect(kernel.reads.interfaces).toBeGreaterThan(0);
    expect(withVip.ops).toEqual([]);
    expect(withVip.converged).toBe(true);
    // an unknown interface is still refused when the state without interfaces was cached
    const fresh = setup();
    await apply(fresh.reconciler, doc({ ipvs: { services: [service(10)] } }));
    await expect(apply(fresh.reconciler, doc({ addresses: [{ interface: "eth9", address: "192.0.2.10" }] }, 2))).rejects.toThrow(HostMismatchError);
  });

  it("a dry run against the cached state does not hide the IPVS timeouts from the next reconcile", async () => {
    const { kernel, store, reconciler } = setup();
    await apply(reconciler, doc({ ipvs: { services: [service(10)] } }));
    const want = doc({ ipvs: { services: [service(10)], timeouts: { tcp: 600, tcpfin: 60, udp: 60 } } }, 2);
    const dry = await reconciler.plan(resolve(want));
    expect(dry.ops.map((op) => op.summary)).toEqual(["set IPVS timeouts (tcp tcpfin udp) 900 120 300 → 600 60 60"]);
    const outcome = await apply(reconciler, want);
    expect(outcome.ops.map((op) => op.summary)).toEqual(["set IPVS timeouts (tcp tcpfin udp) 900 120 300 → 600 60 60"]);
    // the original is recorded, so removing the timeouts restores it
    expect(store.ledger.timeouts).toEqual({ tcp: 900, tcpfin: 120, udp: 300 });
    await apply(reconciler, doc({ ipvs: { services: [service(10)] } }, 3));
    expect(kernel.timeouts).toEqual({ tcp: 900, tcpfin: 120, udp: 300 });
  });

  it("restores sysctls and IPVS timeouts to their first recorded value when they leave the desired state", async () => {
    const { kernel, store, reconciler } = setup();
    await apply(reconciler, doc({ sysctls: { "net.ipv4.vs.conn_reuse_mode": 0 }, ipvs: { services: [], timeouts: { tcp: 600, tcpfin: 60, udp: 60 } } }));
    await apply(reconciler, doc({ sysctls: { "net.ipv4.vs.conn_reuse_mode": 2 }, ipvs: { services: [], timeouts: { tcp: 300, tcpfin: 60, udp: 60 } } }, 2));
    expect(store.ledger.sysctls).toEqual({ "net.ipv4.vs.conn_reuse_mode": "1" });
    expect(store.ledger.timeouts).toEqual({ tcp: 900, tcpfin: 120, udp: 300 });
    const outcome = await apply(reconciler, doc({}, 3));
    expect(outcome.ops.map((op) => op.command)).toEqual(["ipvsadm --set 900 120 300", "sysctl -w net.ipv4.vs.conn_reuse_mode=1"]);
    expect(kernel.sysctlValues.get("net.ipv4.vs.conn_reuse_mode")).toBe("1");
    expect(store.ledger.sysctls).toEqual({});
    expect(store.ledger.timeouts).toBeNull();
  });

  it("brings a TUN real server up and back down", async () => {
    const { kernel, reconciler } = setup();
    const rs = doc({ realServer: { forwarding: "tun", vips: ["192.0.2.10"] } });
    // tunl0 and net.ipv4.conf.tunl0.* appear only when ipip is loaded (by the agent)
    expect(kernel.sysctlValues.has("net.ipv4.conf.tunl0.rp_filter")).toBe(false);
    const outcome = await apply(reconciler, rs);
    expect(outcome.results.every((r) => r.ok)).toBe(true);
    expect(kernel.links.get("tunl0")).toMatchObject({ up: true, addresses: [{ address: "192.0.2.10", prefix: 32, label: "tunl0:lvs" }] });
    await apply(reconciler, doc({}, 2));
    expect(kernel.links.get("tunl0")).toMatchObject({ up: false, addresses: [] });
    expect(kernel.sysctlValues.get("net.ipv4.conf.all.arp_ignore")).toBe("0");
  });

  it("records ownership before changing the kernel (a crash mid-apply leaves nothing unowned)", async () => {
    const { kernel, store, reconciler } = setup();
    let ledgerAtRestore: string[] = [];
    const restore = kernel.ipvs.restore;
    kernel.ipvs.restore = async (lines) => {
      ledgerAtRestore = store.readLedger().services;
      return restore(lines);
    };
    await apply(reconciler, doc({ ipvs: { services: [service(10)] } }));
    expect(ledgerAtRestore).toEqual(["tcp 192.0.2.10:80"]);
  });

  it("the daemon path plans small changes against its cache and reads back only the touched service", async () => {
    const { kernel, reconciler } = setup();
    const services = Array.from({ length: 50 }, (_, i) => service(i + 1));
    await apply(reconciler, doc({ ipvs: { services } }));
    const reads = { ...kernel.reads };
    const changed = services.map((s, i) => (i === 7 ? { ...s, destinations: [{ address: "10.0.0.11", forwarding: "dr", weight: 9 }, s.destinations[1]] } : s));
    const outcome = await apply(reconciler, doc({ ipvs: { services: changed } }, 2));
    expect(outcome.ops.map((op) => op.command)).toEqual(["ipvsadm -e -t 192.0.2.8:80 -r 10.0.0.11:80 -g -w 9"]);
    expect(outcome.converged).toBe(true);
    expect(kernel.reads).toEqual({ ...reads, services: reads.services + 1 });
  });

  it("a periodic full read finds and repairs drift of owned objects, and hand-made objects stay", async () => {
    const { kernel, reconciler } = setup();
    const d = doc({ ipvs: { services: [service(10)] }, addresses: [{ interface: "eth0", address: "192.0.2.10" }] });
    await apply(reconciler, d);
    kernel.services.get("tcp 192.0.2.10:80")!.destinations.splice(0, 1); // ipvsadm -d by hand
    kernel.services.get("tcp 192.0.2.10:80")!.flags = ["flag-1"]; // -E by hand: only a full read shows flags
    kernel.links.get("eth0")!.addresses = [];
    kernel.addForeignService("-A -t 198.51.100.7:80 -s rr");
    const repair = await apply(reconciler, d, { fresh: "full" });
    expect(repair.ops.map((op) => op.command)).toEqual([
      "ip addr add 192.0.2.10/32 dev eth0 label eth0:lvs",
      "ipvsadm -E -t 192.0.2.10:80 -s wlc",
      "ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 1",
    ]);
    expect(repair.converged).toBe(true);
    expect(kernel.services.has("tcp 198.51.100.7:80")).toBe(true);
  });
});

/* ---------- property-style: random transitions ---------- */

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomDesired(random: () => number, generation: number): DesiredStateInput {
  const pick = <T,>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const services = [];
  for (let i = 1; i <= 6; i++) {
    if (random() < 0.4) continue;
    const protocol = pick(["tcp", "udp", "fwmark"] as const);
    const scheduler = pick(["rr", "wlc", "sh", "mh", "wrr"] as const);
    const destinations = [];
    for (let j = 11; j <= 14; j++) {
      if (random() < 0.5) continue;
      const forwarding = pick(["dr", "nat", "tun"] as const);
      destinations.push({
        address: `10.0.0.${j}`,
        forwarding,
        ...(forwarding === "nat" && protocol !== "fwmark" ? { port: pick([80, 8080]) } : {}),
        weight: pick([0, 1, 5]),
        ...(random() < 0.2 ? { upperThreshold: 100, lowerThreshold: 10 } : {}),
      });
    }
    const common = {
      scheduler,
      schedulerFlags: scheduler === "sh" && random() < 0.5 ? ["sh-port"] : [],
      ...(random() < 0.3 ? { persistence: { timeout: pick([60, 300]), netmask: pick([24, 32]) } } : {}),
      destinations,
    };
    services.push(protocol === "fwmark" ? { protocol, fwmark: i, family: "ipv4", ...common } : { protocol, address: `192.0.2.${i}`, port: 80, ...common });
  }
  const addresses = [1, 2, 3].filter(() => random() < 0.5).map((i) => ({ interface: "eth0", address: `192.0.2.${i}` }));
  const sysctls: Record<string, number> = {};
  if (random() < 0.5) sysctls["net.ipv4.ip_forward"] = 1;
  if (random() < 0.5) sysctls["net.ipv4.vs.expire_nodest_conn"] = pick([0, 1]);
  const fwmarks = random() < 0.5 ? [{ mark: pick([1, 2]), family: "ipv4" as const, protocol: "tcp" as const, destination: "192.0.2.1", ports: [80] }] : [];
  return doc({ ipvs: { services }, addresses, sysctls, fwmarks, realServer: random() < 0.3 ? { forwarding: "dr", vips: ["192.0.2.9"] } : null }, generation);
}

const ADDING = new Set(["sysctl-set", "link-up", "address-add", "nft-replace", "ipvs-set-timeouts", "ipvs-add-service", "ipvs-edit-service", "ipvs-add-dest", "ipvs-edit-dest"]);
const REMOVING = new Set(["ipvs-delete-dest", "ipvs-delete-service", "address-delete", "nft-delete", "link-down", "ipvs-restore-timeouts", "sysctl-restore"]);

describe("random sequences of desired states (property-style)", () => {
  it.each(Array.from({ length: 25 }, (_, i) => i + 1))("seed %d: always converges, second plan empty, adds precede deletes, foreign objects survive", async (seed) => {
    const random = rng(seed);
    const kernel = new FakeKernel();
    kernel.addForeignService("-A -t 198.51.100.1:80 -s rr", ["-a -t 198.51.100.1:80 -r 10.0.0.99:80 -g -w 1"]);
    kernel.addForeignAddress("eth0", "198.51.100.1/32");
    const store = new MemoryStore();
    let daemon = new Reconciler(kernel, store);
    for (let step = 1; step <= 8; step++) {
      const d = randomDesired(random, step);
      // sometimes the daemon restarts (cache lost) or does a periodic full read
      if (random() < 0.25) daemon = new Reconciler(kernel, store);
      const outcome = await daemon.reconcile(resolve(d), d, random() < 0.25 ? { fresh: "full" } : {});
      expect(outcome.results.filter((r) => !r.ok)).toEqual([]);
      expect(outcome.converged).toBe(true);
      const kinds = outcome.ops.map((op) => op.kind as string);
      const firstDelete = kinds.findIndex((k) => REMOVING.has(k));
      const lastAdd = kinds.map((k) => ADDING.has(k)).lastIndexOf(true);
      if (firstDelete >= 0) expect(lastAdd).toBeLessThan(firstDelete);
      expect((await new Reconciler(kernel, store).plan(resolve(d))).ops).toEqual([]);
      expect(kernel.services.get("tcp 198.51.100.1:80")!.destinations.map((x) => x.key)).toEqual(["10.0.0.99:80"]);
      expect(kernel.links.get("eth0")!.addresses.some((a) => a.address === "198.51.100.1")).toBe(true);
      // the kernel holds exactly the desired services plus the foreign one
      expect(kernel.serviceKeys()).toEqual([...resolve(d).ipvs.services.map((s) => s.key), "tcp 198.51.100.1:80"].sort());
    }
  });
});

describe("the daemon path plans only the services that changed since the cache was known to match", () => {
  const edit = (random: () => number, services: Array<ReturnType<typeof service>>, next: () => number) => {
    const out = [...services];
    const edits = Math.floor(random() * 4);
    for (let e = 0; e < edits; e++) {
      const i = Math.floor(random() * out.length);
      const roll = random();
      if (roll < 0.3 && out.length > 0) out[i] = { ...out[i], destinations: [{ address: "10.0.0.11", forwarding: "dr", weight: Math.floor(random() * 5) }, out[i].destinations[1]] } as never;
      else if (roll < 0.45 && out.length > 0) out[i] = { ...out[i], scheduler: random() < 0.5 ? "rr" : "wlc" };
      else if (roll < 0.6 && out.length > 0) out.splice(i, 1);
      else if (roll < 0.8) out.splice(i, 0, service(next()));
      else out.reverse();
    }
    return out;
  };

  it.each(Array.from({ length: 20 }, (_, i) => i + 1))("seed %d: the scoped plan equals a full plan against the same cached state", async (seed) => {
    const random = rng(seed * 7);
    const kernel = new FakeKernel();
    const reconciler = new Reconciler(kernel, new MemoryStore());
    const validator = new DesiredStateValidator();
    let counter = 30;
    let services = Array.from({ length: 30 }, (_, i) => service(i + 1));
    for (let step = 1; step <= 10; step++) {
      if (step > 1) services = edit(random, services, () => ++counter);
      // as the panel sends it: a fresh object every time
      const document = JSON.parse(JSON.stringify(doc({ ipvs: { services } }, step)));
      const result = validator.validate(document);
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      expect(result.resolved).toEqual(resolve(document));
      const cached = reconciler.cachedActual;
      const expected = cached ? plan(resolve(document), cached) : null;
      const outcome = await reconciler.reconcile(result.resolved, document);
      if (expected) {
        // the same ops in the same kind order (services being removed may come in another order: the old desired order, not the table's)
        expect(outcome.ops.map((op) => op.kind)).toEqual(expected.map((op) => op.kind));
        expect([...outcome.ops].sort((a, b) => a.command.localeCompare(b.command))).toEqual([...expected].sort((a, b) => a.command.localeCompare(b.command)));
      }
      expect(outcome.converged).toBe(true);
      expect(kernel.serviceKeys()).toEqual(resolve(document).ipvs.services.map((s) => s.key).sort());
      expect(JSON.parse(documentTextOf(result.parts))).toEqual(document);
    }
  });

  it("a service changed by hand in the kernel is not seen by the cached path, and a full read still repairs it", async () => {
    const { kernel, reconciler } = setup();
    const validator = new DesiredStateValidator();
    const first = doc({ ipvs: { services: [service(1), service(2)] } });
    const v1 = validator.validate(first);
    if (!v1.ok) throw new Error("invalid");
    await reconciler.reconcile(v1.resolved, first);
    kernel.services.get("tcp 192.0.2.2:80")!.scheduler = "rr";
    const second = doc({ ipvs: { services: [service(1, { scheduler: "rr" }), service(2)] } }, 2);
    const v2 = validator.validate(second);
    if (!v2.ok) throw new Error("invalid");
    const changed = await reconciler.reconcile(v2.resolved, second);
    expect(changed.ops.map((op) => op.command)).toEqual(["ipvsadm -E -t 192.0.2.1:80 -s rr"]);
    const repaired = await reconciler.reconcile(v2.resolved, second, { fresh: "full" });
    expect(repaired.ops.map((op) => op.command)).toEqual(["ipvsadm -E -t 192.0.2.2:80 -s wlc"]);
  });
});
