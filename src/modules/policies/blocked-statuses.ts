/**
 * Blocked statuses: end users whose status the project policy lists as blocked cannot log in,
 * refresh or use a token. The fact lives here in its two forms (TypeScript for a row in hand,
 * SQL for the per-request viewer query), like isSessionLive and liveSessionCondition.
 */
import { and, eq, gt, inArray, isNull, sql, type SQL } from "drizzle-orm";
import type { Executor } from "../../db/connection";
import { endUsers, projectPolicies, sessions, type ProjectPolicyRow } from "../../db/schema/index";

/** What is blocked when the project has no policy (or a policy says nothing else). */
export const DEFAULT_BLOCKED_STATUSES: readonly string[] = ["blocked", "suspended"];

export function isBlockedStatus(status: string | null, policy: ProjectPolicyRow | null): boolean {
  if (status === null) return false;
  return (policy?.blockedStatuses ?? DEFAULT_BLOCKED_STATUSES).includes(status);
}

/** SQL twin of !isBlockedStatus, for a query that left-joins the end user's project policy. */
export function notBlockedCondition(): SQL {
  const defaults = sql.join(
    DEFAULT_BLOCKED_STATUSES.map((status) => sql`${status}`),
    sql`, `,
  );
  return sql`coalesce(${endUsers.status} <> all(coalesce(${projectPolicies.blockedStatuses}, array[${defaults}]::text[])), true)`;
}

/** Ends the live sessions of the project's end users whose status is one of `statuses`;
 * returns how many ended. */
export async function endSessionsWithStatuses(
  tx: Executor,
  projectId: string,
  statuses: readonly string[],
  at: Date,
): Promise<number> {
  if (statuses.length === 0) return 0;
  const ended = await tx
    .update(sessions)
    .set({ revokedAt: at, revokedReason: "revoked" })
    .where(
      and(
        eq(sessions.projectId, projectId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, at),
        inArray(
          sessions.endUserId,
          tx
            .select({ id: endUsers.id })
            .from(endUsers)
            .where(and(eq(endUsers.projectId, projectId), inArray(endUsers.status, [...statuses]))),
        ),
      ),
    )
    .returning({ id: sessions.id });
  return ended.length;
}
