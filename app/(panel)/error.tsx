"use client";
/** A page of the panel failed to render (e.g. the database is unreachable); the navigation stays usable. */
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { PageHeader } from "@/components/ui/page-header";

export default function PanelError({
  error,
  retry,
  unstable_retry,
  reset,
}: {
  error: unknown;
  retry?: () => void;
  unstable_retry?: () => void;
  reset?: () => void;
}) {
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  const again = retry ?? unstable_retry ?? reset;
  return (
    <div data-testid="page-error">
      <PageHeader title="This page could not be shown" />
      <Alert>
        The panel server failed while preparing this page. Nothing was changed.
        {digest && (
          <>
            {" "}
            Error id <span className="font-mono">{digest}</span> (search the panel log for it).
          </>
        )}
      </Alert>
      {again && (
        <Button className="mt-3" onClick={() => again()}>
          Try again
        </Button>
      )}
    </div>
  );
}
