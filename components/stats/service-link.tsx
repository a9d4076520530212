"use client";
/** The service title in the services table as a link to its traffic page. testid `service-title-<vip>:<port>` / `service-title-fwmark-<n>`. */
import Link from "next/link";
import type { ReactNode } from "react";
import type { VirtualService } from "@/shared/cluster/dto";
import { serviceTestId } from "@/components/clusters/row-ids";

export function ServiceStatsLink({ service, children }: { service: Pick<VirtualService, "id" | "clusterId" | "protocol" | "address" | "port" | "fwmark">; children: ReactNode }) {
  return (
    <Link
      href={`/clusters/${service.clusterId}/services/${service.id}`}
      data-testid={serviceTestId(service).replace(/^service-row-/, "service-title-")}
      title="Live traffic, history and connections"
      className="hover:text-accent hover:underline"
    >
      {children}
    </Link>
  );
}
