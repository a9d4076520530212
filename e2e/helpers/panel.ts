/**
 * Accounts, sign-in and seeding shared by the specs. Each `playwright test`
 * run starts the panel on a fresh database (e2e/start-panel.sh), so the first
 * spec that needs the admin creates it; any spec file also runs alone.
 */
import { expect, type Page } from "@playwright/test";
import { Api, ok } from "./api";

export const ADMIN = { username: "admin", password: "e2e-admin-passphrase" };

export interface SessionUser {
  id: string;
  username: string;
  role: "viewer" | "operator" | "admin";
}

/**
 * Signs the page's browser context in as the admin through the API (the
 * session cookie lands in the context's jar), creating the admin first when
 * the database is fresh.
 */
export async function signInAsAdmin(page: Page): Promise<Api> {
  const api = Api.forPage(page);
  const status = ok(await api.query<{ needsSetup: boolean }>("auth.status"));
  if (status.needsSetup) ok(await api.mutate("auth.setup", ADMIN));
  else ok(await api.mutate("auth.login", ADMIN));
  return api;
}

/** Signs the page in as `username` through the API. */
export async function signInWithApi(page: Page, username: string, password: string): Promise<Api> {
  const api = Api.forPage(page);
  ok(await api.mutate("auth.login", { username, password }));
  return api;
}

/** Signs in through the sign-in form, the way a person does, and waits for the clusters page. */
export async function signInWithForm(page: Page, username: string, password: string): Promise<void> {
  await page.goto("/login");
  const form = page.getByTestId("login-form");
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/clusters$/);
  await expect(page.getByTestId("account-name")).toHaveText(username);
}

/** Creates a user as the admin unless it exists; returns it. */
export async function ensureUser(admin: Api, username: string, password: string, role: SessionUser["role"]): Promise<SessionUser> {
  const users = ok(await admin.query<SessionUser[]>("users.list"));
  const existing = users.find((u) => u.username === username);
  if (existing) return existing;
  return ok(await admin.mutate<SessionUser>("users.create", { username, password, role }));
}

// ---------------------------------------------------------------------------
// Cluster model as the API returns it (shared/cluster/dto.ts), the parts tests read

export interface RealServerView {
  id: string;
  address: string;
  port: number | null;
  forwarding: "DR" | "NAT" | "TUN";
  weight: number;
}
export interface ServiceView {
  id: string;
  protocol: "TCP" | "UDP" | "FWMARK";
  address: string;
  port: number | null;
  scheduler: string;
  persistenceTimeout: number | null;
  realServers: RealServerView[];
}
export interface ClusterView {
  id: string;
  name: string;
  serviceCount: number;
  realServerCount: number;
}

export async function createCluster(api: Api, name: string, description = ""): Promise<ClusterView> {
  return ok(await api.mutate<ClusterView>("clusters.create", { name, description }));
}

export async function createService(
  api: Api,
  clusterId: string,
  service: { protocol: "TCP" | "UDP"; address: string; port: number; scheduler: string; persistenceTimeout?: number | null; description?: string },
  realServers: { address: string; port?: number | null; forwarding?: "DR" | "NAT" | "TUN"; weight?: number }[] = [],
): Promise<ServiceView> {
  return ok(
    await api.mutate<ServiceView>("services.create", {
      clusterId,
      persistenceTimeout: null,
      ...service,
      realServers: realServers.map((rs) => ({ forwarding: "DR", weight: 1, port: null, ...rs })),
    }),
  );
}

export async function listServices(api: Api, clusterId: string): Promise<{ items: ServiceView[]; total: number }> {
  return ok(await api.query<{ items: ServiceView[]; total: number }>("services.list", { clusterId, page: 1, pageSize: 200 }));
}

export interface AuditEventView {
  id: string;
  action: string;
  entityType: string;
  clusterId: string | null;
  summary: string;
  actor: { userId: string | null; name: string };
  before: unknown;
  after: unknown;
}

export async function listAudit(api: Api, filters: Record<string, string> = {}): Promise<AuditEventView[]> {
  return ok(await api.query<{ items: AuditEventView[] }>("audit.list", { limit: 200, ...filters })).items;
}

/**
 * Everything a cluster-editing mistake could change, read through the API as
 * the admin: the cluster's services with their real servers (all fields,
 * including updatedAt), the cluster list with counts, and the audit log.
 */
export async function databaseState(admin: Api, clusterId: string) {
  const services = await listServices(admin, clusterId);
  const clusters = ok(await admin.query<ClusterView[]>("clusters.list"));
  const audit = await listAudit(admin);
  return { services, clusters, auditIds: audit.map((e) => e.id) };
}
