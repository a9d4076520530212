import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { AuthCard } from "@/components/auth/auth-card";
import { SetupForm } from "@/components/auth/setup-form";
import { getCurrentUser, needsSetup } from "@/server/auth/current-user";

export const metadata: Metadata = { title: "First run" };

export default async function SetupPage() {
  if (await getCurrentUser()) redirect("/clusters");
  if (!(await needsSetup())) redirect("/login");
  return (
    <AuthCard
      title="Create the administrator"
      description="This panel has no accounts yet. The first account is an admin; it can add operators and viewers later."
    >
      <SetupForm />
    </AuthCard>
  );
}
