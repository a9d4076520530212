import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DesiredStateValidator, documentPartsOf } from "../../shared/desired-state/resolve";
import { DESIRED_FILE, JOURNAL_FILE, StateStore, StateStoreError } from "./state-store";

const service = (i: number, weight = 1) => ({ protocol: "tcp", address: `192.0.2.${i}`, port: 80, scheduler: "wlc", destinations: [{ address: "10.0.0.11", forwarding: "nat", port: 8080, weight }] });
const doc = (generation: number, services: unknown[]) => ({ schemaVersion: 1, generation, host: "lb1", ipvs: { services }, addresses: [], realServer: null, sysctls: {}, fwmarks: [] });
const range = (n: number) => Array.from({ length: n }, (_, i) => service(i + 1));

/** A fresh object per document, validated by the same validator (as the daemon does), written from its parts. */
function writer(dir: string) {
  const store = new StateStore(dir);
  const validator = new DesiredStateValidator();
  return {
    store,
    write(document: unknown) {
      const fresh = JSON.parse(JSON.stringify(document));
      const result = validator.validate(fresh);
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      store.writeDesiredParts(fresh, documentPartsOf(fresh)!);
    },
  };
}

describe("StateStore: desired.json + journal", () => {
  it("a few changed services go to the journal; reading (also by a new process) gives the whole document", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "store-"));
    const w = writer(dir);
    w.write(doc(1, range(200)));
    expect(existsSync(path.join(dir, JOURNAL_FILE))).toBe(false);
    const whole = readFileSync(path.join(dir, DESIRED_FILE), "utf8");
    const services = range(200);
    services[17] = service(18, 5);
    services.splice(60, 1);
    services.push(service(250));
    w.write(doc(2, services));
    expect(readFileSync(path.join(dir, DESIRED_FILE), "utf8")).toBe(whole); // untouched
    const journal = JSON.parse(readFileSync(path.join(dir, JOURNAL_FILE), "utf8"));
    expect(journal.services).toEqual([[0, 17], service(18, 5), [18, 42], [61, 139], service(250)]);
    expect(new StateStore(dir).readDesired()).toEqual(doc(2, services));
    expect(w.store.readDesired()).toEqual(doc(2, services));
    // the next journal is still relative to desired.json (generation 1)
    services[0] = service(1, 9);
    w.write(doc(3, services));
    expect(new StateStore(dir).readDesired()).toEqual(doc(3, services));
    expect(JSON.parse(readFileSync(path.join(dir, JOURNAL_FILE), "utf8")).services[0]).toEqual(service(1, 9));
  });

  it("many changes write a whole desired.json and remove the journal; a new process starts without a base (whole first)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "store-"));
    const w = writer(dir);
    w.write(doc(1, range(40)));
    w.write(doc(2, [...range(40), service(41)]));
    expect(existsSync(path.join(dir, JOURNAL_FILE))).toBe(true);
    const changed = range(40).map((s, i) => (i < 20 ? service(i + 1, 3) : s)); // more than max(16, 40/8)
    w.write(doc(3, changed));
    expect(existsSync(path.join(dir, JOURNAL_FILE))).toBe(false);
    expect(JSON.parse(readFileSync(path.join(dir, DESIRED_FILE), "utf8"))).toEqual(doc(3, changed));
    const again = writer(dir);
    again.write(doc(4, changed));
    expect(existsSync(path.join(dir, JOURNAL_FILE))).toBe(false);
    expect(again.store.readDesired()).toEqual(doc(4, changed));
  });

  it("a journal written against another desired.json (crash between the two writes) is ignored; a whole write removes it", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "store-"));
    const w = writer(dir);
    w.write(doc(1, range(30)));
    w.write(doc(2, [service(99), ...range(30)]));
    const journal = readFileSync(path.join(dir, JOURNAL_FILE), "utf8");
    // a new whole desired.json, the crash before the journal was removed
    writeFileSync(path.join(dir, DESIRED_FILE), JSON.stringify(doc(7, range(30))) + "\n");
    writeFileSync(path.join(dir, JOURNAL_FILE), journal);
    expect(new StateStore(dir).readDesired()).toEqual(doc(7, range(30)));
    new StateStore(dir).writeDesired(doc(8, range(2)));
    expect(existsSync(path.join(dir, JOURNAL_FILE))).toBe(false);
  });

  it("a damaged journal for this desired.json stops the agent with a clear message (never a guess)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "store-"));
    const w = writer(dir);
    w.write(doc(1, range(30)));
    w.write(doc(2, range(31)));
    const file = path.join(dir, JOURNAL_FILE);
    const journal = JSON.parse(readFileSync(file, "utf8"));
    writeFileSync(file, JSON.stringify({ ...journal, services: [[0, 40]] }));
    expect(() => new StateStore(dir).readDesired()).toThrow(StateStoreError);
    expect(() => new StateStore(dir).readDesired()).toThrow(/outside desired\.json's 30 services/);
    writeFileSync(file, "{trunc");
    expect(() => new StateStore(dir).readDesired()).toThrow(/journal .* is not JSON/);
  });
});
