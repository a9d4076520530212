// Bundles the agent into ONE file, agent/dist/lvs-agent.cjs, that runs with `node` >= 20.
import { build } from "esbuild";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: [path.join(here, "src/cli.ts")],
  outfile: path.join(here, "dist/lvs-agent.cjs"),
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  banner: { js: "#!/usr/bin/env node" },
  legalComments: "none",
  logLevel: "warning",
});
