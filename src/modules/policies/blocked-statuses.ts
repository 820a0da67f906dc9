/**
 * Blocked statuses: end users whose status the project policy lists as blocked cannot log in,
 * refresh or use a token. The fact lives here in its two forms (TypeScript for a row in hand,
 * SQL for the per-request viewer query), like isSessionLive and liveSessionCondition.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "../../db/connection";
import { endUsers, projectPolicies, type ProjectPolicyRow } from "../../db/schema/index";
import { endSessions } from "../../auth/sessions";

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
  const ended = await endSessions(
    tx,
    { projectId, endUserStatuses: statuses },
    "status_blocked",
    at,
  );
  return ended.length;
}
