"use client";
/**
 * The health part of the service dialog (issue #6): check type (only its
 * fields are shown), timing with the contract's defaults, on-failure action,
 * slow start and sorry server. The values live in the dialog's form as flat
 * strings (`hc*`, `sorry*`); `readHealthFields` turns them into the API's
 * shape for the shared zod schema, and `healthFieldKey` maps schema paths
 * ("healthCheck.path") back to the form's fields. Exec is offered to admins
 * only (the server refuses it for everyone else anyway); a non-admin editing
 * a service that has an exec check sees it read-only and may replace it.
 */
import type { FormController } from "@/components/forms/use-form";
import type { FieldErrors } from "@/components/forms/errors";
import { CheckboxField, SelectField, TextField } from "@/components/ui/field";
import { FORWARDING_METHODS, type ForwardingMethod } from "@/shared/cluster/constants";
import type { VirtualService } from "@/shared/cluster/dto";
import {
  DNS_QUERY_KINDS,
  HEALTH_CHECK_DEFAULTS,
  HEALTH_CHECK_KINDS,
  HEALTH_CHECK_LABELS,
  ON_FAILURE_ACTIONS,
  type HealthCheckKind,
  type OnFailureAction,
} from "@/shared/cluster/health";

export interface HealthFormValues {
  [key: string]: unknown;
  hcType: HealthCheckKind | "";
  hcIntervalMs: string;
  hcTimeoutMs: string;
  hcRise: string;
  hcFall: string;
  hcPort: string;
  hcPath: string;
  hcHost: string;
  hcExpectStatus: string;
  hcExpectBody: string;
  hcBodyIsRegex: boolean;
  hcTlsVerify: boolean;
  hcCommand: string;
  hcArgs: string;
  hcDnsName: string;
  hcDnsType: string;
  onFailure: OnFailureAction;
  slowStartSeconds: string;
  sorryAddress: string;
  sorryPort: string;
  sorryForwarding: ForwardingMethod;
}

export function healthFormDefaults(service?: VirtualService): HealthFormValues {
  const hc = service?.healthCheck ?? null;
  const http = hc && (hc.type === "http" || hc.type === "https") ? hc : null;
  return {
    hcType: hc?.type ?? "",
    hcIntervalMs: String(hc?.intervalMs ?? HEALTH_CHECK_DEFAULTS.intervalMs),
    hcTimeoutMs: String(hc?.timeoutMs ?? HEALTH_CHECK_DEFAULTS.timeoutMs),
    hcRise: String(hc?.rise ?? HEALTH_CHECK_DEFAULTS.rise),
    hcFall: String(hc?.fall ?? HEALTH_CHECK_DEFAULTS.fall),
    hcPort: hc?.port?.toString() ?? "",
    hcPath: http?.path ?? "/",
    hcHost: http?.host ?? "",
    hcExpectStatus: http?.expectStatus ?? "200-399",
    hcExpectBody: http?.expectBody ?? "",
    hcBodyIsRegex: http?.bodyIsRegex ?? false,
    hcTlsVerify: http?.tlsVerify ?? false,
    hcCommand: hc?.type === "exec" ? hc.command : "",
    hcArgs: hc?.type === "exec" ? hc.args.join(" ") : "",
    hcDnsName: hc?.type === "dns" ? hc.name : "",
    hcDnsType: hc?.type === "dns" ? hc.queryType : "A",
    onFailure: service?.onFailure ?? "QUIESCE",
    slowStartSeconds: String(service?.slowStartSeconds ?? 0),
    sorryAddress: service?.sorryServer?.address ?? "",
    sorryPort: service?.sorryServer?.port?.toString() ?? "",
    sorryForwarding: service?.sorryServer?.forwarding ?? "DR",
  };
}

const PATHS: Record<string, string> = {
  type: "hcType",
  intervalMs: "hcIntervalMs",
  timeoutMs: "hcTimeoutMs",
  rise: "hcRise",
  fall: "hcFall",
  port: "hcPort",
  path: "hcPath",
  host: "hcHost",
  expectStatus: "hcExpectStatus",
  expectBody: "hcExpectBody",
  bodyIsRegex: "hcBodyIsRegex",
  tlsVerify: "hcTlsVerify",
  command: "hcCommand",
  args: "hcArgs",
  name: "hcDnsName",
  queryType: "hcDnsType",
};

/** "healthCheck.path" → "hcPath", "sorryServer.port" → "sorryPort"; other paths unchanged. */
export function healthFieldKey(path: string): string {
  if (path === "healthCheck") return "hcType";
  if (path.startsWith("healthCheck.")) {
    const [, field] = path.split(".");
    return PATHS[field] ?? "hcType";
  }
  if (path === "sorryServer") return "sorryAddress";
  if (path.startsWith("sorryServer.")) {
    const field = path.split(".")[1];
    return field === "port" ? "sorryPort" : field === "forwarding" ? "sorryForwarding" : "sorryAddress";
  }
  return path;
}

