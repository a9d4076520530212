/** Regenerates docs/desired-state.schema.json from the zod schema: `npx tsx agent/scripts/write-json-schema.ts`. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { desiredStateJsonSchemaText } from "../../shared/desired-state/json-schema";

const target = path.resolve(__dirname, "../../docs/desired-state.schema.json");
writeFileSync(target, desiredStateJsonSchemaText());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
