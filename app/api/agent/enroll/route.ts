/**
 * POST /api/agent/enroll {token, hostname} → {hostId, hostName, credential}.
 * The one-time enrollment token is the authentication; a bad, expired or used
 * token gets 401 and nothing is stored. See shared/agent-protocol.
 */
import { getDatabase } from "@/server/db";
import { ServiceError } from "@/server/services/errors";
import { exchangeEnrollmentToken } from "@/server/services/agents";
import { requestInfoFromHeaders } from "@/server/trpc/request-info";
import { EnrollRequestSchema } from "@/shared/agent-protocol";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });

export async function POST(req: Request): Promise<Response> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    return json(400, { error: "the body must be JSON: {\"token\": \"lvse_…\", \"hostname\": \"…\"}" });
  }
  const parsed = EnrollRequestSchema.safeParse(body);
  if (!parsed.success) {
    const tokenIssue = parsed.error.issues.find((i) => i.path[0] === "token");
    if (tokenIssue) return json(401, { error: "not an enrollment token" });
    return json(400, { error: parsed.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ") });
  }
  try {
    const { clientAddress } = requestInfoFromHeaders(req.headers, req.url);
    const result = await exchangeEnrollmentToken(await getDatabase(), parsed.data.token, parsed.data.hostname, clientAddress);
    return json(200, result);
  } catch (error) {
    if (error instanceof ServiceError) return json(error.code === "UNAUTHORIZED" ? 401 : 400, { error: error.message });
    console.error("agent enroll:", error);
    return json(500, { error: "the panel could not enroll the agent; see the panel log" });
  }
}
