import type { Metadata } from "next";
import { ReviewPage } from "@/components/revisions/review-page";

export const metadata: Metadata = { title: "Review changes" };

export default async function ReviewRoute({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <ReviewPage clusterId={id} />;
}
