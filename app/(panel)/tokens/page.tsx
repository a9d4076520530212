import type { Metadata } from "next";
import { AdminOnly } from "@/components/shell/admin-only";
import { TokenList } from "@/components/users/token-list";
import { getCurrentUser } from "@/server/auth/current-user";

export const metadata: Metadata = { title: "API tokens" };

export default async function TokensPage() {
  const user = await getCurrentUser();
  if (user?.role !== "admin") return <AdminOnly what="API tokens" />;
  return <TokenList />;
}
