import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { INSTALL_SCRIPT } from "./install";

function writeScript(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lvs-install-")), "install.sh");
  fs.writeFileSync(file, INSTALL_SCRIPT);
  return file;
}

describe("install.sh", () => {
  it("is valid POSIX sh (sh -n, and dash -n when present)", () => {
    const file = writeScript();
    execFileSync("sh", ["-n", file]);
    if (fs.existsSync("/bin/dash")) execFileSync("/bin/dash", ["-n", file]);
  });

  it.each([
    [[], /--panel URL is required/],
    [["--panel", "http://panel.test"], /--token is required/],
    [["--panel", "http://panel.test", "--token", "lvse_x", "--bogus"], /unknown argument: --bogus/],
  ])("refuses %j before touching anything", (args, message) => {
    const r = spawnSync("sh", [writeScript(), ...args], { encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it("downloads the bundle, enrolls with the given panel and token, and starts the unit with systemd", () => {
    expect(INSTALL_SCRIPT).toContain('fetch "$PANEL/api/agent/lvs-agent.cjs"');
    expect(INSTALL_SCRIPT).toMatch(/"\$BIN" enroll --panel "\$PANEL" --token "\$TOKEN"/);
    expect(INSTALL_SCRIPT).toMatch(/ExecStart=\$BIN run/);
    expect(INSTALL_SCRIPT).toMatch(/NODE_MAJOR" -ge 20/);
  });
});
