import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { IpvsadmSession, type SessionCommand } from "./ipvsadm-session";
import { LinuxIpvs, splitByService } from "./linux";
import { KernelError } from "./types";

// a stand-in for `ipvsadm -R` with the behaviours measured on the lab kernel (see the script's header);
// the real ipvsadm is exercised by the lab tests (lab/tests/*.sh), which run the agent through this session
const FAKE: SessionCommand = { file: process.execPath, args: [fileURLToPath(new URL("./fixtures/fake-ipvsadm-restore.mjs", import.meta.url))] };

const sessions: IpvsadmSession[] = [];
function session(command = FAKE, timeoutMs = 10_000): IpvsadmSession {
  const s = new IpvsadmSession(command, timeoutMs);
  sessions.push(s);
  return s;
}
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

const tcp = (address: string, port = 80) => ({ key: `tcp ${address}:${port}`, protocol: "tcp" as const, family: 4 as const, address, port, fwmark: 0 });

describe("IpvsadmSession", () => {
  it("answers each line on its own: nothing for a change that worked, the error for one that failed, the listing for -L", async () => {
    const s = session();
    const answers = await s.run(["-A -t 192.0.2.1:80 -s rr", "-A -t 192.0.2.1:80 -s rr", "-a -t 192.0.2.9:80 -r 10.0.0.1:80 -w 1", "-a -t 192.0.2.1:80 -r 10.0.0.1:80 -w 3", "-L -n -t 192.0.2.1:80"]);
    expect(answers!.map((a) => [a.output.split("\n")[0], a.ran, a.exited])).toEqual([
      ["", true, false],
      ["Service already exists", true, false],
      ["No such service", true, false],
      ["", true, false],
      ["Prot LocalAddress:Port Scheduler Flags", true, false],
    ]);
    expect(answers![4].output).toContain("-> 10.0.0.1:80");
    expect(answers![4].output).toMatch(/Masq\s+3\s/);
  });

  it("keeps one child across calls (the state it changed is still there)", async () => {
    const s = session();
    await s.run(["-A -t 192.0.2.1:80 -s rr"]);
    expect(s.running).toBe(true);
    const [again] = (await s.run(["-A -t 192.0.2.1:80 -s rr"]))!;
    expect(again.output).toBe("Service already exists");
  });

  it("a listing of a missing service stops ipvsadm: that line exited, the rest did not run, and the next call starts a new child", async () => {
    const s = session();
    const answers = await s.run(["-A -t 192.0.2.1:80 -s rr", "-L -n -t 192.0.2.7:80", "-A -t 192.0.2.2:80 -s rr"]);
    expect(answers).toEqual([
      { output: "", ran: true, exited: false },
      { output: "No such service", ran: true, exited: true },
      { output: "", ran: false, exited: false },
    ]);
    expect(s.running).toBe(false);
    // a new child: the fake's table starts empty, so the service added before is unknown to it
    const [listing] = (await s.run(["-L -n -t 192.0.2.1:80"]))!;
    expect(listing).toEqual({ output: "No such service", ran: true, exited: true });
  });

  it("a line ipvsadm cannot parse ends the child with its message", async () => {
    const s = session();
    const answers = await s.run(["--bogus", "-A -t 192.0.2.1:80 -s rr"]);
    expect(answers![0]).toEqual({ output: "ipvsadm: invalid option -- 'bogus'", ran: true, exited: true });
    expect(answers![1].ran).toBe(false);
  });

  it("returns null when the command cannot start, so callers run their own process", async () => {
    const s = session({ file: "/nonexistent/ipvsadm", args: [] });
    expect(await s.run(["-A -t 192.0.2.1:80 -s rr"])).toBeNull();
    expect(await s.run(["-A -t 192.0.2.1:80 -s rr"])).toBeNull();
  });

  it("gives up on a child that does not answer, and starts a new one next time", async () => {
    const s = session(FAKE, 300);
    await expect(s.run(["hang"])).rejects.toThrow(KernelError);
    expect(s.running).toBe(false);
    expect((await s.run(["-A -t 192.0.2.1:80 -s rr"]))![0].output).toBe("");
  });

  it("refuses a line with a newline (it would be two commands)", async () => {
    await expect(session().run(["-A -t 192.0.2.1:80 -s rr\n-C"])).rejects.toThrow(/newline/);
  });

  it("serialises concurrent calls", async () => {
    const s = session();
    const [a, b] = await Promise.all([s.run(["-A -t 192.0.2.1:80 -s rr"]), s.run(["-A -t 192.0.2.1:80 -s rr"])]);
    expect([a![0].output, b![0].output]).toEqual(["", "Service already exists"]);
  });
});

