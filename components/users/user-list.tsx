"use client";
/**
 * Users (admins only): create with a role, change role, reset password,
 * disable / enable.
 * testids: `users-table`, `user-row-<username>`, `new-user-button`.
 * Dialog testids: `user-dialog` (labels "Username", "Password", "Role"),
 * `role-dialog` (label "Role"), `password-dialog` (label "New password").
 * Row buttons: "Change role of <u>", "Reset password of <u>", "Disable <u>" / "Enable <u>".
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { LIMITS, ROLES, type Role } from "@/shared/cluster/constants";
import type { User } from "@/shared/cluster/dto";
import { userCreateInput, userUpdateInput } from "@/shared/cluster/schemas";
import { serverErrorToFormErrors } from "@/components/forms/errors";
import { useForm } from "@/components/forms/use-form";
import { RoleBadge } from "@/components/shell/app-shell";
import { useSessionUser } from "@/components/shell/session";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog, Dialog, DialogForm } from "@/components/ui/dialog";
import { FormError, SelectField, TextField } from "@/components/ui/field";
import { LoadingRows } from "@/components/ui/loading";
import { PageHeader, Panel } from "@/components/ui/page-header";
import { table } from "@/components/ui/table";
import { formatDateTime, relativeTime } from "@/components/format";

export const ROLE_HELP: Record<Role, string> = {
  viewer: "viewer — reads clusters, hosts and the audit log",
  operator: "operator — also edits clusters and hosts",
  admin: "admin — also manages users and API tokens",
};

type Action = { kind: "create" } | { kind: "role"; user: User } | { kind: "password"; user: User } | { kind: "toggle"; user: User } | null;

export function UserList() {
  const trpc = useTRPC();
  const me = useSessionUser();
  const users = useQuery(trpc.users.list.queryOptions());
  const [action, setAction] = useState<Action>(null);
  const close = () => setAction(null);

  return (
    <>
      <PageHeader
        title="Users"
        description="People who sign in to the panel. Roles are checked by the server on every request."
        actions={
          <Button variant="primary" data-testid="new-user-button" onClick={() => setAction({ kind: "create" })}>
            New user
          </Button>
        }
      />
      {users.error && <Alert>Could not load users: {users.error.message}</Alert>}
      <Panel>
        {users.isPending ? (
          <LoadingRows rows={3} />
        ) : (
          <div className={table.wrap}>
            <table className={table.table} data-testid="users-table">
              <thead>
                <tr>
                  <th className={table.th}>Username</th>
                  <th className={table.th}>Role</th>
                  <th className={table.th}>Status</th>
                  <th className={table.th}>Last sign-in</th>
                  <th className={table.th}>Created</th>
                  <th className={`${table.th} ${table.actions}`}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {users.data?.map((u) => {
                  const self = u.id === me.id;
                  return (
                    <tr key={u.id} className={table.row} data-testid={`user-row-${u.username}`}>
                      <td className={`${table.td} font-medium`}>
                        {u.username} {self && <span className="ml-1 text-xs font-normal text-fg-subtle">(you)</span>}
                      </td>
                      <td className={table.td}>
                        <RoleBadge role={u.role} />
                      </td>
                      <td className={table.td}>{u.disabled ? <Badge tone="danger">disabled</Badge> : <Badge tone="ok">active</Badge>}</td>
                      <td className={`${table.td} text-fg-muted`} title={formatDateTime(u.lastLoginAt)}>
                        {relativeTime(u.lastLoginAt)}
                      </td>
                      <td className={`${table.td} text-fg-muted`}>{formatDateTime(u.createdAt)}</td>
                      <td className={`${table.td} ${table.actions}`}>
                        <div className="flex justify-end gap-1">
                          <Button size="sm" variant="ghost" aria-label={`Change role of ${u.username}`} disabled={self}
                            title={self ? "You cannot change your own role" : undefined} onClick={() => setAction({ kind: "role", user: u })}>
                            Role
                          </Button>
                          <Button size="sm" variant="ghost" aria-label={`Reset password of ${u.username}`} onClick={() => setAction({ kind: "password", user: u })}>
                            Password
                          </Button>
                          <Button size="sm" variant={u.disabled ? "ghost" : "danger-ghost"} aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.username}`}
                            disabled={self} title={self ? "You cannot disable yourself" : undefined} onClick={() => setAction({ kind: "toggle", user: u })}>
                            {u.disabled ? "Enable" : "Disable"}
                          </Button>
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {users.data && users.data.length === 1 && (
              <p className="border-t border-line px-4 py-3 text-[13px] text-fg-muted">
                You are the only user. Create operator accounts for the people who edit clusters, and viewer accounts for those who only look.
              </p>
            )}
          </div>
        )}
      </Panel>
      {action?.kind === "create" && <CreateUserDialog onClose={close} />}
      {action?.kind === "role" && <RoleDialog user={action.user} onClose={close} />}
      {action?.kind === "password" && <PasswordDialog user={action.user} onClose={close} />}
      {action?.kind === "toggle" && <ToggleUserDialog user={action.user} onClose={close} />}
    </>
  );
}

function useInvalidateUsers() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.users.pathKey() });
}

function RoleSelect({ value, onChange, error }: { value: Role; onChange: (role: Role) => void; error?: string }) {
  return (
    <SelectField label="Role" name="role" value={value} error={error} onChange={(e) => onChange(e.target.value as Role)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {ROLE_HELP[r]}
        </option>
      ))}
    </SelectField>
  );
}

function CreateUserDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const form = useForm({ username: "", password: "", role: "operator" as Role });
  const create = useMutation(trpc.users.create.mutationOptions());
  const submit = () => {
    const input = form.validate(userCreateInput, form.values);
    if (!input) return;
    create.mutate(input, {
      onSuccess: async () => {
        await invalidate();
        onClose();
      },
      onError: (e) => form.showServerError(e),
    });
  };
  return (
    <Dialog open onClose={onClose} title="New user" size="sm" testId="user-dialog" description="Give the person their initial password through a safe channel.">
      <DialogForm onSubmit={submit} onCancel={onClose} submitLabel="Create user" busy={create.isPending}>
        <TextField label="Username" required data-autofocus autoComplete="off" spellCheck={false} {...form.text("username")} />
        <TextField label="Password" type="password" required autoComplete="new-password" hint={`At least ${LIMITS.password.min} characters`} {...form.text("password")} />
        <RoleSelect value={form.values.role} onChange={(r) => form.set("role", r)} error={form.errors.role} />
        <FormError message={form.formError} />
      </DialogForm>
    </Dialog>
  );
}

function RoleDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const form = useForm({ role: user.role });
  const update = useMutation(trpc.users.update.mutationOptions());
  const submit = () => {
    const input = form.validate(userUpdateInput, { id: user.id, role: form.values.role });
    if (!input) return;
    update.mutate(input, {
      onSuccess: async () => {
        await invalidate();
        onClose();
      },
      onError: (e) => form.showServerError(e),
    });
  };
  return (
    <Dialog open onClose={onClose} title={`Role of ${user.username}`} size="sm" testId="role-dialog">
      <DialogForm onSubmit={submit} onCancel={onClose} submitLabel="Save role" busy={update.isPending}>
        <RoleSelect value={form.values.role} onChange={(r) => form.set("role", r)} error={form.errors.role} />
        <FormError message={form.formError} />
      </DialogForm>
    </Dialog>
  );
}

function PasswordDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const form = useForm({ password: "" });
  const update = useMutation(trpc.users.update.mutationOptions());
  const submit = () => {
    const input = form.validate(userUpdateInput, { id: user.id, password: form.values.password });
    if (!input) return;
    update.mutate(input, {
      onSuccess: async () => {
        await invalidate();
        onClose();
      },
      onError: (e) => form.showServerError(e),
    });
  };
  return (
    <Dialog open onClose={onClose} title={`Reset password of ${user.username}`} size="sm" testId="password-dialog"
      description="Their current sessions end; they sign in again with the new password.">
      <DialogForm onSubmit={submit} onCancel={onClose} submitLabel="Set password" busy={update.isPending}>
        <TextField label="New password" type="password" required data-autofocus autoComplete="new-password"
          hint={`At least ${LIMITS.password.min} characters`} {...form.text("password")} />
        <FormError message={form.formError} />
      </DialogForm>
    </Dialog>
  );
}

function ToggleUserDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateUsers();
  const update = useMutation(trpc.users.update.mutationOptions());
  const disabling = !user.disabled;
  return (
    <ConfirmDialog
      open
      onClose={onClose}
      title={disabling ? `Disable ${user.username}` : `Enable ${user.username}`}
      confirmLabel={disabling ? "Disable user" : "Enable user"}
      busy={update.isPending}
      error={update.error ? serverErrorToFormErrors(update.error).form : null}
      onConfirm={() =>
        update.mutate(
          { id: user.id, disabled: disabling },
          {
            onSuccess: async () => {
              await invalidate();
              onClose();
            },
          },
        )
      }
    >
      {disabling
        ? `${user.username} is signed out everywhere and cannot sign in until enabled again. Their audit history stays.`
        : `${user.username} can sign in again with their current password.`}
    </ConfirmDialog>
  );
}
