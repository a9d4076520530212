/** Where to go after sign-in: only same-site paths are followed (no open redirect). */
export function safeNextPath(next: string | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) return "/clusters";
  if (next.startsWith("/login") || next.startsWith("/setup")) return "/clusters";
  return next;
}
