import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AppShell } from "@/components/shell/app-shell";
import { getCurrentUser, needsSetup } from "@/server/auth/current-user";

/** Every page in this group needs a signed-in user; the others go to sign-in (or to first run while no account exists). */
export default async function PanelLayout({ children }: { children: ReactNode }) {
  const user = await getCurrentUser();
  if (!user) redirect((await needsSetup()) ? "/setup" : "/login");
  return <AppShell user={user}>{children}</AppShell>;
}
