import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatRuleCommand, formatSavedRules, parseRuleLine, parseSavedRules, RuleSyntaxError } from "./rules";

const fixture = (name: string) => readFileSync(path.join(__dirname, "fixtures", name), "utf8");

describe("ipvsadm -Sn: parse/print round trip", () => {
  it("reprints a table saved by ipvsadm 1.31 on the lab kernel byte for byte (every option -Sn prints)", () => {
    const text = fixture("save-all-options.txt");
    expect(formatSavedRules(parseSavedRules(text))).toBe(text);
  });

  it.each([
    // services: -t/-u/-f, IPv4/IPv6, -s every scheduler, -p timeout, -M netmask (dotted / prefix), --pe, -b flags
    "-A -t 10.0.0.1:80 -s rr",
    "-A -t 10.0.0.1:80 -s wrr",
    "-A -t 10.0.0.1:80 -s lc",
    "-A -t 10.0.0.1:80 -s wlc",
    "-A -t 10.0.0.1:80 -s lblc",
    "-A -t 10.0.0.1:80 -s lblcr",
    "-A -t 10.0.0.1:80 -s dh",
    "-A -t 10.0.0.1:80 -s sed",
    "-A -t 10.0.0.1:80 -s nq",
    "-A -t 10.0.0.1:80 -s fo",
    "-A -t 10.0.0.1:80 -s ovf",
    "-A -t 10.0.0.1:80 -s sh -b sh-fallback,sh-port",
    "-A -t 10.0.0.1:80 -s sh -b sh-port",
    "-A -u 10.0.0.1:53 -s mh -b mh-fallback,mh-port",
    "-A -t 10.0.0.1:80 -s rr -b flag-1,flag-2,flag-3",
    "-A -t 10.0.0.1:80 -s wlc -p 120",
    "-A -t 10.0.0.1:0 -s rr -p 30",
    "-A -t 10.0.0.1:80 -s wlc -p 300 -M 255.255.255.0",
    "-A -u 10.0.0.1:5060 -s rr -p 60 --pe sip",
    "-A -t 10.0.0.2:80 -s sh -p 300 -M 255.255.255.0 --pe sip -b sh-fallback,sh-port",
    "-A -t [2001:db8::1]:443 -s lc -p 200 -M 64",
    "-A -u [2001:db8::1]:53 -s rr",
    "-A -f 7 -s rr",
    "-A -f 4294967295 -s rr",
    "-A -f 8 -6 -s wrr -p 60 -M 64",
    "-E -t 10.0.0.1:80 -s rr",
    "-D -t 10.0.0.1:80",
    "-D -f 8 -6",
    // destinations: -g/-m/-i, -w, -x, -y, IPv6, fwmark port 0
    "-a -t 10.0.0.1:80 -r 10.0.0.11:80 -g -w 1",
    "-a -t 10.0.0.1:80 -r 10.0.0.12:8080 -m -w 0",
    "-a -t 10.0.0.1:80 -r 10.0.0.13:80 -i -w 1 --tun-type ipip",
    "-a -t 10.0.0.1:80 -r 10.0.0.11:80 -g -w 3 -x 100 -y 10",
    "-a -t 10.0.0.1:80 -r 10.0.0.11:80 -g -w 65535 -x 2147483647",
    "-e -t 10.0.0.1:80 -r 10.0.0.11:80 -m -w 5 -y 4",
    "-d -t 10.0.0.1:80 -r 10.0.0.11:80",
    "-a -t [2001:db8::1]:443 -r [2001:db8::12]:443 -m -w 2",
    "-a -f 7 -r 10.0.0.11:0 -g -w 1",
    "-a -f 8 -6 -r [2001:db8::11]:0 -g -w 1",
  ])("%s", (line) => {
    expect(formatRuleCommand(parseRuleLine(line))).toBe(line);
  });

  it("accepts the spellings ipvsadm accepts and prints the canonical one", () => {
    const cases: Array<[string, string]> = [
      ["-A --tcp-service 10.0.0.1:80 --scheduler rr --persistent", "-A -t 10.0.0.1:80 -s rr -p 300"],
      ["-A -t 10.0.0.1:80", "-A -t 10.0.0.1:80 -s wlc"],
      ["-A -t 10.0.0.1:80 -s sh -b flag-1", "-A -t 10.0.0.1:80 -s sh -b sh-fallback"],
      ["-A -t [2001:DB8:0::1]:80 -s rr -p 10 -M 128", "-A -t [2001:db8::1]:80 -s rr -p 10"],
      ["-A -t 10.0.0.1:80 -s rr -p 10 -M 255.255.255.255", "-A -t 10.0.0.1:80 -s rr -p 10"],
      ["-a -t 10.0.0.1:80 -r 10.0.0.11", "-a -t 10.0.0.1:80 -r 10.0.0.11:80 -g -w 1"],
      ["-a -f 7 -r 10.0.0.11 --masquerading --weight 2", "-a -f 7 -r 10.0.0.11:0 -m -w 2"],
    ];
    for (const [input, output] of cases) expect(formatRuleCommand(parseRuleLine(input))).toBe(output);
  });

  it.each([
    ["-A -t 10.0.0.1 -s rr", /bad service address/],
    ["-A -t 10.0.0.1:80 -s rr -Z", /unsupported ipvsadm option "-Z"/],
    ["-a -t 10.0.0.1:80 -g", /needs -r/],
    ["-A -t 10.0.0.1:80 -s rr -M 255.0.255.0 -p 5", /bad IPv4 netmask/],
    ["-A -t 10.0.0.1:80 -s rr -b sh-port", /bad scheduler flags/],
    ["-a -t 10.0.0.1:80 -r 10.0.0.11:80 -w 70000", /outside 0–65535/],
    ["-t 10.0.0.1:80", /no command/],
    ["-A -s rr", /no virtual service/],
  ])("rejects %s", (line, message) => {
    expect(() => parseRuleLine(line)).toThrow(RuleSyntaxError);
    expect(() => parseRuleLine(line)).toThrow(message);
  });

  it("parses a saved table into services with their destinations", () => {
    const services = parseSavedRules(fixture("save-all-options.txt"));
    expect(services.map((s) => s.key)).toEqual([
      "tcp 10.0.0.1:80",
      "tcp 10.0.0.2:80",
      "tcp 10.0.0.4:0",
      "udp 10.0.0.3:53",
      "tcp [2001:db8::1]:443",
      "fwmark 7 ipv4",
      "fwmark 8 ipv6",
    ]);
    expect(services[0].destinations.map((d) => [d.key, d.forwarding, d.weight])).toEqual([
      ["10.0.0.11:80", "dr", 3],
      ["10.0.0.12:8080", "nat", 0],
      ["10.0.0.13:80", "tun", 1],
    ]);
    expect(services[1]).toMatchObject({ scheduler: "sh", flags: ["sh-fallback", "sh-port"], persistence: { timeout: 300, netmask: "255.255.255.0" }, pe: "sip" });
    expect(services[6]).toMatchObject({ family: 6, fwmark: 8, persistence: { timeout: 60, netmask: "64" } });
  });
});
