/**
 * The built command (agent/build.mjs → lvs-agent.cjs): a loader that compiles
 * the bundled agent with V8's code cache. Built into a temporary directory.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const out = mkdtempSync(path.join(tmpdir(), "agent-build-"));
const bundle = path.join(out, "lvs-agent.cjs");
const run = (cache: string, ...args: string[]) => spawnSync(process.execPath, [bundle, ...args], { env: { ...process.env, LVS_AGENT_CODE_CACHE: cache }, encoding: "utf8" });

describe("lvs-agent.cjs loader and code cache", () => {
  beforeAll(() => {
    execFileSync(process.execPath, [path.join(__dirname, "build.mjs")], { env: { ...process.env, AGENT_BUILD_OUTDIR: out } });
  }, 60_000);

  it("runs the agent, writes the cache once (mode 0600) and uses it; the variable is not mistaken for configuration", () => {
    const cache = path.join(out, "cache");
    const first = run(cache, "version");
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/\d+\.\d+\.\d+/);
    const files = readdirSync(cache);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^lvs-agent-[0-9a-f]{16}-v\d+\.\d+\.\d+\.v8cache$/);
    expect(statSync(path.join(cache, files[0])).mode & 0o777).toBe(0o600);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    const mtime = statSync(path.join(cache, files[0])).mtimeMs;
    const second = run(cache, "plan", "--desired", "/nonexistent.json");
    expect(second.status).toBe(2); // the agent's own answer: the file cannot be read
    expect(second.stderr).toMatch(/cannot read/);
    expect(statSync(path.join(cache, files[0])).mtimeMs).toBe(mtime); // accepted, not rewritten
  });

  it("a damaged cache is rejected by V8 and rewritten; a directory others can write is never used; off disables it", () => {
    const cache = path.join(out, "damaged");
    expect(run(cache, "version").status).toBe(0);
    const [file] = readdirSync(cache);
    writeFileSync(path.join(cache, file), "not a code cache");
    expect(run(cache, "version").status).toBe(0);
    expect(statSync(path.join(cache, file)).size).toBeGreaterThan(1000);

    const open = path.join(out, "open");
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(run(open, "version").status).toBe(0);
    expect(readdirSync(open)).toEqual([]);

    const off = run("off", "version");
    expect(off.status).toBe(0);
  });
});
