import type { SessionRow } from "../../db/schema/index";
import { sessionEndsAt } from "../../auth/sessions";
import type { IssuedSession } from "../../graphql/context";
import type { Tokens } from "../auth/auth.types";
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

/** The tokens of a sign-in as the payload shows them: the refresh token only when asked for. */
export function toTokens(
  issued: IssuedSession,
  returnRefreshToken: boolean | null | undefined,
): Tokens {
  return {
    accessToken: issued.accessToken.token,
    accessTokenExpiresAt: issued.accessToken.expiresAt,
    refreshToken: returnRefreshToken ? issued.refreshToken : null,
  };
}
