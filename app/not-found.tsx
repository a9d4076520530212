import Link from "next/link";
import { AuthCard } from "@/components/auth/auth-card";

export default function NotFound() {
  return (
    <AuthCard title="Page not found" description="There is nothing at this address.">
      <Link href="/clusters" className="text-[13px] text-accent hover:underline">
        Go to the clusters
      </Link>
    </AuthCard>
  );
}
