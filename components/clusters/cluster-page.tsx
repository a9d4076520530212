"use client";
/**
 * One cluster: header (edit/delete), deployment status (applied revision,
 * changes not applied, hosts, drift), its directors, its virtual services
 * with real servers nested.
 * testids: `cluster-header`, `edit-cluster-button`, `delete-cluster-button`.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { serverErrorToFormErrors } from "@/components/forms/errors";
import { useCanEdit } from "@/components/shell/session";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { LoadingRows } from "@/components/ui/loading";
import { PageHeader, Panel } from "@/components/ui/page-header";
import { plural } from "@/components/format";
import { ClusterStatusPanel } from "@/components/revisions/cluster-status";
import { ClusterDashboard } from "@/components/stats/cluster-dashboard";
import { ClusterDialog } from "./cluster-dialog";
import { DirectorsPanel } from "./directors-panel";
import { ServicesPanel } from "./services-panel";

export function ClusterPage({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const canEdit = useCanEdit();
  const cluster = useQuery(trpc.clusters.get.queryOptions({ id }));
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const remove = useMutation(trpc.clusters.delete.mutationOptions());

  if (cluster.error) {
    const notFound = cluster.error.data?.code === "NOT_FOUND";
    return (
      <>
        <PageHeader title={notFound ? "Cluster not found" : "Cluster"} meta={<Link href="/clusters" className="hover:underline">Clusters</Link>} />
        <Alert>{notFound ? "This cluster does not exist (it may have been deleted)." : `Could not load the cluster: ${cluster.error.message}`}</Alert>
      </>
    );
  }
  if (!cluster.data) {
    return (
      <Panel>
        <LoadingRows rows={5} />
      </Panel>
    );
  }
  const c = cluster.data;

  return (
    <>
      <div data-testid="cluster-header">
        <PageHeader
          meta={
            <Link href="/clusters" className="hover:underline">
              Clusters
            </Link>
          }
          title={c.name}
          description={
            <>
              {c.description && <span className="mr-3">{c.description}</span>}
              <span className="text-fg-subtle">
                {plural(c.directorCount, "director")} · {plural(c.serviceCount, "virtual service")} · {plural(c.realServerCount, "real server")}
              </span>
            </>
          }
          actions={
            <>
              <Link
                href={`/audit?clusterId=${encodeURIComponent(c.id)}`}
                className="inline-flex h-8 items-center rounded-md px-3 text-[13px] font-medium text-fg-muted hover:bg-surface-3 hover:text-fg"
              >
                History
              </Link>
              {canEdit && (
                <>
                  <Button data-testid="edit-cluster-button" onClick={() => setEditing(true)}>
                    Edit
                  </Button>
                  <Button variant="danger-ghost" data-testid="delete-cluster-button" onClick={() => setDeleting(true)}>
                    Delete
                  </Button>
                </>
              )}
            </>
          }
        />
      </div>
      <div className="space-y-4">
        <ClusterStatusPanel clusterId={c.id} />
        <ClusterDashboard cluster={c} />
        <DirectorsPanel cluster={c} />
        <ServicesPanel clusterId={c.id} totalServices={c.serviceCount} />
      </div>
      <ClusterDialog open={editing} onClose={() => setEditing(false)} cluster={c} />
      <ConfirmDialog
        open={deleting}
        onClose={() => setDeleting(false)}
        title="Delete cluster"
        confirmLabel="Delete cluster"
        busy={remove.isPending}
        error={remove.error ? serverErrorToFormErrors(remove.error).form : null}
        onConfirm={() =>
          remove.mutate(
            { id: c.id },
            {
              onSuccess: async () => {
                await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
                router.push("/clusters");
              },
            },
          )
        }
      >
        Delete <span className="font-medium text-fg">{c.name}</span> with its {plural(c.serviceCount, "virtual service")} and{" "}
        {plural(c.realServerCount, "real server")}? Its directors stay in the host inventory. The audit log keeps the history.
      </ConfirmDialog>
    </>
  );
}
