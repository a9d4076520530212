"use client";
/**
 * API tokens (admins only) for automation: `Authorization: Bearer <secret>`.
 * The secret is shown once after creation, with a copy button.
 * testids: `tokens-table`, `token-row-<name>`, `new-token-button`, `tokens-empty`,
 * `token-secret` (the secret, shown once), `copy-token-button`.
 * Dialog testid: `token-dialog` (labels "Name", "Role", "Expires in (days)").
 * Row button: "Revoke token <name>".
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ROLES, type Role } from "@/shared/cluster/constants";
import type { ApiToken, CreatedApiToken } from "@/shared/cluster/dto";
import { tokenCreateInput } from "@/shared/cluster/schemas";
import { serverErrorToFormErrors, type FieldErrors } from "@/components/forms/errors";
import { readInteger, useForm } from "@/components/forms/use-form";
import { RoleBadge } from "@/components/shell/app-shell";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog, Dialog, DialogForm } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { FormError, SelectField, TextField } from "@/components/ui/field";
import { CopyButton, CopyStatus, useCopy } from "@/components/ui/copy-button";
import { LoadingRows } from "@/components/ui/loading";
import { PageHeader, Panel } from "@/components/ui/page-header";
import { table } from "@/components/ui/table";
import { formatDate, formatDateTime, relativeTime } from "@/components/format";
import { ROLE_HELP } from "./user-list";

function tokenState(t: ApiToken, now = Date.now()): { label: string; tone: "ok" | "danger" | "neutral" } {
  if (t.revokedAt) return { label: "revoked", tone: "danger" };
  if (t.expiresAt && new Date(t.expiresAt).getTime() <= now) return { label: "expired", tone: "neutral" };
  return { label: "active", tone: "ok" };
}

export function TokenList() {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);

  return (
    <>
      <PageHeader
        title="API tokens"
        description={
          <>
            For scripts and CI: send <code className="font-mono text-[12px]">Authorization: Bearer &lt;token&gt;</code> to the API. Tokens are stored hashed.
          </>
        }
        actions={
          <Button variant="primary" data-testid="new-token-button" onClick={() => setCreating(true)}>
            New token
          </Button>
        }
      />
      {tokens.error && <Alert>Could not load tokens: {tokens.error.message}</Alert>}
      <Panel>
        {tokens.isPending ? (
          <LoadingRows rows={3} />
        ) : tokens.data && tokens.data.length === 0 ? (
          <EmptyState testId="tokens-empty" title="No API tokens" action={<Button variant="primary" onClick={() => setCreating(true)}>Create a token</Button>}>
            Create a token for each script or pipeline that changes clusters, with the least role it needs. You can revoke it at any time.
          </EmptyState>
        ) : (
          <div className={table.wrap}>
            <table className={table.table} data-testid="tokens-table">
              <thead>
                <tr>
                  <th className={table.th}>Name</th>
                  <th className={table.th}>Token</th>
                  <th className={table.th}>Role</th>
                  <th className={table.th}>Status</th>
                  <th className={table.th}>Last used</th>
                  <th className={table.th}>Expires</th>
                  <th className={table.th}>Created</th>
                  <th className={`${table.th} ${table.actions}`}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.data?.map((t) => {
                  const state = tokenState(t);
                  return (
                    <tr key={t.id} className={table.row} data-testid={`token-row-${t.name}`}>
                      <td className={`${table.td} font-medium`}>{t.name}</td>
                      <td className={`${table.td} ${table.mono} text-fg-muted`}>{t.prefix}…</td>
                      <td className={table.td}>
                        <RoleBadge role={t.role} />
                      </td>
                      <td className={table.td}>
                        <Badge tone={state.tone}>{state.label}</Badge>
                      </td>
                      <td className={`${table.td} text-fg-muted`} title={formatDateTime(t.lastUsedAt)}>
                        {relativeTime(t.lastUsedAt)}
                      </td>
                      <td className={`${table.td} text-fg-muted`}>{t.expiresAt ? formatDate(t.expiresAt) : "never"}</td>
                      <td className={`${table.td} text-fg-muted`}>
                        {formatDate(t.createdAt)}
                        {t.createdBy && <span className="text-fg-subtle"> by {t.createdBy.username}</span>}
                      </td>
                      <td className={`${table.td} ${table.actions}`}>
                        {!t.revokedAt && (
                          <Button size="sm" variant="danger-ghost" aria-label={`Revoke token ${t.name}`} onClick={() => setRevoking(t)}>
                            Revoke
                          </Button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      {creating && <CreateTokenDialog onClose={() => setCreating(false)} />}
      {revoking && <RevokeTokenDialog token={revoking} onClose={() => setRevoking(null)} />}
    </>
  );
}

function CreateTokenDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const form = useForm({ name: "", role: "operator" as Role, expiresInDays: "90" });
  const create = useMutation(trpc.tokens.create.mutationOptions());
  const [created, setCreated] = useState<CreatedApiToken | null>(null);

  const submit = () => {
    const pre: FieldErrors = {};
    const days = readInteger(form.values.expiresInDays, pre, "expiresInDays");
    const input = form.validate(tokenCreateInput, { name: form.values.name, role: form.values.role, expiresInDays: days ?? null }, pre);
    if (!input) return;
    create.mutate(input, {
      onSuccess: async (result) => {
        setCreated(result);
        await queryClient.invalidateQueries({ queryKey: trpc.tokens.pathKey() });
      },
      onError: (e) => form.showServerError(e),
    });
  };

  if (created) {
    return (
      // A new key remounts the dialog, so focus moves to "Done" in the secret view.
      <Dialog key="created" open onClose={onClose} title={`Token ${created.token.name} created`} testId="token-dialog">
        <div className="space-y-3 px-5 py-4">
          <Alert tone="warn">
            <strong>Copy this token now. You will not see it again</strong> — the panel keeps only its hash. If it is lost, revoke it and create another.
          </Alert>
          <SecretBox secret={created.secret} />
          <p className="text-xs text-fg-muted">
            Role <RoleBadge role={created.token.role} />, {created.token.expiresAt ? `expires ${formatDate(created.token.expiresAt)}` : "never expires"}.
          </p>
        </div>
        <div className="flex justify-end border-t border-line bg-surface-2 px-5 py-3">
          <Button variant="primary" onClick={onClose} data-autofocus>
            Done
          </Button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog open onClose={onClose} title="New API token" size="sm" testId="token-dialog">
      <DialogForm onSubmit={submit} onCancel={onClose} submitLabel="Create token" busy={create.isPending}>
        <TextField label="Name" required data-autofocus placeholder="ci-deploy" autoComplete="off" hint="What uses it, so you know what breaks when you revoke it" {...form.text("name")} />
        <SelectField label="Role" name="role" value={form.values.role} error={form.errors.role} onChange={(e) => form.set("role", e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_HELP[r]}
            </option>
          ))}
        </SelectField>
        <TextField label="Expires in (days)" mono inputMode="numeric" placeholder="never" hint="Empty = valid until revoked" {...form.text("expiresInDays")} />
        <FormError message={form.formError} />
      </DialogForm>
    </Dialog>
  );
}

function SecretBox({ secret }: { secret: string }) {
  const { copied, copy } = useCopy(secret);
  return (
    <div>
      <label htmlFor="token-secret" className="mb-1 block text-xs font-medium text-fg-muted">
        Token
      </label>
      <div className="flex gap-2">
        <input
          id="token-secret"
          data-testid="token-secret"
          readOnly
          value={secret}
          onFocus={(e) => e.target.select()}
          className="h-9 min-w-0 flex-1 rounded-md border border-line-strong bg-surface-2 px-2.5 font-mono text-[12.5px]"
        />
        <CopyButton testId="copy-token-button" copied={copied} onCopy={copy} />
      </div>
      <CopyStatus copied={copied} what="token" />
    </div>
  );
}

function RevokeTokenDialog({ token, onClose }: { token: ApiToken; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions());
  return (
    <ConfirmDialog
      open
      onClose={onClose}
      title="Revoke API token"
      confirmLabel="Revoke token"
      busy={revoke.isPending}
      error={revoke.error ? serverErrorToFormErrors(revoke.error).form : null}
      onConfirm={() =>
        revoke.mutate(
          { id: token.id },
          {
            onSuccess: async () => {
              await queryClient.invalidateQueries({ queryKey: trpc.tokens.pathKey() });
              onClose();
            },
          },
        )
      }
    >
      Revoke <span className="font-medium text-fg">{token.name}</span> (<span className="font-mono">{token.prefix}…</span>)? Requests using it are refused
      from now on. This cannot be undone.
    </ConfirmDialog>
  );
}
