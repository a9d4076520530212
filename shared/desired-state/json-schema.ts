/** The JSON Schema of the desired state, generated from the zod schema (the zod schema is the source). */
import { z } from "zod";
import { DesiredStateSchema } from "./schema";

export function desiredStateJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(DesiredStateSchema, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
  return {
    ...schema,
    $id: "https://lvs-control.invalid/schemas/desired-state.schema.json",
    title: "lvs-control desired state",
  };
}

/** The exact text of docs/desired-state.schema.json. */
export function desiredStateJsonSchemaText(): string {
  return JSON.stringify(desiredStateJsonSchema(), null, 2) + "\n";
}
