import { describe, expect, it } from "vitest";
import { issuesToFormErrors, serverErrorToFormErrors, splitKnownFields } from "./errors";

describe("issuesToFormErrors", () => {
  it.each([
    { issues: [], fields: {}, form: null },
    { issues: [{ path: ["port"], message: "Port must be 1–65535" }], fields: { port: "Port must be 1–65535" }, form: null },
    {
      issues: [
        { path: ["port"], message: "first" },
        { path: ["port"], message: "second" },
      ],
      fields: { port: "first" },
      form: null,
    },
    { issues: [{ path: ["realServers", 0, "weight"], message: "too big" }], fields: { "realServers.0.weight": "too big" }, form: null },
    { issues: [{ path: [], message: "duplicate" }], fields: {}, form: "duplicate" },
  ])("$issues.length issues -> $fields", ({ issues, fields, form }) => {
    expect(issuesToFormErrors(issues)).toEqual({ fields, form });
  });
});

describe("serverErrorToFormErrors", () => {
  it.each([
    {
      name: "flattened zod error",
      error: { message: "[{...}]", data: { zodError: { fieldErrors: { vip: ["Not an IP address"] }, formErrors: [] } } },
      expected: { fields: { vip: "Not an IP address" }, form: null },
    },
    {
      name: "service field errors",
      error: { message: "A service TCP 192.0.2.10:80 already exists", data: { fieldErrors: { port: "already used" } } },
      expected: { fields: { port: "already used" }, form: null },
    },
    {
      name: "form-level entry in field errors",
      error: { message: "dup", data: { fieldErrors: { _form: ["TCP 192.0.2.10:80 exists in cluster edge"], port: ["taken"] } } },
      expected: { fields: { port: "taken" }, form: "TCP 192.0.2.10:80 exists in cluster edge" },
    },
    {
      name: "issue list",
      error: { message: "bad", data: { issues: [{ path: ["weight"], message: "max 65535" }] } },
      expected: { fields: { weight: "max 65535" }, form: null },
    },
    {
      name: "plain message",
      error: { message: "You are not allowed to do this", data: { code: "FORBIDDEN" } },
      expected: { fields: {}, form: "You are not allowed to do this" },
    },
    {
      name: "network failure",
      error: { message: "Failed to fetch" },
      expected: { fields: {}, form: "The panel server could not be reached. Check your connection and try again." },
    },
    { name: "not an object", error: "boom", expected: { fields: {}, form: "Something went wrong. Try again." } },
  ])("$name", ({ error, expected }) => {
    expect(serverErrorToFormErrors(error)).toEqual(expected);
  });
});

describe("splitKnownFields", () => {
  it("moves fields the form does not show into the form-level message", () => {
    expect(splitKnownFields({ fields: { port: "bad", clusterId: "gone" }, form: null }, ["port"])).toEqual({
      fields: { port: "bad" },
      form: "clusterId: gone",
    });
  });
  it("keeps paths under a known field", () => {
    expect(splitKnownFields({ fields: { "interfaces.1.name": "twice" }, form: null }, ["interfaces"])).toEqual({
      fields: { "interfaces.1.name": "twice" },
      form: null,
    });
  });
});
