"use client";
/**
 * First run: create the administrator account (there is no default password),
 * then the panel signs it in.
 *
 * Labels: "Admin username", "Password", "Repeat password"; button
 * "Create admin account". testid: `setup-form`.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { LIMITS } from "@/shared/cluster/constants";
import { setupInput } from "@/shared/cluster/schemas";
import { useForm } from "@/components/forms/use-form";
import { useTRPC } from "@/components/trpc/client";
import { Button } from "@/components/ui/button";
import { FormError, TextField } from "@/components/ui/field";

export function SetupForm() {
  const trpc = useTRPC();
  const router = useRouter();
  const status = useQuery(trpc.auth.status.queryOptions());
  const form = useForm({ username: "admin", password: "", repeat: "" });
  const setup = useMutation(trpc.auth.setup.mutationOptions());

  useEffect(() => {
    if (status.data && !status.data.needsSetup) router.replace(status.data.user ? "/clusters" : "/login");
  }, [status.data, router]);

  const submit = () => {
    const pre: Record<string, string> = {};
    if (form.values.repeat !== form.values.password) pre.repeat = "The passwords do not match";
    const input = form.validate(setupInput, { username: form.values.username, password: form.values.password }, pre);
    if (!input) return;
    setup.mutate(input, {
      onSuccess: () => {
        router.replace("/clusters");
        router.refresh();
      },
      onError: (error) => form.showServerError(error),
    });
  };

  return (
    <form
      noValidate
      data-testid="setup-form"
      className="space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <TextField label="Admin username" autoComplete="username" autoFocus {...form.text("username")} />
      <TextField
        label="Password"
        type="password"
        autoComplete="new-password"
        hint={`At least ${LIMITS.password.min} characters. Stored as an argon2id hash.`}
        {...form.text("password")}
      />
      <TextField label="Repeat password" type="password" autoComplete="new-password" {...form.text("repeat")} />
      <FormError message={form.formError} />
      <Button type="submit" variant="primary" className="w-full" busy={setup.isPending}>
        Create admin account
      </Button>
    </form>
  );
}
