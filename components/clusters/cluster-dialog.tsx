"use client";
/**
 * Create or edit a cluster (name, description).
 * Labels: "Name", "Description". Dialog testid: `cluster-dialog`.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { clusterFieldsSchema } from "@/shared/cluster/schemas";
import type { ClusterSummary } from "@/shared/cluster/dto";
import { useForm } from "@/components/forms/use-form";
import { useTRPC } from "@/components/trpc/client";
import { Dialog, DialogForm } from "@/components/ui/dialog";
import { FormError, TextField } from "@/components/ui/field";

export function ClusterDialog({ open, onClose, cluster }: { open: boolean; onClose: () => void; cluster?: ClusterSummary }) {
  return (
    <Dialog open={open} onClose={onClose} title={cluster ? `Edit cluster ${cluster.name}` : "New cluster"} testId="cluster-dialog"
      description={cluster ? undefined : "A cluster is a set of directors sharing the same virtual services."}>
      <ClusterForm cluster={cluster} onDone={onClose} />
    </Dialog>
  );
}

function ClusterForm({ cluster, onDone }: { cluster?: ClusterSummary; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const form = useForm({ name: cluster?.name ?? "", description: cluster?.description ?? "" });
  const create = useMutation(trpc.clusters.create.mutationOptions());
  const update = useMutation(trpc.clusters.update.mutationOptions());

  const submit = () => {
    const input = form.validate(clusterFieldsSchema, form.values);
    if (!input) return;
    const onError = (error: unknown) => form.showServerError(error);
    const onSuccess = async () => {
      await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
      onDone();
    };
    if (cluster) update.mutate({ id: cluster.id, ...input }, { onSuccess, onError });
    else
      create.mutate(input, {
        onError,
        onSuccess: async (created) => {
          await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
          onDone();
          router.push(`/clusters/${created.id}`);
        },
      });
  };

  return (
    <DialogForm onSubmit={submit} onCancel={onDone} submitLabel={cluster ? "Save cluster" : "Create cluster"} busy={create.isPending || update.isPending}>
      <TextField label="Name" required data-autofocus placeholder="edge-web" {...form.text("name")} />
      <TextField label="Description" maxLength={500} placeholder="Public web VIPs in the primary site" {...form.text("description")} />
      <FormError message={form.formError} />
    </DialogForm>
  );
}
