import type { Metadata } from "next";
import { HostList } from "@/components/hosts/host-list";

export const metadata: Metadata = { title: "Hosts" };

export default function HostsPage() {
  return <HostList />;
}
