"use client";
/**
 * Host inventory: machines that run the agent, with the agent's state
 * (online, last seen, version, IPVS, generation applied/published, drift).
 * testids: `hosts-table`, `host-row-<name>`, `host-agent-<name>` (attributes
 * data-enrolled, data-online), `new-host-button`, `hosts-empty`,
 * `enroll-agent-<name>`, `revoke-agent-<name>` (admins).
 * Row buttons: "Enroll agent on <name>", "Revoke agent credential of <name>",
 * "Edit host <name>", "Delete host <name>".
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { Host } from "@/shared/cluster/dto";
import { serverErrorToFormErrors } from "@/components/forms/errors";
import { isAdmin, useCanEdit, useSessionUser } from "@/components/shell/session";
import { OnlineDot } from "@/components/revisions/host-progress";
import { generationText } from "@/components/revisions/progress";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { PencilIcon, TrashIcon } from "@/components/ui/icons";
import { IconButton } from "@/components/ui/icon-button";
import { LoadingRows } from "@/components/ui/loading";
import { PageHeader, Panel } from "@/components/ui/page-header";
import { table } from "@/components/ui/table";
import { formatDateTime, plural, relativeTime } from "@/components/format";
import { EnrollDialog, RevokeAgentDialog } from "./enroll-dialog";
import { HostDialog } from "./host-dialog";

export function HostList() {
  const trpc = useTRPC();
  const canEdit = useCanEdit();
  const admin = isAdmin(useSessionUser().role);
  // Agents come and go: keep the agent column current.
  const hosts = useQuery(trpc.hosts.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const [creating, setCreating] = useState(false);
  const [enrolling, setEnrolling] = useState<Host | null>(null);
  const [revoking, setRevoking] = useState<Host | null>(null);
  const [editing, setEditing] = useState<Host | null>(null);
  const [deleting, setDeleting] = useState<Host | null>(null);

  return (
    <>
      <PageHeader
        title="Hosts"
        description="Machines running the lvs-agent. Directors and real servers of every cluster are picked from here."
        actions={
          canEdit && (
            <Button variant="primary" data-testid="new-host-button" onClick={() => setCreating(true)}>
              New host
            </Button>
          )
        }
      />
      {hosts.error && <Alert>Could not load hosts: {hosts.error.message}</Alert>}
      <Panel>
        {hosts.isPending ? (
          <LoadingRows rows={4} />
        ) : hosts.data && hosts.data.length === 0 ? (
          <EmptyState testId="hosts-empty" title="No hosts in the inventory"
            action={canEdit ? <Button variant="primary" onClick={() => setCreating(true)}>Add the first host</Button> : undefined}>
            {canEdit
              ? "Add each director and real server with its management address and interfaces; then make hosts directors of a cluster or real servers of a service."
              : "Hosts appear here once an operator adds them."}
          </EmptyState>
        ) : (
          <div className={table.wrap}>
            <table className={table.table} data-testid="hosts-table">
              <thead>
                <tr>
                  <th className={table.th}>Name</th>
                  <th className={table.th}>Management address</th>
                  <th className={table.th}>Agent</th>
                  <th className={table.th}>Interfaces</th>
                  <th className={table.th}>Labels</th>
                  <th className={table.th}>Used by</th>
                  <th className={`${table.th} ${table.actions}`}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {hosts.data?.map((h) => (
                  <tr key={h.id} className={table.row} data-testid={`host-row-${h.name}`}>
                    <td className={`${table.td} font-medium`} title={h.description || undefined}>
                      {h.name}
                    </td>
                    <td className={`${table.td} ${table.mono}`}>{h.managementAddress}</td>
                    <td className={`${table.td} py-1.5`}>
                      <AgentCell host={h} />
                    </td>
                    <td className={`${table.td} py-1.5`}>
                      {h.interfaces.length === 0 ? (
                        <span className="text-fg-subtle">—</span>
                      ) : (
                        <ul className="space-y-0.5">
                          {h.interfaces.map((i) => (
                            <li key={i.name} className="font-mono text-[12px]">
                              <span className="text-fg">{i.name}</span>
                              {i.addresses.length > 0 && <span className="text-fg-muted"> {i.addresses.join(" ")}</span>}
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td className={table.td}>
                      <div className="flex flex-wrap gap-1">
                        {Object.entries(h.labels).length === 0 && <span className="text-fg-subtle">—</span>}
                        {Object.entries(h.labels).map(([k, val]) => (
                          <Badge key={k} mono>
                            {k}={val}
                          </Badge>
                        ))}
                      </div>
                    </td>
                    <td className={`${table.td} text-xs text-fg-muted`}>
                      {h.directorOf.map((d) => (
                        <div key={d.clusterId}>
                          director of{" "}
                          <Link className="text-accent hover:underline" href={`/clusters/${d.clusterId}`}>
                            {d.clusterName}
                          </Link>{" "}
                          <span className="text-fg-subtle">(prio {d.priority})</span>
                        </div>
                      ))}
                      {h.realServerCount > 0 && <div>{plural(h.realServerCount, "real-server entry", "real-server entries")}</div>}
                      {h.directorOf.length === 0 && h.realServerCount === 0 && <span className="text-fg-subtle">unused</span>}
                    </td>
                    <td className={`${table.td} ${table.actions}`}>
                      {canEdit && (
                        <div className="flex items-center justify-end gap-0.5">
                          {admin && (
                            <>
                              <Button size="sm" variant="ghost" data-testid={`enroll-agent-${h.name}`} aria-label={`Enroll agent on ${h.name}`} onClick={() => setEnrolling(h)}>
                                {h.agent.enrolled ? "Re-enroll" : "Enroll agent"}
                              </Button>
                              {h.agent.enrolled && (
                                <Button size="sm" variant="danger-ghost" data-testid={`revoke-agent-${h.name}`} aria-label={`Revoke agent credential of ${h.name}`} onClick={() => setRevoking(h)}>
                                  Revoke
                                </Button>
                              )}
                            </>
                          )}
                          <IconButton label={`Edit host ${h.name}`} onClick={() => setEditing(h)}>
                            <PencilIcon />
                          </IconButton>
                          <IconButton tone="danger" label={`Delete host ${h.name}`} onClick={() => setDeleting(h)}>
                            <TrashIcon />
                          </IconButton>
                        </div>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      <HostDialog open={creating} onClose={() => setCreating(false)} />
      {editing && <HostDialog open onClose={() => setEditing(null)} host={editing} />}
      {deleting && <DeleteHostDialog host={deleting} onClose={() => setDeleting(null)} />}
      {enrolling && <EnrollDialog host={enrolling} onClose={() => setEnrolling(null)} />}
      {revoking && <RevokeAgentDialog host={revoking} onClose={() => setRevoking(null)} />}
    </>
  );
}

/** Online/offline, last seen, version, IPVS, generation applied/published, drift. */
function AgentCell({ host }: { host: Host }) {
  const a = host.agent;
  if (!a.enrolled) {
    return (
      <span data-testid={`host-agent-${host.name}`} data-enrolled="false" data-online="false" className="text-xs text-fg-subtle">
        not enrolled
      </span>
    );
  }
  return (
    <div data-testid={`host-agent-${host.name}`} data-enrolled="true" data-online={String(a.online)} className="space-y-0.5 text-xs">
      <div className="flex items-center gap-1.5">
        <OnlineDot online={a.online} showWord />
        {!a.online && (
          <span className="text-fg-subtle" title={formatDateTime(a.lastSeenAt)}>
            {a.lastSeenAt ? `last seen ${relativeTime(a.lastSeenAt)}` : "never connected"}
          </span>
        )}
        {a.driftCount > 0 && <Badge tone="warn">{plural(a.driftCount, "drift")}</Badge>}
      </div>
      {a.version !== null && (
        <div className="flex flex-wrap items-center gap-1.5 text-fg-muted">
          <span className="font-mono text-[11.5px]" title={[a.hostname && `hostname ${a.hostname}`, a.kernelRelease && `kernel ${a.kernelRelease}`].filter(Boolean).join(", ") || undefined}>
            {/^\d/.test(a.version) ? `v${a.version}` : a.version}
          </span>
          {a.ipvs === false ? (
            <Badge tone="danger" title="The kernel has no IPVS: the host cannot direct traffic">
              no IPVS
            </Badge>
          ) : a.ipvs ? (
            <span title={a.schedulers.length ? `schedulers: ${a.schedulers.join(", ")}` : undefined}>IPVS {a.ipvsVersion ?? "yes"}</span>
          ) : null}
          <span className="font-mono text-[11.5px]" title="generation applied / published">
            {generationText({ generation: a.desiredGeneration, appliedGeneration: a.appliedGeneration })}
          </span>
        </div>
      )}
    </div>
  );
}

function DeleteHostDialog({ host, onClose }: { host: Host; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.hosts.delete.mutationOptions());
  const inUse = host.directorOf.length > 0 || host.realServerCount > 0;
  return (
    <ConfirmDialog
      open
      onClose={onClose}
      title="Delete host"
      confirmLabel="Delete host"
      busy={remove.isPending}
      error={remove.error ? serverErrorToFormErrors(remove.error).form : null}
      onConfirm={() =>
        remove.mutate(
          { id: host.id },
          {
            onSuccess: async () => {
              await queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() });
              await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
              onClose();
            },
          },
        )
      }
    >
      Delete <span className="font-medium text-fg">{host.name}</span> (<span className="font-mono">{host.managementAddress}</span>) from the inventory?
      {inUse && (
        <span className="mt-2 block text-warn">
          It is still in use ({[host.directorOf.length > 0 && plural(host.directorOf.length, "cluster") + " as director", host.realServerCount > 0 && plural(host.realServerCount, "real-server entry", "real-server entries")].filter(Boolean).join(", ")}).
        </span>
      )}
    </ConfirmDialog>
  );
}
