#!/usr/bin/env node
// `npm run agent -- <args>`: (re)build agent/dist/lvs-agent.cjs when it is missing or older
// than any source it is built from, then run it with the same arguments, stdio and exit code.
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const bundle = path.join(root, "agent/dist/lvs-agent.cjs");
// everything the bundle imports: the agent and the shared modules it is built from
const sources = ["agent/src", "shared/desired-state", "shared/net", "shared/agent-protocol", "agent/build.mjs"].map((p) => path.join(root, p));

function newestMtime(entry) {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of fs.readdirSync(entry)) {
    if (name.endsWith(".test.ts") || name === "fixtures") continue;
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  }
  return newest;
}

let stale = true;
try {
  const built = fs.statSync(bundle).mtimeMs;
  stale = sources.some((s) => fs.existsSync(s) && newestMtime(s) > built);
} catch {
  stale = true;
}
if (stale) {
  const result = spawnSync(process.execPath, [path.join(root, "agent/build.mjs")], { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
const child = spawn(process.execPath, [bundle, ...process.argv.slice(2)], { stdio: "inherit" });
// forward signals so `run` (the daemon) sees SIGTERM / SIGINT / SIGHUP sent to this wrapper
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
