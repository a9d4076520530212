import type { Metadata } from "next";
import { Suspense } from "react";
import { AuditLog } from "@/components/audit/audit-log";

export const metadata: Metadata = { title: "Audit log" };

export default function AuditPage() {
  // AuditLog reads its initial filters from the URL (useSearchParams).
  return (
    <Suspense>
      <AuditLog />
    </Suspense>
  );
}
