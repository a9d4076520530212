/**
 * `lvs-agent enroll`: exchanges a one-time enrollment token for this host's
 * long-lived credential (POST /api/agent/enroll) and stores it in
 * `<config-dir>/credential.json` ({panelUrl, hostId, credential}), mode 0600,
 * written atomically (temporary file, fsync, rename, fsync of the directory;
 * the directory is created 0700). A refused or unreachable enrollment writes
 * nothing. The credential is never printed or logged.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { AgentAuthSchema, ENROLL_PATH, ENROLLMENT_TOKEN_PATTERN, EnrollResponseSchema } from "../../../shared/agent-protocol";
import { writeFileAtomic } from "../state-store";

export { DEFAULT_CONFIG_DIR } from "../config";
export const CREDENTIAL_FILE = "credential.json";

export const StoredCredentialSchema = z.strictObject({
  panelUrl: z.string().url(),
  hostId: AgentAuthSchema.shape.hostId,
  credential: AgentAuthSchema.shape.credential,
});
export type StoredCredential = z.infer<typeof StoredCredentialSchema>;

/** Bad input, a refused token or an unreachable panel: nothing was written (exit 2). */
export class EnrollError extends Error {}

export function credentialPath(configDir: string): string {
  return path.join(configDir, CREDENTIAL_FILE);
}

/** "https://lvs.example.net/" → "https://lvs.example.net"; anything but http(s) is refused. */
export function normalizePanelUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new EnrollError(`--panel must be the panel's URL (http://… or https://…), got ${JSON.stringify(input)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new EnrollError(`--panel must be an http:// or https:// URL, got ${JSON.stringify(input)}`);
  if (url.search || url.hash) throw new EnrollError(`--panel must not carry a query or fragment: ${JSON.stringify(input)}`);
  return url.toString().replace(/\/+$/, "");
}

export interface EnrollOptions {
  panelUrl: string;
  token: string;
  hostname: string;
  configDir: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export interface EnrollResult {
  file: string;
  hostId: string;
  hostName: string;
  panelUrl: string;
}

export async function enroll(options: EnrollOptions): Promise<EnrollResult> {
  const panelUrl = normalizePanelUrl(options.panelUrl);
  if (!ENROLLMENT_TOKEN_PATTERN.test(options.token)) throw new EnrollError("--token is not an enrollment token (lvse_…); an admin gets one from Hosts → Enroll agent");
  // the token is single-use: make sure the credential can be stored before spending it
  const writable = nearestExisting(options.configDir);
  try {
    accessSync(writable, constants.W_OK);
  } catch {
    throw new EnrollError(`cannot write to ${writable} (for ${credentialPath(options.configDir)}): run as root, or pass --config-dir`);
  }
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(`${panelUrl}${ENROLL_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ token: options.token, hostname: options.hostname }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === "TimeoutError" ? "no answer within 30 s" : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new EnrollError(`cannot reach the panel at ${panelUrl} (${why})`);
  }
  let body: unknown = null;
  const text = await response.text().catch(() => "");
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  const panelError = typeof (body as { error?: unknown } | null)?.error === "string" ? (body as { error: string }).error : null;
  if (response.status === 401) {
    const reason = panelError ?? "unauthorized";
    throw new EnrollError(`the panel refused the token: ${reason}${/new one/.test(reason) ? "" : "; ask an admin for a new one"}`);
  }
  if (!response.ok) throw new EnrollError(`the panel answered ${response.status}${panelError ? `: ${panelError}` : ""} (is ${panelUrl} the panel?)`);
  const parsed = EnrollResponseSchema.safeParse(body);
  if (!parsed.success) throw new EnrollError(`the panel's answer is not an enrollment response (is ${panelUrl} the panel?)`);

  const file = credentialPath(options.configDir);
  const stored: StoredCredential = { panelUrl, hostId: parsed.data.hostId, credential: parsed.data.credential };
  try {
    mkdirSync(options.configDir, { recursive: true, mode: 0o700 });
    writeFileAtomic(file, JSON.stringify(stored, null, 2) + "\n", 0o600);
  } catch (error) {
    throw new EnrollError(`cannot write ${file}: ${(error as Error).message} (the token is used up now; ask an admin for a new one)`);
  }
  return { file, hostId: parsed.data.hostId, hostName: parsed.data.hostName, panelUrl };
}

/** The directory itself, or its nearest existing ancestor (what must be writable to create it). */
function nearestExisting(dir: string): string {
  let current = path.resolve(dir);
  while (!existsSync(current)) {
    const parent = path.dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

/** The stored credential, null when there is none; a damaged file is an EnrollError (exit 2). */
export function readCredential(configDir: string): StoredCredential | null {
  const file = credentialPath(configDir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new EnrollError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EnrollError(`${file} is not valid JSON; enroll again (lvs-agent enroll --panel URL --token …)`);
  }
  const parsed = StoredCredentialSchema.safeParse(json);
  // never echo the file's content: it holds the credential
  if (!parsed.success) throw new EnrollError(`${file} is not an agent credential file (${parsed.error.issues.map((i) => i.path.join(".") || "(file)").join(", ")}); enroll again`);
  return parsed.data;
}
