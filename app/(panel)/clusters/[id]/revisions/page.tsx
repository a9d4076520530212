import type { Metadata } from "next";
import { RevisionsPage } from "@/components/revisions/revisions-page";

export const metadata: Metadata = { title: "Revisions" };

export default async function RevisionsRoute({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <RevisionsPage clusterId={id} />;
}
