// Bundles the agent into ONE file, agent/dist/lvs-agent.cjs, that runs with `node` >= 20
// (plus agent/dist/lvs-agent-lib.cjs: the same code as a library for in-process drivers).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
// output directory: agent/dist, or AGENT_BUILD_OUTDIR (the loader's test builds into a temporary one)
const dist = process.env.AGENT_BUILD_OUTDIR ? path.resolve(process.env.AGENT_BUILD_OUTDIR) : path.join(here, "dist");
// whitespace/syntax minified (faster to load under emulation), names kept for readable stack traces
// socket.io-client is bundled; ws' optional native speed-ups are left out (ws falls back to plain JS)
// zod's namespace re-exports all of its ~40 locales (a third of the bundle, evaluated at every start);
// the agent's messages are English, so `z.locales` / `z.core.locales` hold only `en` in the bundle
const englishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/]/.test(args.importer) ? { path: path.join(path.dirname(args.importer), "../locales/en.js"), namespace: "zod-en" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-en" }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, resolveDir: path.dirname(args.path), loader: "js" }));
  },
};
const common = { plugins: [englishOnly], external: ["bufferutil", "utf-8-validate"], bundle: true, platform: "node", target: "node20", format: "cjs", legalComments: "none", logLevel: "warning", minifyWhitespace: true, minifySyntax: true };
const [cli] = await Promise.all([
  build({ ...common, entryPoints: [path.join(here, "src/cli.ts")], write: false, outfile: path.join(dist, "lvs-agent.cjs") }),
  // the same code as a library (require()), for in-process drivers such as the lab bench
  build({ ...common, entryPoints: [path.join(here, "src/lib.ts")], outfile: path.join(dist, "lvs-agent-lib.cjs") }),
]);

// The command: a small loader with the bundle inside as a string, compiled with V8's code cache.
// Under emulation compiling the bundle is a large part of every start; the cache (V8's compiled
// code after a run, written once per bundle) spares it. Where: $LVS_AGENT_CODE_CACHE (a directory,
// "off" to disable), else <tmpdir>/lvs-agent-cache-<uid>. Only a directory owned by this user and not
// writable by others is used (the cache is code). V8 rejects a cache made by another V8 or flags.
const source = cli.outputFiles[0].text;
const hash = createHash("sha256").update(source).digest("hex").slice(0, 16);
const loader = `#!/usr/bin/env node
"use strict";
// lvs-agent (one file). The agent's code is the string SOURCE below; see agent/build.mjs.
const SOURCE = ${JSON.stringify(source)};
const vm = require("node:vm"), fs = require("node:fs"), path = require("node:path"), os = require("node:os");
const uid = typeof process.getuid === "function" ? process.getuid() : null;
let dir = process.env.LVS_AGENT_CODE_CACHE || path.join(os.tmpdir(), "lvs-agent-cache-" + (uid ?? "user"));
delete process.env.LVS_AGENT_CODE_CACHE; // the loader's, not a configuration variable (those are checked)
if (dir === "off") dir = null;
const file = dir && path.join(dir, "lvs-agent-${hash}-" + process.version + ".v8cache");
let cachedData;
try {
  const st = dir && fs.statSync(dir);
  if (st && st.isDirectory() && (uid === null || st.uid === uid) && (st.mode & 0o022) === 0) cachedData = fs.readFileSync(file);
} catch {}
const script = new vm.Script("(function (exports, require, module, __filename, __dirname) {" + SOURCE + "\\n})", { filename: __filename, cachedData });
if (dir && (cachedData === undefined || script.cachedDataRejected)) {
  // after this run, so that the functions it compiled are in the cache too
  process.once("exit", () => {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const st = fs.statSync(dir);
      if ((uid !== null && st.uid !== uid) || (st.mode & 0o022) !== 0) return;
      const tmp = file + "." + process.pid + ".tmp";
      fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch {}
  });
}
script.runInThisContext()(exports, require, module, __filename, __dirname);
`;
mkdirSync(dist, { recursive: true });
writeFileSync(path.join(dist, "lvs-agent.cjs"), loader, { mode: 0o755 });
