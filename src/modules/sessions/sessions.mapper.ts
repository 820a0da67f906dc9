import type { SessionRow } from "../../db/schema/index";
import { sessionEndsAt } from "../../auth/sessions";
import type { Session } from "./sessions.types";

export function toSession(row: SessionRow, currentSessionId: string | null): Session {
  return {
    id: row.id,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    expiresAt: sessionEndsAt(row),
    ipAddress: row.ipAddress,
    userAgent: row.userAgent,
    current: row.id === currentSessionId,
  };
}
