import type { Metadata } from "next";
import { ServicePage } from "@/components/stats/service-page";

export const metadata: Metadata = { title: "Virtual service" };

export default async function ServiceRoute({ params }: { params: Promise<{ id: string; serviceId: string }> }) {
  const { id, serviceId } = await params;
  return <ServicePage clusterId={id} serviceId={serviceId} />;
}
