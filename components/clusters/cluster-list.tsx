"use client";
/**
 * Clusters list with counts.
 * testids: `clusters-table`, `cluster-row-<name>`, `new-cluster-button`, `clusters-empty`.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useCanEdit } from "@/components/shell/session";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader, Panel } from "@/components/ui/page-header";
import { LoadingRows } from "@/components/ui/loading";
import { table } from "@/components/ui/table";
import { relativeTime } from "@/components/format";
import { ClusterDialog } from "./cluster-dialog";

export function ClusterList() {
  const trpc = useTRPC();
  const canEdit = useCanEdit();
  const clusters = useQuery(trpc.clusters.list.queryOptions());
  const [creating, setCreating] = useState(false);

  const newButton = canEdit && (
    <Button variant="primary" data-testid="new-cluster-button" onClick={() => setCreating(true)}>
      New cluster
    </Button>
  );

  return (
    <>
      <PageHeader title="Clusters" description="Each cluster is a group of directors serving the same virtual services." actions={newButton} />
      {clusters.error && <Alert>Could not load clusters: {clusters.error.message}</Alert>}
      <Panel>
        {clusters.isPending ? (
          <LoadingRows rows={4} />
        ) : clusters.data && clusters.data.length === 0 ? (
          <EmptyState
            testId="clusters-empty"
            title="No clusters yet"
            action={
              canEdit ? (
                <Button variant="primary" onClick={() => setCreating(true)}>
                  Create the first cluster
                </Button>
              ) : undefined
            }
          >
            {canEdit ? (
              <>
                Create a cluster, then add its director hosts (from <Link className="text-accent underline" href="/hosts">Hosts</Link>) and its
                virtual services with their real servers.
              </>
            ) : (
              "Clusters appear here once an operator creates them. Your account can read but not edit."
            )}
          </EmptyState>
        ) : (
          <div className={table.wrap}>
            <table className={table.table} data-testid="clusters-table">
              <thead>
                <tr>
                  <th className={table.th}>Name</th>
                  <th className={table.th}>Description</th>
                  <th className={`${table.th} text-right`}>Directors</th>
                  <th className={`${table.th} text-right`}>Virtual services</th>
                  <th className={`${table.th} text-right`}>Real servers</th>
                  <th className={table.th}>Updated</th>
                </tr>
              </thead>
              <tbody>
                {clusters.data?.map((c) => (
                  <tr key={c.id} className={table.row} data-testid={`cluster-row-${c.name}`}>
                    <td className={table.td}>
                      <Link href={`/clusters/${c.id}`} className="font-medium text-accent hover:underline">
                        {c.name}
                      </Link>
                    </td>
                    <td className={`${table.td} max-w-md truncate text-fg-muted`} title={c.description}>
                      {c.description || <span className="text-fg-subtle">—</span>}
                    </td>
                    <td className={`${table.td} text-right tabular-nums`}>{c.directorCount}</td>
                    <td className={`${table.td} text-right tabular-nums`}>{c.serviceCount.toLocaleString("en-US")}</td>
                    <td className={`${table.td} text-right tabular-nums`}>{c.realServerCount.toLocaleString("en-US")}</td>
                    <td className={`${table.td} text-fg-muted`} title={c.updatedAt}>
                      {relativeTime(c.updatedAt)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      <ClusterDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}
