import type { Metadata } from "next";
import { ClusterPage } from "@/components/clusters/cluster-page";

export const metadata: Metadata = { title: "Cluster" };

export default async function ClusterRoute({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ClusterPage id={id} />;
}
