"use client";
/**
 * The hosts that direct a cluster (hold its VIPs), with a priority for HA.
 * testids: `directors-panel`, `director-row-<host name>` (inner `director-vip-interface`),
 * `add-director-button`, `directors-empty`. Dialog testid: `director-dialog`
 * (labels "Host", "VIP interface" — a select of the interfaces the host's agent
 * reported, or a text field when none are known — "Other interface" after
 * choosing "Other…", "Priority").
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { ClusterDetail, Director, Host } from "@/shared/cluster/dto";
import { LIMITS } from "@/shared/cluster/constants";
import { directorAddInput, directorUpdateInput } from "@/shared/cluster/schemas";
import { serverErrorToFormErrors, type FieldErrors } from "@/components/forms/errors";
import { readInteger, useForm } from "@/components/forms/use-form";
import { useCanEdit } from "@/components/shell/session";
import { useTRPC } from "@/components/trpc/client";
import { Button } from "@/components/ui/button";
import { ConfirmDialog, Dialog, DialogForm } from "@/components/ui/dialog";
import { FormError, SelectField, TextField } from "@/components/ui/field";
import { PencilIcon, PlusIcon, TrashIcon } from "@/components/ui/icons";
import { IconButton } from "@/components/ui/icon-button";
import { Panel, PanelHeader } from "@/components/ui/page-header";
import { table } from "@/components/ui/table";

export function DirectorsPanel({ cluster }: { cluster: ClusterDetail }) {
  const canEdit = useCanEdit();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Director | null>(null);
  const [removing, setRemoving] = useState<Director | null>(null);
  const directors = [...cluster.directors].sort((a, b) => b.priority - a.priority || a.host.name.localeCompare(b.host.name));

  return (
    <Panel testId="directors-panel">
      <PanelHeader
        title={`Directors (${directors.length})`}
        actions={
          canEdit && (
            <Button size="sm" data-testid="add-director-button" onClick={() => setAdding(true)}>
              <PlusIcon /> Director
            </Button>
          )
        }
      />
      {directors.length === 0 ? (
        <p data-testid="directors-empty" className="px-4 py-4 text-[13px] text-fg-muted">
          {canEdit ? (
            <>
              No director yet. Add the hosts that will hold this cluster&apos;s VIPs and run the agent; hosts come from the{" "}
              <Link href="/hosts" className="text-accent hover:underline">host inventory</Link>.
            </>
          ) : (
            <>
              No director yet: nothing publishes this cluster&apos;s VIPs. An operator adds directors from the{" "}
              <Link href="/hosts" className="text-accent hover:underline">host inventory</Link>.
            </>
          )}
        </p>
      ) : (
        <table className={table.table} aria-label="Directors">
          <thead>
            <tr>
              <th className={table.th}>Host</th>
              <th className={table.th}>Management address</th>
              <th className={table.th} title="The interface the director puts this cluster's VIPs on">
                VIP interface
              </th>
              <th className={`${table.th} text-right`} title="Higher priority is preferred as master">
                Priority
              </th>
              <th className={`${table.th} ${table.actions}`}>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {directors.map((d) => (
              <tr key={d.id} className={table.row} data-testid={`director-row-${d.host.name}`}>
                <td className={`${table.td} font-medium`}>{d.host.name}</td>
                <td className={`${table.td} ${table.mono}`}>{d.host.managementAddress}</td>
                <td className={`${table.td} ${table.mono}`} data-testid="director-vip-interface">
                  {d.vipInterface}
                </td>
                <td className={`${table.td} text-right font-mono text-[12.5px]`}>{d.priority}</td>
                <td className={`${table.td} ${table.actions}`}>
                  {canEdit && (
                    <div className="flex justify-end gap-0.5">
                      <IconButton label={`Edit director ${d.host.name}`} onClick={() => setEditing(d)}>
                        <PencilIcon />
                      </IconButton>
                      <IconButton tone="danger" label={`Remove director ${d.host.name}`} onClick={() => setRemoving(d)}>
                        <TrashIcon />
                      </IconButton>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {adding && <DirectorDialog cluster={cluster} onClose={() => setAdding(false)} />}
      {editing && <DirectorDialog cluster={cluster} director={editing} onClose={() => setEditing(null)} />}
      {removing && <RemoveDirectorDialog cluster={cluster} director={removing} onClose={() => setRemoving(null)} />}
    </Panel>
  );
}

function DirectorDialog({ cluster, director, onClose }: { cluster: ClusterDetail; director?: Director; onClose: () => void }) {
  return (
    <Dialog open onClose={onClose} size="sm" testId="director-dialog"
      title={director ? `Director ${director.host.name}` : "Add director"}
      description={director ? "Where it holds the VIPs, and its priority (higher holds them first)." : `A host that will hold the VIPs of ${cluster.name}.`}>
      <DirectorForm cluster={cluster} director={director} onDone={onClose} />
    </Dialog>
  );
}

function DirectorForm({ cluster, director, onDone }: { cluster: ClusterDetail; director?: Director; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hosts = useQuery(trpc.hosts.list.queryOptions());
  const taken = new Set(cluster.directors.map((d) => d.hostId));
  const available = (hosts.data ?? []).filter((h) => !taken.has(h.id));
  const form = useForm({
    hostId: "",
    priority: director ? String(director.priority) : "100",
    vipInterface: director?.vipInterface ?? "",
  });
  const add = useMutation(trpc.directors.add.mutationOptions());
  const update = useMutation(trpc.directors.update.mutationOptions());
  const hostId = director ? director.hostId : form.values.hostId;
  const host = hosts.data?.find((h) => h.id === hostId);

  const submit = () => {
    const pre: FieldErrors = {};
    const priority = readInteger(form.values.priority, pre, "priority");
    if (!director && form.values.hostId === "") pre.hostId = "Choose a host";
    if (form.values.vipInterface.trim() === "") pre.vipInterface = "Choose the interface that holds the VIPs";
    const vipInterface = form.values.vipInterface.trim();
    const done = async () => {
      await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() });
      onDone();
    };
    const onError = (error: unknown) => form.showServerError(error);
    if (director) {
      const input = form.validate(directorUpdateInput, { id: director.id, priority, vipInterface }, pre);
      if (input) update.mutate(input, { onSuccess: done, onError });
    } else {
      const input = form.validate(directorAddInput, { clusterId: cluster.id, hostId: form.values.hostId || "-", priority, vipInterface }, pre);
      if (input) add.mutate(input, { onSuccess: done, onError });
    }
  };

  return (
    <DialogForm onSubmit={submit} onCancel={onDone} submitLabel={director ? "Save director" : "Add director"} busy={add.isPending || update.isPending}>
      {!director && (
        <SelectField label="Host" name="hostId" value={form.values.hostId} error={form.errors.hostId} data-autofocus
          hint={hosts.data && available.length === 0 ? <>Every host is already a director here. <Link className="text-accent underline" href="/hosts">Add a host</Link> first.</> : undefined}
          onChange={(e) => {
            form.set("hostId", e.target.value);
            // Preselect the only (or first up) interface the new host's agent reported.
            const chosen = hosts.data?.find((h) => h.id === e.target.value);
            const options = chosen ? interfaceOptions(chosen) : [];
            if (options.length > 0 && !options.some((o) => o.name === form.values.vipInterface)) form.set("vipInterface", (options.find((o) => o.up) ?? options[0]).name);
          }}>
          <option value="">Choose a host…</option>
          {available.map((h) => (
            <option key={h.id} value={h.id}>
              {h.name} ({h.managementAddress})
            </option>
          ))}
        </SelectField>
      )}
      <VipInterfaceField host={host} value={form.values.vipInterface} error={form.errors.vipInterface} onChange={(v) => form.set("vipInterface", v)}
        autoFocus={Boolean(director)} />
      <TextField label="Priority" mono inputMode="numeric"
        hint={`${LIMITS.directorPriority.min}–${LIMITS.directorPriority.max}, higher is preferred (VRRP priority)`} {...form.text("priority")} />
      <FormError message={form.formError} />
    </DialogForm>
  );
}

interface InterfaceOption {
  name: string;
  addresses: string[];
  /** null: from the inventory, state unknown */
  up: boolean | null;
}

