"use client";
/**
 * Create or edit a host of the inventory: name, management address,
 * interfaces (name + address/prefix list), labels (key = value), description.
 *
 * Labels: "Name", "Management address", "Interface name", "Addresses",
 * "Label key", "Label value", "Description". Buttons "Add interface",
 * "Add label", "Create host" / "Save host". Dialog testid: `host-dialog`.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { Host } from "@/shared/cluster/dto";
import { hostFieldsSchema } from "@/shared/cluster/schemas";
import type { FieldErrors } from "@/components/forms/errors";
import { useForm } from "@/components/forms/use-form";
import { useTRPC } from "@/components/trpc/client";
import { Button } from "@/components/ui/button";
import { Dialog, DialogForm } from "@/components/ui/dialog";
import { FormError, TextField } from "@/components/ui/field";
import { PlusIcon, TrashIcon } from "@/components/ui/icons";
import { IconButton } from "@/components/ui/icon-button";

interface InterfaceRow {
  name: string;
  addresses: string;
}
interface LabelRow {
  key: string;
  value: string;
}

export function HostDialog({ open, onClose, host }: { open: boolean; onClose: () => void; host?: Host }) {
  return (
    <Dialog open={open} onClose={onClose} size="lg" testId="host-dialog" title={host ? `Edit host ${host.name}` : "New host"}
      description={host ? undefined : "A machine that runs the lvs-agent: a director, a real server, or both."}>
      <HostForm host={host} onDone={onClose} />
    </Dialog>
  );
}

/** Splits "192.0.2.10/24, 2001:db8::10/64" into its addresses. */
export function splitAddresses(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

function HostForm({ host, onDone }: { host?: Host; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useForm({
    name: host?.name ?? "",
    managementAddress: host?.managementAddress ?? "",
    interfaces: (host?.interfaces.map((i) => ({ name: i.name, addresses: i.addresses.join(", ") })) ?? []) as InterfaceRow[],
    labels: (host ? Object.entries(host.labels).map(([key, value]) => ({ key, value })) : []) as LabelRow[],
    description: host?.description ?? "",
  });
  const create = useMutation(trpc.hosts.create.mutationOptions());
  const update = useMutation(trpc.hosts.update.mutationOptions());
  const v = form.values;

  const setInterface = (i: number, patch: Partial<InterfaceRow>) => form.set("interfaces", v.interfaces.map((row, j) => (j === i ? { ...row, ...patch } : row)));
  const setLabel = (i: number, patch: Partial<LabelRow>) => form.set("labels", v.labels.map((row, j) => (j === i ? { ...row, ...patch } : row)));

  const submit = () => {
    const pre: FieldErrors = {};
    const labels: Record<string, string> = {};
    v.labels.forEach((row, i) => {
      const key = row.key.trim();
      if (key === "") pre[`labels.${i}`] = "Enter a label key (or remove the row)";
      else if (key in labels) pre[`labels.${i}`] = `Label ${key} is set twice`;
      else labels[key] = row.value.trim();
    });
    const fields = {
      name: v.name,
      managementAddress: v.managementAddress,
      interfaces: v.interfaces.map((row) => ({ name: row.name, addresses: splitAddresses(row.addresses) })),
      labels,
      description: v.description,
    };
    const input = form.validate(hostFieldsSchema, fields, pre);
    if (!input) return;
    const done = async () => {
      await queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
      onDone();
    };
    const onError = (error: unknown) => form.showServerError(error);
    if (host) update.mutate({ id: host.id, ...input }, { onSuccess: done, onError });
    else create.mutate(input, { onSuccess: done, onError });
  };

  /** Errors of one interface row: its name, or any of its addresses. */
  const interfaceError = (i: number, part: "name" | "addresses") =>
    Object.entries(form.errors).find(([path]) => path === `interfaces.${i}.${part}` || path.startsWith(`interfaces.${i}.${part}.`))?.[1];
  /** Errors of labels: by row index (client checks) or by key (schema's record-key check). */
  const labelError = (i: number) =>
    form.errors[`labels.${i}`] ?? Object.entries(form.errors).find(([path]) => path === `labels.${v.labels[i]?.key.trim()}`)?.[1];

  return (
    <DialogForm onSubmit={submit} onCancel={onDone} submitLabel={host ? "Save host" : "Create host"} busy={create.isPending || update.isPending}>
      <div className="grid grid-cols-2 gap-3">
        <TextField label="Name" required data-autofocus placeholder="lvs-dir-1" autoComplete="off" spellCheck={false} {...form.text("name")} />
        <TextField label="Management address" required mono placeholder="192.0.2.5" autoComplete="off" spellCheck={false}
          hint="Where the panel reaches the agent; default real-server address" {...form.text("managementAddress")} />
      </div>

      <fieldset>
        <legend className="mb-1.5 flex w-full items-center justify-between text-xs font-medium text-fg-muted">Interfaces</legend>
        {v.interfaces.length === 0 && <p className="mb-2 text-[12px] text-fg-subtle">No interfaces listed. Add the ones VIPs or tunnels will live on.</p>}
        <div className="space-y-2">
          {v.interfaces.map((row, i) => (
            <div key={i} className="grid grid-cols-[8rem_1fr_auto] items-start gap-2">
              <TextField label="Interface name" name={`interfaces.${i}.name`} mono placeholder="eth0" value={row.name}
                error={interfaceError(i, "name")} onChange={(e) => setInterface(i, { name: e.target.value })} />
              <TextField label="Addresses" name={`interfaces.${i}.addresses`} mono placeholder="192.0.2.5/24, 2001:db8::5/64" value={row.addresses}
                error={interfaceError(i, "addresses")} onChange={(e) => setInterface(i, { addresses: e.target.value })} />
              <IconButton className="mt-5" tone="danger" label={`Remove interface ${row.name || i + 1}`}
                onClick={() => form.set("interfaces", v.interfaces.filter((_, j) => j !== i))}>
                <TrashIcon />
              </IconButton>
            </div>
          ))}
        </div>
        <Button size="sm" variant="ghost" className="mt-1.5" onClick={() => form.set("interfaces", [...v.interfaces, { name: "", addresses: "" }])}>
          <PlusIcon /> Add interface
        </Button>
        {form.errors.interfaces && <p data-testid="field-error-interfaces" className="mt-1 text-xs text-danger">{form.errors.interfaces}</p>}
      </fieldset>

      <fieldset>
        <legend className="mb-1.5 text-xs font-medium text-fg-muted">Labels</legend>
        {v.labels.length === 0 && <p className="mb-2 text-[12px] text-fg-subtle">No labels. Use them to group hosts, e.g. site = fra1, role = web.</p>}
        <div className="space-y-2">
          {v.labels.map((row, i) => (
            <div key={i} className="grid grid-cols-[1fr_1fr_auto] items-start gap-2">
              <TextField label="Label key" name={`labels.${i}.key`} mono placeholder="site" value={row.key} error={labelError(i)}
                onChange={(e) => setLabel(i, { key: e.target.value })} />
              <TextField label="Label value" name={`labels.${i}.value`} mono placeholder="fra1" value={row.value}
                onChange={(e) => setLabel(i, { value: e.target.value })} />
              <IconButton className="mt-5" tone="danger" label={`Remove label ${row.key || i + 1}`} onClick={() => form.set("labels", v.labels.filter((_, j) => j !== i))}>
                <TrashIcon />
              </IconButton>
            </div>
          ))}
        </div>
        <Button size="sm" variant="ghost" className="mt-1.5" onClick={() => form.set("labels", [...v.labels, { key: "", value: "" }])}>
          <PlusIcon /> Add label
        </Button>
        {form.errors.labels && <p data-testid="field-error-labels" className="mt-1 text-xs text-danger">{form.errors.labels}</p>}
      </fieldset>

      <TextField label="Description" maxLength={500} {...form.text("description")} />
      <FormError message={form.formError} />
    </DialogForm>
  );
}
