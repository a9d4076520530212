import { describe, expect, it } from "vitest";
import { realServerTestId, serviceTestId } from "./row-ids";

describe("row test ids", () => {
  it.each([
    [{ protocol: "TCP", address: "192.0.2.10", port: 80, fwmark: null }, "service-row-192.0.2.10:80"],
    [{ protocol: "UDP", address: "2001:db8::53", port: 53, fwmark: null }, "service-row-2001:db8::53:53"],
    [{ protocol: "FWMARK", address: "192.0.2.12", port: null, fwmark: 7 }, "service-row-fwmark-7"],
  ] as const)("service %j -> %s", (vs, id) => {
    expect(serviceTestId(vs)).toBe(id);
  });

  it.each([
    [{ port: 80 }, { address: "192.0.2.21", port: null }, "rs-row-192.0.2.21:80"],
    [{ port: 80 }, { address: "192.0.2.21", port: 8080 }, "rs-row-192.0.2.21:8080"],
    [{ port: null }, { address: "192.0.2.41", port: null }, "rs-row-192.0.2.41"],
    [{ port: null }, { address: "192.0.2.41", port: 443 }, "rs-row-192.0.2.41:443"],
  ])("real server %j %j -> %s", (vs, rs, id) => {
    expect(realServerTestId(vs, rs)).toBe(id);
  });
});
