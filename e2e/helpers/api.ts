/**
 * Talking to the panel's tRPC API from tests, on the wire format the server
 * uses (server/trpc/init.ts, app/api/trpc/[trpc]/route.ts): plain JSON, no
 * transformer, one procedure per request (the browser client batches, the
 * server accepts both):
 *
 *   query     GET  /api/trpc/<path>?input=<JSON, URL-encoded>
 *   mutation  POST /api/trpc/<path>   body = <JSON input>
 *   success   { "result": { "data": <output> } }
 *   failure   { "error": { "message", "code", "data": { "code", "httpStatus", "fieldErrors", … } } }
 *
 * Session-cookie mutations must be same-origin (CSRF check), so `Api.forPage`
 * sends the panel's Origin; bearer-token requests need no Origin.
 */
import { expect, type APIRequestContext, type Page } from "@playwright/test";

export const BASE_URL = `http://127.0.0.1:${Number(process.env.E2E_PORT ?? 3107)}`;

export type TrpcResult<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number; code: string; message: string; fieldErrors: Record<string, string[]> | null };

interface WireBody {
  result?: { data: unknown };
  error?: { message: string; data?: { code?: string; fieldErrors?: Record<string, string[]> | null } };
}

/** Reads one (non-batched) tRPC response body into a TrpcResult. */
export function readTrpcBody<T>(status: number, body: WireBody): TrpcResult<T> {
  if (body.result) return { ok: true, status, data: body.result.data as T };
  if (body.error) {
    return {
      ok: false,
      status,
      code: body.error.data?.code ?? "UNKNOWN",
      message: body.error.message,
      fieldErrors: body.error.data?.fieldErrors ?? null,
    };
  }
  throw new Error(`Not a tRPC response (HTTP ${status}): ${JSON.stringify(body).slice(0, 300)}`);
}

export class Api {
  constructor(
    private readonly request: APIRequestContext,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** Uses the page's cookies (the browser context's jar), as the signed-in user of that page. */
  static forPage(page: Page): Api {
    return new Api(page.request, { origin: BASE_URL });
  }

  /** Automation with an API token: no cookie, no Origin. */
  static withToken(request: APIRequestContext, token: string): Api {
    return new Api(request, { authorization: `Bearer ${token}` });
  }

  async query<T = unknown>(path: string, input?: unknown): Promise<TrpcResult<T>> {
    const qs = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    const res = await this.request.get(`${BASE_URL}/api/trpc/${path}${qs}`, { headers: this.headers });
    return readTrpcBody<T>(res.status(), (await res.json()) as WireBody);
  }

  async mutate<T = unknown>(path: string, input?: unknown): Promise<TrpcResult<T>> {
    const res = await this.request.post(`${BASE_URL}/api/trpc/${path}`, {
      headers: { "content-type": "application/json", ...this.headers },
      data: input === undefined ? undefined : JSON.stringify(input),
    });
    return readTrpcBody<T>(res.status(), (await res.json()) as WireBody);
  }
}

/** The data of a successful call; fails the test with the server's message otherwise. */
export function ok<T>(result: TrpcResult<T>): T {
  if (!result.ok) {
    throw new Error(`Expected success, got ${result.code} (HTTP ${result.status}): ${result.message} ${JSON.stringify(result.fieldErrors)}`);
  }
  return result.data;
}

/** Asserts a failed call with this tRPC code; returns it for further checks. */
export function refused<T>(result: TrpcResult<T>, code: string): Extract<TrpcResult<T>, { ok: false }> {
  expect(result.ok, `expected ${code}, got success: ${JSON.stringify(result.ok ? result.data : null).slice(0, 200)}`).toBe(false);
  if (result.ok) throw new Error("unreachable");
  expect(result.code, result.message).toBe(code);
  return result;
}

/**
 * Calls a mutation with fetch() from inside the page, so the request carries
 * exactly what the browser sends: the page's httpOnly session cookie and its
 * own Origin / Sec-Fetch-Site headers.
 */
export async function mutateFromPage<T = unknown>(page: Page, path: string, input: unknown): Promise<TrpcResult<T>> {
  const { status, body } = await page.evaluate(
    async ({ path, input }) => {
      const res = await fetch(`/api/trpc/${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(input),
      });
      return { status: res.status, body: await res.json() };
    },
    { path, input },
  );
  return readTrpcBody<T>(status, body as WireBody);
}
