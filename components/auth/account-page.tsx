"use client";
/**
 * The signed-in user's account: who they are and a password change.
 * Labels: "Current password", "New password", "Repeat new password";
 * button "Change password". testid: `change-password-form`.
 */
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { LIMITS } from "@/shared/cluster/constants";
import { changePasswordInput } from "@/shared/cluster/schemas";
import { useForm } from "@/components/forms/use-form";
import { RoleBadge } from "@/components/shell/app-shell";
import { useSessionUser } from "@/components/shell/session";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { FormError, TextField } from "@/components/ui/field";
import { PageHeader, Panel, PanelHeader } from "@/components/ui/page-header";

export function AccountPage() {
  const user = useSessionUser();
  const trpc = useTRPC();
  const form = useForm({ currentPassword: "", newPassword: "", repeat: "" });
  const change = useMutation(trpc.auth.changePassword.mutationOptions());
  const [done, setDone] = useState(false);

  const submit = () => {
    setDone(false);
    const pre: Record<string, string> = {};
    if (form.values.repeat !== form.values.newPassword) pre.repeat = "The new passwords do not match";
    const input = form.validate(changePasswordInput, { currentPassword: form.values.currentPassword, newPassword: form.values.newPassword }, pre);
    if (!input) return;
    change.mutate(input, {
      onSuccess: () => {
        setDone(true);
        form.set("currentPassword", "");
        form.set("newPassword", "");
        form.set("repeat", "");
      },
      onError: (e) => form.showServerError(e),
    });
  };

  return (
    <>
      <PageHeader title="Account" description={<span className="inline-flex items-center gap-2">Signed in as <strong className="text-fg">{user.username}</strong> <RoleBadge role={user.role} /></span>} />
      <Panel className="max-w-lg">
        <PanelHeader title="Change password" />
        {user.via === "token" ? (
          <p className="px-4 py-4 text-[13px] text-fg-muted">This request is authenticated with an API token; tokens have no password.</p>
        ) : (
          <form
            noValidate
            data-testid="change-password-form"
            className="space-y-4 px-4 py-4"
            onSubmit={(e) => {
              e.preventDefault();
              submit();
            }}
          >
            <TextField label="Current password" type="password" autoComplete="current-password" {...form.text("currentPassword")} />
            <TextField label="New password" type="password" autoComplete="new-password" hint={`At least ${LIMITS.password.min} characters`} {...form.text("newPassword")} />
            <TextField label="Repeat new password" type="password" autoComplete="new-password" {...form.text("repeat")} />
            <FormError message={form.formError} />
            {done && <Alert tone="ok">Password changed. Use the new password next time you sign in.</Alert>}
            <div className="flex justify-end">
              <Button type="submit" variant="primary" busy={change.isPending}>
                Change password
              </Button>
            </div>
          </form>
        )}
      </Panel>
    </>
  );
}
