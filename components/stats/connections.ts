/** Pure helpers of the connection table (components/stats/connections-panel.tsx), unit-tested. */

/** States `ipvsadm -Lcn` shows (TCP), and UDP's. */
export const CONNECTION_STATES = ["ESTABLISHED", "SYN_RECV", "SYN_SENT", "FIN_WAIT", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK", "NONE", "UDP"] as const;

/** A client filter the agent accepts: an address or its beginning ("198.51.100.", "2001:db8:"). */
export function clientFilterError(value: string): string | null {
  if (value === "") return null;
  if (value.length > 64) return "At most 64 characters";
  if (!/^[0-9A-Fa-f.:[\]]+$/.test(value)) return "An IPv4/IPv6 address or its beginning, e.g. 198.51.100. or 2001:db8:";
  return null;
}

/** ipvsadm -Lcn prints the expiry as mm:ss. */
export function expireText(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return `${String(m).padStart(2, "0")}:${String(seconds % 60).padStart(2, "0")}`;
}
