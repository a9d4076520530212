"use client";
/**
 * Sign-in form. Sends the user to first-run setup when no admin exists yet.
 *
 * Labels: "Username", "Password"; button "Sign in". testid: `login-form`.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect } from "react";
import { loginInput } from "@/shared/cluster/schemas";
import { useForm } from "@/components/forms/use-form";
import { useTRPC } from "@/components/trpc/client";
import { Button } from "@/components/ui/button";
import { safeNextPath } from "./next-path";
import { FormError, TextField } from "@/components/ui/field";

export function LoginForm({ next }: { next?: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const status = useQuery(trpc.auth.status.queryOptions());
  const form = useForm({ username: "", password: "" });
  const login = useMutation(trpc.auth.login.mutationOptions());

  useEffect(() => {
    if (status.data?.needsSetup) router.replace("/setup");
    else if (status.data?.user) router.replace(safeNextPath(next));
  }, [status.data, router, next]);

  const submit = () => {
    const input = form.validate(loginInput, form.values);
    if (!input) return;
    login.mutate(input, {
      onSuccess: () => {
        router.replace(safeNextPath(next));
        router.refresh();
      },
      onError: (error) => form.showServerError(error),
    });
  };

  return (
    <form
      noValidate
      data-testid="login-form"
      className="space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <TextField label="Username" autoComplete="username" autoFocus {...form.text("username")} />
      <TextField label="Password" type="password" autoComplete="current-password" {...form.text("password")} />
      <FormError message={form.formError} />
      <Button type="submit" variant="primary" className="w-full" busy={login.isPending}>
        Sign in
      </Button>
    </form>
  );
}