function int(text: string, errors: FieldErrors, key: string, fallback?: number): number | undefined {
  const t = text.trim();
  if (t === "") return fallback;
  if (!/^-?\d+$/.test(t)) {
    errors[key] = "Enter a whole number";
    return undefined;
  }
  return Number(t);
}

/** The API's health fields from the form (whole-number checks go to `errors`; the shared schema does the rest). */
export function readHealthFields(v: HealthFormValues, errors: FieldErrors) {
  let healthCheck: Record<string, unknown> | null = null;
  if (v.hcType !== "") {
    const common = {
      type: v.hcType,
      intervalMs: int(v.hcIntervalMs, errors, "hcIntervalMs", HEALTH_CHECK_DEFAULTS.intervalMs),
      timeoutMs: int(v.hcTimeoutMs, errors, "hcTimeoutMs", HEALTH_CHECK_DEFAULTS.timeoutMs),
      rise: int(v.hcRise, errors, "hcRise", HEALTH_CHECK_DEFAULTS.rise),
      fall: int(v.hcFall, errors, "hcFall", HEALTH_CHECK_DEFAULTS.fall),
      port: int(v.hcPort, errors, "hcPort") ?? null,
    };
    if (v.hcType === "http" || v.hcType === "https") {
      healthCheck = {
        ...common,
        path: v.hcPath.trim() === "" ? "/" : v.hcPath,
        host: v.hcHost,
        expectStatus: v.hcExpectStatus.trim() === "" ? "200-399" : v.hcExpectStatus,
        expectBody: v.hcExpectBody,
        bodyIsRegex: v.hcBodyIsRegex,
        tlsVerify: v.hcType === "https" && v.hcTlsVerify,
      };
    } else if (v.hcType === "exec") {
      healthCheck = { ...common, command: v.hcCommand, args: v.hcArgs.split(/\s+/).filter(Boolean) };
    } else if (v.hcType === "dns") {
      healthCheck = { ...common, name: v.hcDnsName, queryType: v.hcDnsType };
    } else healthCheck = common;
  }
  const sorryServer =
    v.sorryAddress.trim() === "" ? null : { address: v.sorryAddress, port: int(v.sorryPort, errors, "sorryPort") ?? null, forwarding: v.sorryForwarding };
  return {
    healthCheck,
    onFailure: v.onFailure,
    slowStartSeconds: int(v.slowStartSeconds, errors, "slowStartSeconds", 0),
    sorryServer,
  };
}

