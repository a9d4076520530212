/** GET /api/agent/install.sh: the POSIX sh installer the enroll command pipes to `sudo sh`. Public: it holds no secret. */
import { INSTALL_SCRIPT } from "@/server/agent-gateway/install";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(): Response {
  return new Response(INSTALL_SCRIPT, { headers: { "content-type": "text/x-shellscript; charset=utf-8", "cache-control": "no-store" } });
}
