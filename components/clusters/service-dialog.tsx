"use client";
/**
 * Create or edit a virtual service (ipvsadm -A/-E): protocol, VIP, port or
 * firewall mark (+ the mark rule the agent writes: protocol and ports),
 * scheduler (+ flags for sh/mh), persistence, description.
 *
 * Labels: "Protocol", "Virtual IP (VIP)", "Port", "Firewall mark",
 * "Mark rule protocol", "Mark rule ports",
 * "Scheduler", "Persistence timeout (s)", "Persistence netmask (prefix)",
 * "Persistence engine", "Description", "Enabled"; health (#6,
 * components/health/health-form.tsx): "Health check", "Interval (ms)",
 * "Timeout (ms)", "Rise", "Fall", "Check port", "HTTP path", "Host header",
 * "Expected status", "Expected body", "Command", "Arguments", "DNS name",
 * "Query type", "On failure", "Slow start (s)", "Sorry server address",
 * "Sorry server port", "Sorry server forwarding". Button: "Create service" /
 * "Save service". Dialog testid: `service-dialog`. The service and its health
 * settings are saved by one mutation (all or nothing).
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { MARK_PROTOCOLS, PROTOCOLS, SCHEDULERS, SCHEDULER_FLAGS, SCHEDULER_LABELS, type MarkProtocol, type Protocol, type Scheduler } from "@/shared/cluster/constants";
import type { VirtualService } from "@/shared/cluster/dto";
import { parseMarkPortsText, virtualServiceCreateInput } from "@/shared/cluster/schemas";
import { readInteger, useForm } from "@/components/forms/use-form";
import type { FieldErrors } from "@/components/forms/errors";
import { useTRPC } from "@/components/trpc/client";
import { Dialog, DialogForm } from "@/components/ui/dialog";
import { CheckboxField, FormError, SelectField, TextField } from "@/components/ui/field";
import { endpoint } from "@/components/format";
import { HealthFields, healthFieldKey, healthFormDefaults, readHealthFields } from "@/components/health/health-form";
import { useSessionUser } from "@/components/shell/session";

export function ServiceDialog({ open, onClose, clusterId, service }: { open: boolean; onClose: () => void; clusterId: string; service?: VirtualService }) {
  const title = service ? `Edit ${service.protocol === "FWMARK" ? `FWMARK ${service.fwmark}` : `${service.protocol} ${endpoint(service.address, service.port)}`}` : "New virtual service";
  return (
    <Dialog open={open} onClose={onClose} title={title} size="lg" testId="service-dialog"
      description={service ? undefined : "A VIP:port (or firewall mark) the directors accept traffic on. Add real servers after creating it."}>
      <ServiceForm clusterId={clusterId} service={service} onDone={onClose} />
    </Dialog>
  );
}

function ServiceForm({ clusterId, service, onDone }: { clusterId: string; service?: VirtualService; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useForm({
    protocol: (service?.protocol ?? "TCP") as Protocol,
    address: service?.address ?? "",
    port: service?.port?.toString() ?? "",
    fwmark: service?.fwmark?.toString() ?? "",
    markProtocol: (service?.markProtocol ?? "") as MarkProtocol | "",
    markPorts: service?.markPorts.join(", ") ?? "",
    scheduler: (service?.scheduler ?? "wlc") as Scheduler,
    schedulerFlags: service?.schedulerFlags ?? ([] as string[]),
    persistenceTimeout: service?.persistenceTimeout?.toString() ?? "",
    persistenceNetmask: service?.persistenceNetmask?.toString() ?? "",
    persistenceEngine: service?.persistenceEngine ?? "",
    description: service?.description ?? "",
    enabled: service?.enabled ?? true,
    ...healthFormDefaults(service),
    // "markPorts.2" (one bad port) shows under the ports field; health paths map to the hc*/sorry* fields
  }, (path) => (path.startsWith("markPorts.") ? "markPorts" : healthFieldKey(path)));
  const isAdmin = useSessionUser().role === "admin";
  const create = useMutation(trpc.services.create.mutationOptions());
  const update = useMutation(trpc.services.update.mutationOptions());
  const v = form.values;
  const isFwmark = v.protocol === "FWMARK";
  const flagChoices = SCHEDULER_FLAGS[v.scheduler] ?? [];

  const submit = () => {
    const pre: FieldErrors = {};
    const fields = {
      protocol: v.protocol,
      address: v.address,
      port: isFwmark ? null : (readInteger(v.port, pre, "port") ?? null),
      fwmark: isFwmark ? (readInteger(v.fwmark, pre, "fwmark") ?? null) : null,
      markProtocol: isFwmark && v.markProtocol !== "" ? v.markProtocol : null,
      markPorts: isFwmark ? readMarkPorts(v.markPorts, pre) : [],
      scheduler: v.scheduler,
      schedulerFlags: v.schedulerFlags.filter((f) => flagChoices.includes(f)),
      persistenceTimeout: readInteger(v.persistenceTimeout, pre, "persistenceTimeout") ?? null,
      persistenceNetmask: readInteger(v.persistenceNetmask, pre, "persistenceNetmask") ?? null,
      persistenceEngine: v.persistenceEngine === "" ? null : v.persistenceEngine,
      description: v.description,
      enabled: v.enabled,
      ...readHealthFields(v, pre),
    };
    const done = async () => {
      await queryClient.invalidateQueries({ queryKey: trpc.services.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
      onDone();
    };
    const onError = (error: unknown) => form.showServerError(error);
    if (service) {
      // the create schema checks the health settings against the service's real servers too (sorry server ≠ a real server)
      const realServers = service.realServers.map((r) => ({ address: r.address, port: r.port, forwarding: r.forwarding, upperThreshold: r.upperThreshold, lowerThreshold: r.lowerThreshold }));
      const input = form.validate(virtualServiceCreateInput, { clusterId, ...fields, realServers }, pre);
      if (!input) return;
      const { clusterId: _c, realServers: _r, ...patch } = input;
      update.mutate({ id: service.id, ...patch }, { onSuccess: done, onError });
    } else {
      const input = form.validate(virtualServiceCreateInput, { clusterId, ...fields, realServers: [] }, pre);
      if (!input) return;
      create.mutate(input, { onSuccess: done, onError });
    }
  };

  return (
    <DialogForm onSubmit={submit} onCancel={onDone} submitLabel={service ? "Save service" : "Create service"} busy={create.isPending || update.isPending}>
      <div className="grid grid-cols-12 gap-3">
        <SelectField label="Protocol" className="col-span-3" value={v.protocol} name="protocol" error={form.errors.protocol}
          onChange={(e) => form.set("protocol", e.target.value as Protocol)}>
          {PROTOCOLS.map((p) => (
            <option key={p} value={p}>
              {p === "FWMARK" ? "FWMARK (-f)" : p === "TCP" ? "TCP (-t)" : "UDP (-u)"}
            </option>
          ))}
        </SelectField>
        <TextField label="Virtual IP (VIP)" className="col-span-5" mono required data-autofocus placeholder="192.0.2.10 or 2001:db8::10"
          autoComplete="off" spellCheck={false} {...form.text("address")} />
        {isFwmark ? (
          <TextField label="Firewall mark" className="col-span-4" mono required inputMode="numeric" placeholder="1" {...form.text("fwmark")} />
        ) : (
          <TextField label="Port" className="col-span-4" mono required inputMode="numeric" placeholder="80" {...form.text("port")} />
        )}
      </div>
      {isFwmark && (
        <fieldset className="rounded-md border border-line p-3">
          <legend className="px-1 text-xs font-medium text-fg-muted">Mark rule (nft, written by the agent on the directors)</legend>
          <div className="grid grid-cols-12 gap-3">
            <SelectField label="Mark rule protocol" name="markProtocol" className="col-span-4" value={v.markProtocol} error={form.errors.markProtocol}
              onChange={(e) => form.set("markProtocol", e.target.value as MarkProtocol | "")}>
              <option value="">none (marked elsewhere)</option>
              {MARK_PROTOCOLS.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </SelectField>
            <TextField label="Mark rule ports" className="col-span-8" mono placeholder="80, 443" autoComplete="off" spellCheck={false}
              hint={v.markProtocol === "" ? "Choose a protocol to let the agent mark packets to the VIP" : "Destination ports, comma separated; empty = every port"}
              {...form.text("markPorts")} />
          </div>
          <p className="mt-2 text-[11.5px] text-fg-subtle">
            Packets to the VIP{v.markProtocol ? ` (${v.markProtocol}${v.markPorts.trim() ? ` ports ${v.markPorts.trim()}` : ", every port"})` : ""} get mark{" "}
            {v.fwmark.trim() || "N"}, and IPVS balances every marked connection as one service. With no protocol, the agent writes no rule: mark the
            packets yourself.
          </p>
        </fieldset>
      )}

      <div className="grid grid-cols-6 gap-3">
        <SelectField label="Scheduler" className="col-span-3" mono value={v.scheduler} name="scheduler" error={form.errors.scheduler}
          onChange={(e) => form.set("scheduler", e.target.value as Scheduler)}>
          {SCHEDULERS.map((s) => (
            <option key={s} value={s}>
              {s} — {SCHEDULER_LABELS[s]}
            </option>
          ))}
        </SelectField>
        <fieldset className="col-span-3">
          <legend className="mb-1 text-xs font-medium text-fg-muted">Scheduler flags (-b)</legend>
          {flagChoices.length === 0 ? (
            <p className="pt-1.5 text-[12px] text-fg-subtle">{v.scheduler} takes no flags</p>
          ) : (
            <div className="flex flex-wrap gap-x-4 gap-y-1 pt-1">
              {flagChoices.map((flag) => (
                <CheckboxField key={flag} name={`flag-${flag}`} label={<span className="font-mono text-[12.5px]">{flag}</span>}
                  checked={v.schedulerFlags.includes(flag)}
                  onChange={(checked) => form.set("schedulerFlags", checked ? [...v.schedulerFlags, flag] : v.schedulerFlags.filter((f) => f !== flag))} />
              ))}
            </div>
          )}
          {form.errors.schedulerFlags && (
            <p data-testid="field-error-schedulerFlags" className="mt-1 text-xs text-danger">
              {form.errors.schedulerFlags}
            </p>
          )}
        </fieldset>
      </div>

      <fieldset className="rounded-md border border-line p-3">
        <legend className="px-1 text-xs font-medium text-fg-muted">Persistence (-p)</legend>
        <div className="grid grid-cols-3 gap-3">
          <TextField label="Persistence timeout (s)" mono inputMode="numeric" placeholder="off" hint="Empty = no persistence" {...form.text("persistenceTimeout")} />
          <TextField label="Persistence netmask (prefix)" mono inputMode="numeric" placeholder={v.address.includes(":") ? "128" : "32"}
            hint="-M, as a prefix length" {...form.text("persistenceNetmask")} />
          <SelectField label="Persistence engine" value={v.persistenceEngine} name="persistenceEngine" error={form.errors.persistenceEngine}
            onChange={(e) => form.set("persistenceEngine", e.target.value)}>
            <option value="">none</option>
            <option value="sip">sip</option>
          </SelectField>
        </div>
      </fieldset>

      <HealthFields form={form} isAdmin={isAdmin} hadExec={service?.healthCheck?.type === "exec"} isFwmark={isFwmark} />

      <TextField label="Description" maxLength={500} placeholder="What this service is for" {...form.text("description")} />
      <CheckboxField name="enabled" label="Enabled" hint="A disabled service stays in the panel but is not published to the directors."
        checked={v.enabled} onChange={(checked) => form.set("enabled", checked)} error={form.errors.enabled} />
      <FormError message={form.formError} />
    </DialogForm>
  );
}

/** "80, 443" → [80, 443]; a part that is not a whole number is a field error. */
function readMarkPorts(text: string, errors: FieldErrors): number[] {
  const ports = parseMarkPortsText(text);
  if (ports === null) {
    errors.markPorts = "Enter ports as whole numbers separated by commas, e.g. 80, 443";
    return [];
  }
  return ports;
}
