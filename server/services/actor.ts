/** Who is acting: the authenticated user (session) or API token, and from where. */
import type { Database } from "@/server/db";
import type { Role } from "@/shared/cluster";

export interface Actor {
  via: "session" | "token";
  /** The user behind a session; null for API tokens. */
  userId: string | null;
  tokenId: string | null;
  /** Username, or "token:<name>" for API tokens. */
  name: string;
  role: Role;
  sessionId: string | null;
  clientAddress: string;
}

export interface ServiceContext {
  db: Database;
  actor: Actor;
}
