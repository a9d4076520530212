"use client";
/**
 * The director's connection table for one virtual service, what `ipvsadm -Lcn`
 * prints, fetched on demand through the director's agent: nothing is read
 * until "Load connections"; after that the filter (client address or prefix,
 * state, real server) and the page ask again. No polling — "Refresh" re-reads.
 *
 * testids: `connections-panel`, `load-connections`, `refresh-connections`,
 * `connections-filter` (labels "Client address", "State", "Real server"),
 * `connections-table`, `conn-row` (attributes data-client, data-state,
 * data-destination), `connections-empty`, `connections-error`,
 * `connections-idle`, `pagination` + `pagination-range`.
 */
import { useState, type FormEvent } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { LoadingRows } from "@/components/ui/loading";
import { Panel } from "@/components/ui/page-header";
import { Pagination } from "@/components/ui/pagination";
import { table } from "@/components/ui/table";
import { CONNECTION_STATES, clientFilterError, expireText } from "./connections";
import { useConnectionsQuery, type ConnectionFilter } from "./queries";

export function ConnectionsPanel({ serviceId, realServers }: { serviceId: string; realServers: { id: string; label: string }[] }) {
  const [loaded, setLoaded] = useState(false);
  const [draft, setDraft] = useState({ client: "", state: "", realServerId: "" });
  const [filter, setFilter] = useState<ConnectionFilter>({});
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(25);
  const clientError = clientFilterError(draft.client.trim());
  const q = useConnectionsQuery(serviceId, filter, page, pageSize, loaded);

  const apply = (e?: FormEvent) => {
    e?.preventDefault();
    if (clientError) return;
    const next: ConnectionFilter = {};
    if (draft.client.trim()) next.client = draft.client.trim();
    if (draft.state) next.state = draft.state;
    if (draft.realServerId) next.realServerId = draft.realServerId;
    // the same filter on page 1 is already cached (never polled): read it again
    if (loaded && page === 1 && JSON.stringify(next) === JSON.stringify(filter)) void q.refetch();
    setFilter(next);
    setPage(1);
    setLoaded(true);
  };

  const data = q.data;
  const filtering = Object.keys(filter).length > 0;
  const unanswered = data?.errors ?? [];
  return (
    <Panel testId="connections-panel">
      <form onSubmit={apply} data-testid="connections-filter" className="flex flex-wrap items-end gap-2 border-b border-line px-4 py-2.5">
        <h2 className="mr-2 self-center text-[13px] font-semibold">
          Connections <span className="font-mono text-xs font-normal text-fg-subtle">ipvsadm -Lcn</span>
        </h2>
        <label className="flex flex-col gap-0.5 text-xs text-fg-muted">
          Client address
          <input
            value={draft.client}
            onChange={(e) => setDraft({ ...draft, client: e.target.value })}
            placeholder="198.51.100. (prefix)"
            aria-invalid={clientError ? true : undefined}
            aria-describedby={clientError ? "conn-client-error" : undefined}
            className="h-8 w-48 rounded-md border border-line-strong bg-surface px-2 font-mono text-[12.5px] text-fg"
          />
        </label>
        <label className="flex flex-col gap-0.5 text-xs text-fg-muted">
          State
          <select value={draft.state} onChange={(e) => setDraft({ ...draft, state: e.target.value })} className="h-8 rounded-md border border-line-strong bg-surface px-2 text-[13px] text-fg">
            <option value="">Any</option>
            {CONNECTION_STATES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-0.5 text-xs text-fg-muted">
          Real server
          <select
            value={draft.realServerId}
            onChange={(e) => setDraft({ ...draft, realServerId: e.target.value })}
            className="h-8 rounded-md border border-line-strong bg-surface px-2 font-mono text-[12.5px] text-fg"
          >
            <option value="">Any</option>
            {realServers.map((rs) => (
              <option key={rs.id} value={rs.id}>
                {rs.label}
              </option>
            ))}
          </select>
        </label>
        {!loaded ? (
          <Button type="submit" variant="primary" data-testid="load-connections" disabled={!!clientError}>
            Load connections
          </Button>
        ) : (
          <>
            <Button type="submit" data-testid="apply-connections-filter" disabled={!!clientError}>
              Apply filter
            </Button>
            <Button variant="ghost" data-testid="refresh-connections" busy={q.isFetching} onClick={() => void q.refetch()}>
              Refresh
            </Button>
          </>
        )}
        {loaded && data && !q.isFetching && <span className="self-center text-xs text-fg-subtle">read {new Date(q.dataUpdatedAt).toLocaleTimeString()}</span>}
        {clientError && (
          <p id="conn-client-error" data-testid="field-error-client" className="basis-full text-xs text-danger">
            {clientError}
          </p>
        )}
      </form>
      {loaded && unanswered.length > 0 && (
        <div className="px-4 pt-3" data-testid="connections-partial">
          <Alert tone="warn">
            Not every director answered, so the table may be incomplete:{" "}
            {unanswered.map((e) => `${e.director} (${e.error})`).join(", ")}
          </Alert>
        </div>
      )}
      {!loaded ? (
        <p data-testid="connections-idle" className="px-4 py-6 text-center text-[13px] text-fg-muted">
          The connection table is read from the director&apos;s kernel when you ask for it (it can be large). Filter first if you look for one client.
        </p>
      ) : q.error ? (
        <div className="p-4" data-testid="connections-error">
          <Alert>Could not read the connection table: {q.error.message}</Alert>
        </div>
      ) : q.isPending ? (
        <LoadingRows rows={4} />
      ) : !data || data.rows.length === 0 ? (
        <EmptyState testId="connections-empty" title={filtering ? "No connection matches" : "No connections"}>
          {filtering
            ? "The director has no entry for this service that matches the filter. Entries expire (TIME_WAIT after about 2 minutes): try a broader filter or Refresh."
            : "The director's table has no entry for this service right now: no client connected recently."}
        </EmptyState>
      ) : (
        <>
          <div className={table.wrap}>
            <table className={`${table.table} font-mono text-[12.5px]`} data-testid="connections-table" aria-label="Connections of this virtual service">
              <thead>
                <tr>
                  <th className={table.thDense}>pro</th>
                  <th className={table.thDense}>expire</th>
                  <th className={table.thDense}>state</th>
                  <th className={table.thDense}>source</th>
                  <th className={table.thDense}>virtual</th>
                  <th className={table.thDense}>destination</th>
                  <th className={`${table.thDense} font-sans`}>director</th>
                </tr>
              </thead>
              <tbody>
                {data.rows.map((r, i) => (
                  <tr key={`${r.client}-${r.destination}-${i}`} data-testid="conn-row" data-client={r.client} data-state={r.state} data-destination={r.destination}>
                    <td className={table.tdDense}>{r.protocol}</td>
                    <td className={table.tdDense}>{expireText(r.expiresIn)}</td>
                    <td className={table.tdDense}>{r.state}</td>
                    <td className={table.tdDense}>{r.client}</td>
                    <td className={table.tdDense}>{r.virtual}</td>
                    <td className={table.tdDense}>{r.destination}</td>
                    <td className={`${table.tdDense} font-sans text-fg-muted`}>{r.director}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="border-t border-line">
            <Pagination
              page={page}
              pageSize={pageSize}
              total={data.total}
              onPage={setPage}
              onPageSize={(s) => {
                setPageSize(s);
                setPage(1);
              }}
              noun={filtering ? "matching connections" : "connections"}
            />
          </div>
        </>
      )}
    </Panel>
  );
}
