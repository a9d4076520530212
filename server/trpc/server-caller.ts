/**
 * A tRPC caller for server components: runs procedures in-process with the
 * current request's cookies and headers (same role checks as over HTTP).
 * Read-only use: cookies set by procedures are not forwarded from RSC.
 */
import { headers } from "next/headers";
import { createContextFromRequestInfo } from "./context";
import { requestInfoFromHeaders } from "./request-info";
import { createCaller } from "./root";

export async function getServerCaller() {
  const request = requestInfoFromHeaders(await headers());
  return createCaller(await createContextFromRequestInfo(request, new Headers()));
}
