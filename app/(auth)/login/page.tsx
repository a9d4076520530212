import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { AuthCard } from "@/components/auth/auth-card";
import { LoginForm } from "@/components/auth/login-form";
import { safeNextPath } from "@/components/auth/next-path";
import { getCurrentUser, needsSetup } from "@/server/auth/current-user";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const { next } = await searchParams;
  const nextPath = typeof next === "string" ? next : undefined;
  if (await getCurrentUser()) redirect(safeNextPath(nextPath));
  if (await needsSetup()) redirect("/setup");
  return (
    <AuthCard title="Sign in" description="Use your lvs-control account.">
      <LoginForm next={nextPath} />
    </AuthCard>
  );
}
