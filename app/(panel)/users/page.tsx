import type { Metadata } from "next";
import { AdminOnly } from "@/components/shell/admin-only";
import { UserList } from "@/components/users/user-list";
import { getCurrentUser } from "@/server/auth/current-user";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const user = await getCurrentUser();
  if (user?.role !== "admin") return <AdminOnly what="Users" />;
  return <UserList />;
}
