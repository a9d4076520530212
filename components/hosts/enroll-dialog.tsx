"use client";
/**
 * Enroll an agent on a host (admins): the panel issues a one-time token and a
 * copy-paste command that installs the agent and exchanges the token for the
 * host's own credential. The token is shown once and expires.
 * Enrolling again replaces the host's current credential when the new agent enrolls.
 *
 * While open it watches the host until its new agent connects.
 *
 * Dialog testid `enroll-dialog`; `enroll-command` (the command), `copy-enroll-command`,
 * `enroll-expiry`, `enroll-connected` (shown once the agent connected). Revoke: `confirm-dialog`.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import type { Host } from "@/shared/cluster/dto";
import { serverErrorToFormErrors } from "@/components/forms/errors";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Button, Spinner } from "@/components/ui/button";
import { ConfirmDialog, Dialog } from "@/components/ui/dialog";
import { CopyButton, CopyStatus, useCopy } from "@/components/ui/copy-button";
import { FormError } from "@/components/ui/field";
import { formatDateTime } from "@/components/format";

export function EnrollDialog({ host, onClose }: { host: Pick<Host, "id" | "name" | "agent">; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const enroll = useMutation(trpc.hosts.enroll.mutationOptions());
  const { mutate } = enroll;

  // One token per opening of the dialog: ask as soon as it opens (once, even when effects run twice in development).
  const asked = useRef(false);
  useEffect(() => {
    if (asked.current) return;
    asked.current = true;
    mutate({ hostId: host.id }, { onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() }) });
  }, [host.id, mutate, queryClient, trpc]);

  const result = enroll.data;
  // Watch for the agent to connect with its new credential (a new credential prefix, online).
  const [previousPrefix] = useState(host.agent.credentialPrefix);
  const hosts = useQuery(trpc.hosts.list.queryOptions(undefined, { refetchInterval: result ? 2_000 : false }));
  const current = hosts.data?.find((h) => h.id === host.id)?.agent;
  const connected = current && current.online && current.credentialPrefix !== null && current.credentialPrefix !== previousPrefix ? current : null;
  return (
    <Dialog open onClose={onClose} size="lg" testId="enroll-dialog" title={`Enroll agent on ${host.name}`}
      description="Run this once on the host, as a user that can sudo. It installs lvs-agent, enrolls it and starts it.">
      <div className="space-y-3 px-5 py-4">
        {enroll.isPending && <p className="text-[13px] text-fg-muted" role="status">Issuing a one-time token…</p>}
        {enroll.error && <FormError message={serverErrorToFormErrors(enroll.error).form} />}
        {result && (
          <>
            <Alert tone="warn">
              <strong>Shown once.</strong> The command holds a one-time token that the panel keeps only hashed. It works for one enrollment and expires{" "}
              <span data-testid="enroll-expiry">{expiryText(result.expiresAt)}</span>. Close this dialog and enroll again to get a new one.
            </Alert>
            <CommandBox command={result.command} />
            {connected ? (
              <div data-testid="enroll-connected">
                <Alert tone="ok">
                  The agent on {host.name} connected{connected.version ? ` (lvs-agent ${connected.version}` : ""}
                  {connected.version ? (connected.ipvs ? `, IPVS ${connected.ipvsVersion ?? "present"})` : ", no IPVS in its kernel)") : ""}.
                </Alert>
              </div>
            ) : (
              <p role="status" className="flex items-center gap-2 text-xs text-fg-muted">
                <Spinner /> Waiting for the agent to connect…
              </p>
            )}
            <ul className="list-disc space-y-0.5 pl-5 text-xs text-fg-muted">
              <li>Needs Node.js ≥ 20 and root (the agent changes IPVS, addresses and sysctls).</li>
              <li>The agent stores its own credential in /etc/lvs-agent/credential.json (mode 0600) and connects out to this panel; no inbound port is opened.</li>
              <li>A host enrolled before gets a new credential; its old one stops working.</li>
            </ul>
          </>
        )}
      </div>
      <div className="flex justify-end border-t border-line bg-surface-2 px-5 py-3">
        <Button variant="primary" onClick={onClose} data-autofocus>
          Done
        </Button>
      </div>
    </Dialog>
  );
}

function expiryText(iso: string): string {
  const minutes = Math.round((new Date(iso).getTime() - Date.now()) / 60_000);
  const at = formatDateTime(iso);
  return minutes > 0 ? `in ${minutes} min (${at})` : `at ${at}`;
}

function CommandBox({ command }: { command: string }) {
  const { copied, copy } = useCopy(command);
  return (
    <div>
      <div className="mb-1 flex items-center justify-between">
        <span id="enroll-command-label" className="text-xs font-medium text-fg-muted">
          Install command
        </span>
        <CopyButton size="sm" testId="copy-enroll-command" copied={copied} onCopy={copy} />
      </div>
      <pre
        data-testid="enroll-command"
        aria-labelledby="enroll-command-label"
        tabIndex={0}
        className="overflow-x-auto rounded-md border border-[#2a3039] bg-[#0f1216] px-3 py-2.5 font-mono text-[12px] leading-relaxed whitespace-pre-wrap break-all text-[#d7dce3] select-all"
      >
        {command}
      </pre>
      <CopyStatus copied={copied} what="command" />
    </div>
  );
}

export function RevokeAgentDialog({ host, onClose }: { host: Pick<Host, "id" | "name">; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(trpc.hosts.revokeAgent.mutationOptions());
  return (
    <ConfirmDialog
      open
      onClose={onClose}
      title="Revoke agent credential"
      confirmLabel="Revoke credential"
      busy={revoke.isPending}
      error={revoke.error ? serverErrorToFormErrors(revoke.error).form : null}
      onConfirm={() =>
        revoke.mutate(
          { hostId: host.id },
          {
            onSuccess: async () => {
              await queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() });
              await queryClient.invalidateQueries({ queryKey: trpc.revisions.pathKey() });
              onClose();
            },
          },
        )
      }
    >
      Revoke the agent credential of <span className="font-medium text-fg">{host.name}</span>? Its agent is disconnected and refused from now on; it
      keeps the kernel as it is but gets no further changes until the host is enrolled again.
    </ConfirmDialog>
  );
}
