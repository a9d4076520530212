import { PageHeader } from "@/components/ui/page-header";
import { Alert } from "@/components/ui/alert";

/** Shown instead of an admin page to operators and viewers (the API refuses them too). */
export function AdminOnly({ what }: { what: string }) {
  return (
    <div data-testid="admin-only">
      <PageHeader title={what} />
      <Alert tone="warn">Only administrators can manage {what.toLowerCase()}. Ask an admin if you need access.</Alert>
    </div>
  );
}