/** The interfaces the host's agent reported; without an agent report, the ones typed into the inventory. */
function interfaceOptions(host: Host): InterfaceOption[] {
  if (host.agent.interfaces.length > 0) return host.agent.interfaces.filter((i) => i.name !== "lo").map((i) => ({ name: i.name, addresses: i.addresses, up: i.up }));
  return host.interfaces.map((i) => ({ name: i.name, addresses: i.addresses, up: null }));
}

const OTHER = "__other__";

/** A select of the host's interfaces with "Other…" for a name typed by hand; a text field when none are known. */
function VipInterfaceField({ host, value, error, onChange, autoFocus }: { host: Host | undefined; value: string; error?: string; onChange: (v: string) => void; autoFocus: boolean }) {
  const options = host ? interfaceOptions(host) : [];
  const known = options.some((o) => o.name === value);
  const [other, setOther] = useState(false);
  // A name typed by hand (or one the agent no longer reports) shows in the text field.
  const typed = other || (!known && value !== "");
  const source = host && host.agent.interfaces.length > 0 ? "reported by its agent" : "from the host inventory";
  if (options.length === 0) {
    return (
      <TextField label="VIP interface" name="vipInterface" mono value={value} error={error} placeholder="eth0" autoComplete="off" spellCheck={false}
        autoFocus={autoFocus} onChange={(e) => onChange(e.target.value)}
        hint={host ? `No interfaces known for ${host.name} yet (its agent has not connected): type the name, e.g. eth0 or bond0.100.` : "Choose a host first, or type the interface name."} />
    );
  }
  return (
    <div className="grid grid-cols-2 gap-3">
      <SelectField label="VIP interface" name="vipInterface" mono value={typed ? OTHER : value} error={typed ? undefined : error}
        autoFocus={autoFocus} hint={`Interfaces of ${host?.name} ${source}`}
        className={typed ? undefined : "col-span-2"}
        onChange={(e) => {
          if (e.target.value === OTHER) {
            setOther(true);
            onChange("");
          } else {
            setOther(false);
            onChange(e.target.value);
          }
        }}>
        {!known && !typed && <option value="">Choose…</option>}
        {options.map((o) => (
          <option key={o.name} value={o.name}>
            {o.name}
            {o.addresses.length > 0 ? ` — ${o.addresses.join(", ")}` : ""}
            {o.up === false ? " (down)" : ""}
          </option>
        ))}
        <option value={OTHER}>Other…</option>
      </SelectField>
      {typed && (
        <TextField label="Other interface" name="vipInterface" mono value={value} error={error} placeholder="bond0.100" autoComplete="off" spellCheck={false}
          onChange={(e) => onChange(e.target.value)} hint="Linux interface name, up to 15 characters" />
      )}
    </div>
  );
}

function RemoveDirectorDialog({ cluster, director, onClose }: { cluster: ClusterDetail; director: Director; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.directors.remove.mutationOptions());
  return (
    <ConfirmDialog
      open
      onClose={onClose}
      title="Remove director"
      confirmLabel="Remove director"
      busy={remove.isPending}
      error={remove.error ? serverErrorToFormErrors(remove.error).form : null}
      onConfirm={() =>
        remove.mutate(
          { id: director.id },
          {
            onSuccess: async () => {
              await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
              await queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() });
              onClose();
            },
          },
        )
      }
    >
      Remove <span className="font-medium text-fg">{director.host.name}</span> as a director of {cluster.name}? The host stays in the inventory; it
      stops holding this cluster&apos;s VIPs once the change is published.
    </ConfirmDialog>
  );
}
