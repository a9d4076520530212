export * from "./schema";
export * from "./resolve";
export { desiredStateJsonSchema, desiredStateJsonSchemaText } from "./json-schema";
