"use client";
/**
 * Add or edit a real server of a virtual service (ipvsadm -a/-e): a host from
 * the inventory or a bare address, port, forwarding method, weight,
 * connection thresholds.
 *
 * Labels: "Host", "Address", "Port", "Forwarding", "Weight",
 * "Upper threshold (-x)", "Lower threshold (-y)", "Enabled". Button:
 * "Add real server" / "Save real server". Dialog testid: `real-server-dialog`.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { FORWARDING_LABELS, FORWARDING_METHODS, type ForwardingMethod } from "@/shared/cluster/constants";
import type { RealServer, VirtualService } from "@/shared/cluster/dto";
import { checkRealServer, checkRealServerDuplicates } from "@/shared/cluster/rules";
import { realServerCreateInput, realServerUpdateInput } from "@/shared/cluster/schemas";
import { normaliseAddress } from "@/shared/cluster/address";
import { issuesToFormErrors, type FieldErrors } from "@/components/forms/errors";
import { readInteger, useForm } from "@/components/forms/use-form";
import { useTRPC } from "@/components/trpc/client";
import { Dialog, DialogForm } from "@/components/ui/dialog";
import { CheckboxField, FormError, SelectField, TextField } from "@/components/ui/field";
import { endpoint, FORWARDING_FLAG } from "@/components/format";

export function serviceTitle(service: VirtualService): string {
  return service.protocol === "FWMARK" ? `FWMARK ${service.fwmark} (${service.address})` : `${service.protocol} ${endpoint(service.address, service.port)}`;
}

export function RealServerDialog({ open, onClose, service, realServer }: { open: boolean; onClose: () => void; service: VirtualService; realServer?: RealServer }) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={realServer ? `Edit real server ${endpoint(realServer.address, realServer.port ?? service.port)}` : "Add real server"}
      description={<>Behind <span className="font-mono">{serviceTitle(service)}</span></>}
      testId="real-server-dialog"
    >
      <RealServerForm service={service} realServer={realServer} onDone={onClose} />
    </Dialog>
  );
}

function RealServerForm({ service, realServer, onDone }: { service: VirtualService; realServer?: RealServer; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hosts = useQuery(trpc.hosts.list.queryOptions());
  const form = useForm({
    hostId: realServer?.hostId ?? "",
    // A host-backed real server that uses the host's address shows an empty address field.
    address: realServer && !(realServer.hostId && realServer.host && realServer.address === realServer.host.managementAddress) ? realServer.address : "",
    port: realServer?.port?.toString() ?? "",
    forwarding: (realServer?.forwarding ?? "DR") as ForwardingMethod,
    weight: realServer?.weight.toString() ?? "1",
    upperThreshold: realServer?.upperThreshold.toString() ?? "0",
    lowerThreshold: realServer?.lowerThreshold.toString() ?? "0",
    enabled: realServer?.enabled ?? true,
  });
  const create = useMutation(trpc.realServers.create.mutationOptions());
  const update = useMutation(trpc.realServers.update.mutationOptions());
  const v = form.values;
  const selectedHost = hosts.data?.find((h) => h.id === v.hostId);

  const submit = () => {
    const pre: FieldErrors = {};
    const weight = readInteger(v.weight, pre, "weight");
    if (v.weight.trim() === "") pre.weight = "Enter a weight from 0 to 65535 (0 = no new connections)";
    const fields = {
      hostId: v.hostId === "" ? null : v.hostId,
      address: v.address.trim() === "" ? null : v.address,
      port: readInteger(v.port, pre, "port") ?? null,
      forwarding: v.forwarding,
      weight,
      upperThreshold: readInteger(v.upperThreshold, pre, "upperThreshold") ?? 0,
      lowerThreshold: readInteger(v.lowerThreshold, pre, "lowerThreshold") ?? 0,
      enabled: v.enabled,
    };
    const input = realServer
      ? form.validate(realServerUpdateInput, { id: realServer.id, ...fields }, pre)
      : form.validate(realServerCreateInput, { virtualServiceId: service.id, ...fields }, pre);
    if (!input) return;

    // The same rules the server applies: port remap only with NAT, address family, thresholds, duplicates.
    // A host-backed server with an empty address field uses the host's address; until the host list
    // has loaded that address is unknown here, so those checks are left to the server (same messages).
    const hostAddress =
      fields.hostId === null ? null : (selectedHost?.managementAddress ?? (realServer?.hostId === fields.hostId ? (realServer.host?.managementAddress ?? null) : null));
    const address = fields.address !== null ? normaliseAddress(fields.address) : hostAddress;
    const addressUnknown = address === null && fields.hostId !== null;
    const candidate = { ...fields, address, weight: weight ?? 1 };
    const siblings = service.realServers.filter((rs) => rs.id !== realServer?.id).map((rs) => ({ address: rs.address, port: rs.port }));
    const issues = addressUnknown ? [] : [
      ...checkRealServer(service, candidate),
      ...checkRealServerDuplicates(service, [...siblings, candidate])
        .filter((issue) => issue.path[0] === siblings.length)
        .map((issue) => ({ path: issue.path.slice(1), message: `${endpoint(address ?? "", candidate.port ?? service.port)} is already a real server of this service` })),
    ];
    if (issues.length > 0) {
      form.setErrors(issuesToFormErrors(issues));
      return;
    }

    const done = async () => {
      await queryClient.invalidateQueries({ queryKey: trpc.services.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
      onDone();
    };
    const onError = (error: unknown) => form.showServerError(error);
    if (realServer) update.mutate(input as Parameters<typeof update.mutate>[0], { onSuccess: done, onError });
    else create.mutate(input as Parameters<typeof create.mutate>[0], { onSuccess: done, onError });
  };

  const servicePort = service.port === null ? "as sent" : String(service.port);
  return (
    <DialogForm onSubmit={submit} onCancel={onDone} submitLabel={realServer ? "Save real server" : "Add real server"} busy={create.isPending || update.isPending}>
      <div className="grid grid-cols-6 gap-3">
        <SelectField label="Host" className="col-span-3" name="hostId" value={v.hostId} error={form.errors.hostId}
          hint={hosts.data && hosts.data.length === 0 ? "No hosts in the inventory" : undefined}
          onChange={(e) => form.set("hostId", e.target.value)}>
          <option value="">— bare address —</option>
          {hosts.data?.map((h) => (
            <option key={h.id} value={h.id}>
              {h.name} ({h.managementAddress})
            </option>
          ))}
        </SelectField>
        <TextField label="Address" className="col-span-3" mono data-autofocus autoComplete="off" spellCheck={false}
          required={!v.hostId}
          placeholder={selectedHost ? `${selectedHost.managementAddress} (host's address)` : "192.0.2.21"}
          hint={selectedHost ? "Empty = the host's management address" : undefined}
          {...form.text("address")} />
      </div>
      <div className="grid grid-cols-6 gap-3">
        <TextField label="Port" className="col-span-2" mono inputMode="numeric" placeholder={servicePort}
          hint={v.forwarding === "NAT" ? "Empty = VIP port; NAT may remap" : "Empty = VIP port"} {...form.text("port")} />
        <SelectField label="Forwarding" className="col-span-4" name="forwarding" value={v.forwarding} error={form.errors.forwarding}
          onChange={(e) => form.set("forwarding", e.target.value as ForwardingMethod)}>
          {FORWARDING_METHODS.map((m) => (
            <option key={m} value={m}>
              {m} ({FORWARDING_FLAG[m]}) — {FORWARDING_LABELS[m]}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="grid grid-cols-6 gap-3">
        <TextField label="Weight" className="col-span-2" mono inputMode="numeric" required hint="0–65535; 0 = drain" {...form.text("weight")} />
        <TextField label="Upper threshold (-x)" className="col-span-2" mono inputMode="numeric" hint="Max connections; 0 = none" {...form.text("upperThreshold")} />
        <TextField label="Lower threshold (-y)" className="col-span-2" mono inputMode="numeric" hint="Resume below; 0 = none" {...form.text("lowerThreshold")} />
      </div>
      <CheckboxField name="enabled" label="Enabled" checked={v.enabled} onChange={(checked) => form.set("enabled", checked)} error={form.errors.enabled} />
      <FormError message={form.formError} />
    </DialogForm>
  );
}