describe("LinuxIpvs through the session", () => {
  it("restore of a small batch says which line failed", async () => {
    const ipvs = new LinuxIpvs(session(), 2);
    const result = await ipvs.restore(["-A -t 192.0.2.1:80 -s rr", "-a -t 192.0.2.9:80 -r 10.0.0.1:80 -w 1", "-a -t 192.0.2.1:80 -r 10.0.0.1:80 -w 1"]);
    expect(result).toEqual({ ok: false, errors: ["No such service"], lineErrors: [null, "No such service", null] });
  });

  it("readServices lists each service, a missing one in the middle included", async () => {
    const s = session();
    const ipvs = new LinuxIpvs(s, 2);
    await ipvs.restore(["-A -t 192.0.2.1:80 -s rr", "-a -t 192.0.2.1:80 -r 10.0.0.1:80 -w 4", "-A -t 192.0.2.3:80 -s wlc", "-a -t 192.0.2.3:80 -r 10.0.0.2:80 -w 2"]);
    const read = await ipvs.readServices([tcp("192.0.2.1"), tcp("192.0.2.2"), tcp("192.0.2.3")], true);
    expect(read.get("tcp 192.0.2.1:80")?.destinations.map((d) => [d.key, d.weight])).toEqual([["10.0.0.1:80", 4]]);
    expect(read.get("tcp 192.0.2.2:80")).toBeNull();
    // listed by a new child after the missing one stopped the first: the fake's new table is empty
    expect(read.get("tcp 192.0.2.3:80")).toBeNull();
    expect(read.size).toBe(3);
  });

  it("restoreAndList sends the batch and the listings down one pipe; a missing service in the middle is listed null and the rest still listed", async () => {
    const ipvs = new LinuxIpvs(session(), 2);
    const { restore, listed } = await ipvs.restoreAndList(
      ["-A -t 192.0.2.1:80 -s rr", "-a -t 192.0.2.1:80 -r 10.0.0.1:80 -w 2", "-A -t 192.0.2.3:80 -s wlc", "-a -t 192.0.2.9:80 -r 10.0.0.1:80 -w 1"],
      [tcp("192.0.2.1"), tcp("192.0.2.2"), tcp("192.0.2.3")],
      false,
    );
    expect(restore).toEqual({ ok: false, errors: ["No such service"], lineErrors: [null, null, null, "No such service"] });
    expect(listed!.get("tcp 192.0.2.1:80")?.destinations.map((d) => [d.key, d.weight])).toEqual([["10.0.0.1:80", 2]]);
    expect(listed!.get("tcp 192.0.2.2:80")).toBeNull();
    // listed again by a new child after the missing one stopped the first (the fake's new table is empty)
    expect(listed!.get("tcp 192.0.2.3:80")).toBeNull();
  });

  it("run() throws the line's error like a process would", async () => {
    const ipvs = new LinuxIpvs(session(), 2);
    await expect(ipvs.run("-e -t 192.0.2.9:80 -r 10.0.0.1:80 -w 1")).rejects.toThrow("ipvsadm -e -t 192.0.2.9:80 -r 10.0.0.1:80 -w 1: No such service");
  });
});

describe("splitByService", () => {
  it.each([
    { name: "one part keeps the batch", lines: ["-A -t 192.0.2.1:80 -s rr"], parts: 1, want: [["-A -t 192.0.2.1:80 -s rr"]] },
    {
      name: "services alternate, each keeping its lines in order",
      lines: ["-A -t 192.0.2.1:80 -s rr", "-a -t 192.0.2.1:80 -r 10.0.0.1", "-A -u 192.0.2.1:53 -s rr", "-A -f 7 -s rr", "-a -t 192.0.2.1:80 -r 10.0.0.2", "-a -f 7 -r 10.0.0.1"],
      parts: 2,
      want: [
        ["-A -t 192.0.2.1:80 -s rr", "-a -t 192.0.2.1:80 -r 10.0.0.1", "-A -f 7 -s rr", "-a -t 192.0.2.1:80 -r 10.0.0.2", "-a -f 7 -r 10.0.0.1"],
        ["-A -u 192.0.2.1:53 -s rr"],
      ],
    },
    { name: "fewer services than parts: no empty parts", lines: ["-A -t [2001:db8::1]:80 -s rr"], parts: 4, want: [["-A -t [2001:db8::1]:80 -s rr"]] },
    { name: "a line without a service keeps the batch whole", lines: ["-A -t 192.0.2.1:80 -s rr", "--set 900 120 300"], parts: 2, want: [["-A -t 192.0.2.1:80 -s rr", "--set 900 120 300"]] },
  ])("$name", ({ lines, parts, want }) => {
    expect(splitByService(lines, parts)).toEqual(want);
  });
});