export function HealthFields<V extends HealthFormValues>({ form, isAdmin, hadExec, isFwmark }: { form: FormController<V>; isAdmin: boolean; hadExec: boolean; isFwmark: boolean }) {
  const v = form.values;
  const set = <K extends keyof HealthFormValues>(key: K, value: HealthFormValues[K]) => form.set(key as keyof V, value as V[keyof V]);
  const text = (key: keyof HealthFormValues & string) => form.text(key);
  const kinds = HEALTH_CHECK_KINDS.filter((k) => k !== "exec" || isAdmin || hadExec);
  const execLocked = v.hcType === "exec" && !isAdmin;
  const http = v.hcType === "http" || v.hcType === "https";
  return (
    <>
      <fieldset className="rounded-md border border-line p-3" data-testid="health-check-fields">
        <legend className="px-1 text-xs font-medium text-fg-muted">Health check (run by the agent on each director)</legend>
        <div className="grid grid-cols-12 gap-3">
          <SelectField label="Health check" name="hcType" className="col-span-4" value={v.hcType} error={form.errors.hcType}
            onChange={(e) => set("hcType", e.target.value as HealthCheckKind | "")}>
            <option value="">none (weights are never changed)</option>
            {kinds.map((k) => (
              <option key={k} value={k} disabled={k === "exec" && !isAdmin}>
                {HEALTH_CHECK_LABELS[k]}
              </option>
            ))}
          </SelectField>
          {v.hcType !== "" && (
            <p className="col-span-8 self-end pb-1 text-[11.5px] text-fg-subtle">
              Down after {v.hcFall || "?"} failures in a row, up after {v.hcRise || "?"} successes. Timeout ≤ interval × fall.
              {!isAdmin && " Exec checks are defined by admins."}
            </p>
          )}
        </div>
        {v.hcType !== "" && (
          <div className="mt-3 space-y-3">
            <div className="grid grid-cols-5 gap-3">
              <TextField label="Interval (ms)" mono inputMode="numeric" {...text("hcIntervalMs")} />
              <TextField label="Timeout (ms)" mono inputMode="numeric" {...text("hcTimeoutMs")} />
              <TextField label="Rise" mono inputMode="numeric" {...text("hcRise")} />
              <TextField label="Fall" mono inputMode="numeric" {...text("hcFall")} />
              <TextField label="Check port" mono inputMode="numeric" placeholder={isFwmark ? "required" : "real server's"} required={isFwmark} {...text("hcPort")} />
            </div>
            {http && (
              <>
                <div className="grid grid-cols-12 gap-3">
                  <TextField label="HTTP path" className="col-span-4" mono spellCheck={false} placeholder="/" {...text("hcPath")} />
                  <TextField label="Host header" className="col-span-5" mono spellCheck={false} placeholder="the real server's address" {...text("hcHost")} />
                  <TextField label="Expected status" className="col-span-3" mono placeholder="200-399" {...text("hcExpectStatus")} />
                </div>
                <div className="grid grid-cols-12 items-end gap-3">
                  <TextField label="Expected body" className="col-span-7" mono spellCheck={false} placeholder="text the body must contain (optional)" {...text("hcExpectBody")} />
                  <div className="col-span-5 space-y-1 pb-1">
                    <CheckboxField name="hcBodyIsRegex" label="Body is a regular expression" checked={v.hcBodyIsRegex} error={form.errors.hcBodyIsRegex}
                      onChange={(c) => set("hcBodyIsRegex", c)} />
                    {v.hcType === "https" && (
                      <CheckboxField name="hcTlsVerify" label="Verify TLS certificate" checked={v.hcTlsVerify} error={form.errors.hcTlsVerify}
                        onChange={(c) => set("hcTlsVerify", c)} />
                    )}
                  </div>
                </div>
              </>
            )}
            {v.hcType === "exec" && (
              <div className="grid grid-cols-12 gap-3">
                <TextField label="Command" className="col-span-6" mono spellCheck={false} placeholder="/usr/local/bin/check-app" disabled={execLocked} {...text("hcCommand")} />
                <TextField label="Arguments" className="col-span-6" mono spellCheck={false} disabled={execLocked}
                  hint="Space separated; the agent appends: real server address, port, VIP, VIP port. Exit 0 = healthy" {...text("hcArgs")} />
                {execLocked && <p className="col-span-12 text-[11.5px] text-warn">Only admins can change an exec check; you may replace it with another type.</p>}
              </div>
            )}
            {v.hcType === "dns" && (
              <div className="grid grid-cols-12 gap-3">
                <TextField label="DNS name" className="col-span-8" mono spellCheck={false} placeholder="www.example.com" {...text("hcDnsName")} />
                <SelectField label="Query type" name="hcDnsType" className="col-span-4" mono value={v.hcDnsType} error={form.errors.hcDnsType}
                  onChange={(e) => set("hcDnsType", e.target.value)}>
                  {DNS_QUERY_KINDS.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </SelectField>
              </div>
            )}
            <div className="grid grid-cols-12 items-start gap-3">
              <fieldset className="col-span-8">
                <legend className="mb-1 text-xs font-medium text-fg-muted">On failure</legend>
                <div className="flex flex-wrap gap-x-4 gap-y-1 pt-1">
                  {ON_FAILURE_ACTIONS.map((a) => (
                    <label key={a} className="flex items-center gap-1.5 text-[13px]">
                      <input type="radio" name="onFailure" value={a} checked={v.onFailure === a} onChange={() => set("onFailure", a)} className="accent-[var(--accent)]" />
                      {a === "QUIESCE" ? "Quiesce (weight 0)" : "Remove the destination"}
                    </label>
                  ))}
                </div>
                <p className="mt-1 text-[11.5px] text-fg-subtle">
                  {v.onFailure === "QUIESCE" ? "Existing connections finish; new ones go elsewhere." : "Existing connections to it break at once."}
                </p>
                {form.errors.onFailure && <p data-testid="field-error-onFailure" className="mt-1 text-xs text-danger">{form.errors.onFailure}</p>}
              </fieldset>
              <TextField label="Slow start (s)" className="col-span-4" mono inputMode="numeric" hint="Ramp the weight up after recovery; 0 = at once" {...text("slowStartSeconds")} />
            </div>
          </div>
        )}
      </fieldset>

      <fieldset className="rounded-md border border-line p-3" data-testid="sorry-server-fields">
        <legend className="px-1 text-xs font-medium text-fg-muted">Sorry server (answers while every real server is down)</legend>
        <div className="grid grid-cols-12 gap-3">
          <TextField label="Sorry server address" className="col-span-5" mono spellCheck={false} autoComplete="off" placeholder="none" {...text("sorryAddress")} />
          <TextField label="Sorry server port" className="col-span-3" mono inputMode="numeric" placeholder="service's" {...text("sorryPort")} />
          <SelectField label="Sorry server forwarding" name="sorryForwarding" className="col-span-4" value={v.sorryForwarding} error={form.errors.sorryForwarding}
            onChange={(e) => set("sorryForwarding", e.target.value as ForwardingMethod)}>
            {FORWARDING_METHODS.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </SelectField>
        </div>
        {v.sorryAddress.trim() !== "" && v.hcType === "" && (
          <p className="mt-2 text-[11.5px] text-warn">Without a health check the sorry server never takes over.</p>
        )}
      </fieldset>
    </>
  );
}
