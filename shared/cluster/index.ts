/** The cluster model shared by the UI and the API: vocabulary, input schemas, rules, output DTOs. */
export * from "./address";
export * from "./constants";
export * from "./rules";
export * from "./schemas";
export * from "./health";
export * from "./dto";
