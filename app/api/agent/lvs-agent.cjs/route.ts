/** GET /api/agent/lvs-agent.cjs: the agent bundle (agent/dist/lvs-agent.cjs) the installer downloads. Public: it holds no secret. */
import { readAgentBundle } from "@/server/agent-gateway/install";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const bundle = readAgentBundle();
  if (!bundle) {
    return new Response("The agent bundle is not built on this panel: run `npm run agent:build` (or `npm run build`) where the panel runs.\n", {
      status: 404,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  return new Response(new Uint8Array(bundle), {
    headers: { "content-type": "application/javascript; charset=utf-8", "cache-control": "no-store", "content-length": String(bundle.length) },
  });
}
