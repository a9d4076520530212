/** Wording helpers shared by the UI and the server's audit summaries. */

/** "1 real server", "3 real servers", "1,000 services". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}
