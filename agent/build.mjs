// Bundles the agent into ONE file, agent/dist/lvs-agent.cjs, that runs with `node` >= 20
// (plus agent/dist/lvs-agent-lib.cjs: the same code as a library for in-process drivers).
import { build } from "esbuild";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
// whitespace/syntax minified (faster to load under emulation), names kept for readable stack traces
// socket.io-client is bundled; ws' optional native speed-ups are left out (ws falls back to plain JS)
const common = { external: ["bufferutil", "utf-8-validate"], bundle: true, platform: "node", target: "node20", format: "cjs", legalComments: "none", logLevel: "warning", minifyWhitespace: true, minifySyntax: true };
await Promise.all([
  build({ ...common, entryPoints: [path.join(here, "src/cli.ts")], outfile: path.join(here, "dist/lvs-agent.cjs"), banner: { js: "#!/usr/bin/env node" } }),
  // the same code as a library (require()), for in-process drivers such as the lab bench
  build({ ...common, entryPoints: [path.join(here, "src/lib.ts")], outfile: path.join(here, "dist/lvs-agent-lib.cjs") }),
]);
