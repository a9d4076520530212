/** Host inventory. */
import type { Database } from "@/server/db";
import { read, transaction } from "@/server/repositories/db";
import * as hosts from "@/server/repositories/hosts";
import type { Host, hostCreateInput, hostUpdateInput } from "@/shared/cluster";
import { hostFieldsSchema } from "@/shared/cluster";
import type { z } from "zod";
import type { ServiceContext } from "./actor";
import { recordAudit, snapshot } from "./audit";
import { conflict, invalid, notFound } from "./errors";
import { getAgentGateway } from "@/server/agent-gateway/registry";

/** Fills in whether the host's agent is connected (known only to the gateway). */
function withOnline(host: Host): Host {
  return { ...host, agent: { ...host.agent, online: getAgentGateway().isOnline(host.id) } };
}

export async function listHosts(db: Database): Promise<Host[]> {
  return (await read(db, (q) => hosts.listHosts(q))).map(withOnline);
}

export async function getHost(db: Database, id: string): Promise<Host> {
  const host = await read(db, (q) => hosts.getHost(q, id));
  if (!host) throw notFound("Host");
  return withOnline(host);
}

function hostSnapshot(h: Host) {
  const { directorOf: _d, realServerCount: _r, agent: _a, ...rest } = snapshot(h) as Host;
  return rest;
}

export async function createHost(ctx: ServiceContext, input: z.output<typeof hostCreateInput>): Promise<Host> {
  return transaction(ctx.db, async (tx) => {
    if (await hosts.findHostByName(tx, input.name)) throw conflict("name", `A host named ${input.name} already exists`);
    const id = await hosts.createHost(tx, input);
    const created = (await hosts.getHost(tx, id))!;
    await recordAudit(tx, ctx.actor, {
      action: "host.create",
      entityType: "host",
      entityId: id,
      summary: `Added host ${created.name} (${created.managementAddress})`,
      after: hostSnapshot(created),
    });
    return created;
  });
}

export async function updateHost(ctx: ServiceContext, input: z.output<typeof hostUpdateInput>): Promise<Host> {
  return transaction(ctx.db, async (tx) => {
    const before = await hosts.getHost(tx, input.id);
    if (!before) throw notFound("Host");
    const merged = hostFieldsSchema.safeParse({
      name: input.name ?? before.name,
      managementAddress: input.managementAddress ?? before.managementAddress,
      interfaces: input.interfaces ?? before.interfaces,
      labels: input.labels ?? before.labels,
      description: input.description ?? before.description,
    });
    if (!merged.success) throw invalid(merged.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message })));
    if (merged.data.name !== before.name) {
      const clash = await hosts.findHostByName(tx, merged.data.name);
      if (clash && clash.id !== before.id) throw conflict("name", `A host named ${merged.data.name} already exists`);
    }
    await hosts.updateHost(tx, input.id, merged.data);
    const after = (await hosts.getHost(tx, input.id))!;
    await recordAudit(tx, ctx.actor, {
      action: "host.update",
      entityType: "host",
      entityId: input.id,
      summary: `Updated host ${after.name}`,
      before: hostSnapshot(before),
      after: hostSnapshot(after),
    });
    return after;
  });
}

export async function deleteHost(ctx: ServiceContext, id: string): Promise<void> {
  await transaction(ctx.db, async (tx) => {
    const before = await hosts.getHost(tx, id);
    if (!before) throw notFound("Host");
    if (before.directorOf.length > 0) {
      throw conflict(
        null,
        `${before.name} directs ${before.directorOf.map((d) => d.clusterName).join(", ")}; remove it from the directors first`,
      );
    }
    if (before.realServerCount > 0) {
      throw conflict(null, `${before.name} is a real server in ${before.realServerCount} virtual service(s); remove those real servers first`);
    }
    await hosts.deleteHost(tx, id);
    await recordAudit(tx, ctx.actor, {
      action: "host.delete",
      entityType: "host",
      entityId: id,
      summary: `Deleted host ${before.name}`,
      before: hostSnapshot(before),
    });
  });
}
