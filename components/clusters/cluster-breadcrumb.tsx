import Link from "next/link";

/** "Clusters / ‹cluster›": the page-header trail of every page inside a cluster. */
export function ClusterBreadcrumb({ clusterId, name }: { clusterId: string; name: string }) {
  return (
    <>
      <Link href="/clusters" className="hover:underline">
        Clusters
      </Link>{" "}
      /{" "}
      <Link href={`/clusters/${clusterId}`} className="hover:underline">
        {name}
      </Link>
    </>
  );
}
