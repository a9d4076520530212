import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config";

const files = (content: Record<string, string>) => (file: string) => {
  if (!(file in content)) throw Object.assign(new Error(`ENOENT: ${file}`), { code: "ENOENT" });
  return content[file];
};

const panel = { configDir: "/etc/lvs-agent", driftCheckSeconds: 5, repairDrift: false, statsIntervalMs: 1000, metricsListen: null };

describe("loadConfig", () => {
  it("defaults when the default file is absent", () => {
    expect(loadConfig({ env: {}, readFile: files({}) })).toEqual({ stateDir: "/var/lib/lvs-agent", intervalSeconds: 10, ...panel });
  });

  it("file < environment < flags", () => {
    const readFile = files({ "/etc/lvs-agent/config.json": '{"stateDir":"/from/file","intervalSeconds":30}' });
    expect(loadConfig({ env: {}, readFile })).toEqual({ stateDir: "/from/file", intervalSeconds: 30, ...panel });
    expect(loadConfig({ env: { LVS_AGENT_STATE_DIR: "/from/env", LVS_AGENT_INTERVAL: "5" }, readFile })).toEqual({ stateDir: "/from/env", intervalSeconds: 5, ...panel });
    expect(loadConfig({ env: { LVS_AGENT_STATE_DIR: "/from/env" }, stateDir: "/from/flag", intervalSeconds: 2, readFile })).toEqual({ stateDir: "/from/flag", intervalSeconds: 2, ...panel });
  });

  it("panel mode keys: config dir from the file or --config-dir, drift check interval, repairDrift", () => {
    const readFile = files({ "/etc/lvs-agent/config.json": '{"configDir":"/from/file","driftCheckSeconds":30,"repairDrift":true}' });
    expect(loadConfig({ env: {}, readFile })).toMatchObject({ configDir: "/from/file", driftCheckSeconds: 30, repairDrift: true });
    expect(loadConfig({ env: {}, configDir: "/from/flag", readFile })).toMatchObject({ configDir: "/from/flag" });
    expect(() => loadConfig({ env: {}, readFile: files({ "/etc/lvs-agent/config.json": '{"repairDrift":"yes"}' }) })).toThrow(/repairDrift must be true or false/);
  });

  it("live stats keys: statsIntervalMs and metricsListen from the file, flags win", () => {
    const readFile = files({ "/etc/lvs-agent/config.json": '{"statsIntervalMs":500,"metricsListen":"127.0.0.1:9101"}' });
    expect(loadConfig({ env: {}, readFile })).toMatchObject({ statsIntervalMs: 500, metricsListen: "127.0.0.1:9101" });
    expect(loadConfig({ env: {}, readFile, statsIntervalMs: 2000, metricsListen: "[::1]:9102" })).toMatchObject({ statsIntervalMs: 2000, metricsListen: "[::1]:9102" });
    expect(() => loadConfig({ env: {}, readFile: files({}), statsIntervalMs: 50 })).toThrow(/statsIntervalMs/);
    expect(() => loadConfig({ env: {}, readFile: files({ "/etc/lvs-agent/config.json": '{"metricsListen":"9101"}' }) })).toThrow(/metricsListen must be HOST:PORT/);
  });

  it.each<[string, Parameters<typeof loadConfig>[0], RegExp]>([
    ["explicit file missing", { env: {}, configFile: "/x.json", readFile: files({}) }, /config file \/x.json does not exist/],
    ["not JSON", { env: { LVS_AGENT_CONFIG: "/c.json" }, readFile: files({ "/c.json": "{" }) }, /\/c.json is not valid JSON/],
    ["unknown key", { env: {}, readFile: files({ "/etc/lvs-agent/config.json": '{"stateDri":"/x"}' }) }, /Unrecognized key: "stateDri"/],
    ["bad interval from env", { env: { LVS_AGENT_INTERVAL: "soon" }, readFile: files({}) }, /intervalSeconds must be a number of seconds/],
    ["typo in an env name", { env: { LVS_AGENT_STATEDIR: "/x" }, readFile: files({}) }, /unknown environment variable LVS_AGENT_STATEDIR/],
    ["array", { env: {}, readFile: files({ "/etc/lvs-agent/config.json": "[]" }) }, /must hold a JSON object/],
  ])("%s → clear error", (_name, sources, message) => {
    expect(() => loadConfig(sources)).toThrow(ConfigError);
    expect(() => loadConfig(sources)).toThrow(message);
  });
});
