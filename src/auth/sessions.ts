/**
 * Sessions and refresh tokens.
 *
 * Data model: a session row is one refresh-token family. Each refresh token is a row of its
 * own holding only SHA-256(token); a token is live until it is exchanged once. Exchanging a
 * token marks it used and issues its successor in the same family.
 *
 * Reuse detection: a used token presented again means it was copied. Within a short grace
 * interval (two tabs refreshing at once) it gets a sibling in the same family instead; after
 * it, the whole family is revoked and `session.reuse_detected` is written. The next rotation
 * retires every sibling, so a family never holds more than one live chain.
 *
 * Concurrency: every exchange locks its token and session rows (SELECT … FOR UPDATE), so simultaneous
 * refreshes of one token are serialised and never fork a second family.
 *
 * Two pools: a session belongs to a platform user or to an end user of one project. Every
 * exchange names the pool it expects (SessionScope), and a token from another pool is simply
 * invalid there: a project's refresh token never refreshes a platform session or another project's.
 *
 * Lookups are by SHA-256 of the presented token through a unique index: timing reveals at most
 * something about a hash, which cannot be turned back into a token.
 */
import { and, eq, gt, inArray, isNotNull, isNull, lt, ne, or, sql, type SQL } from "drizzle-orm";
import type { WithSubquery } from "drizzle-orm/subquery";
import type { Database, Executor } from "../db/connection";
import { keysetPage } from "../db/keyset";
import { endUsers, projects, refreshTokens, sessions, type SessionRow } from "../db/schema/index";
import { AppError, type ErrorSpec } from "../errors";
import type { Page, PageRequest } from "../pagination";
import { AuditActions, type AuditRecorder, type RequestMeta } from "../audit/audit-log";
import { generateOpaqueToken, hashToken } from "./secrets";

export const SessionErrors = {
  INVALID_REFRESH_TOKEN: {
    code: "UNAUTHENTICATED",
    message: "The refresh token is invalid or expired; sign in again",
  },
  SESSION_NOT_FOUND: { code: "NOT_FOUND", message: "No such session" },
} as const satisfies Record<string, ErrorSpec>;

/** Why a session ended (kept on the row as `revoked_reason`). */
export type RevokeReason =
  | "logout"
  | "revoked"
  | "revoked_all"
  | "password_changed"
  | "password_reset"
  | "email_changed"
  | "reuse_detected"
  | "status_blocked"
  | "end_user_deleted"
  | "project_deleted"
  | "organization_deleted";

/** Whose session: a platform user's, or an end user's in one project. */
export type SessionOwner = { userId: string } | { endUserId: string; projectId: string };

/** Where a refresh token is presented: the platform, or one project. */
export type SessionScope = "platform" | { projectId: string };

function ownerCondition(owner: SessionOwner) {
  return "userId" in owner
    ? eq(sessions.userId, owner.userId)
    : eq(sessions.endUserId, owner.endUserId);
}

function scopeCondition(scope: SessionScope) {
  return scope === "platform"
    ? isNotNull(sessions.userId)
    : eq(sessions.projectId, scope.projectId);
}

function inScope(session: SessionRow, scope: SessionScope): boolean {
  return scope === "platform" ? session.userId !== null : session.projectId === scope.projectId;
}

export interface SessionLifetimes {
  idleTtlSeconds: number;
  absoluteTtlSeconds: number;
  reuseGraceSeconds: number;
}

export interface StartedSession {
  session: SessionRow;
  refreshToken: string;
}

/** When the refresh cookie (and the session as a client sees it) ends. */
export function sessionEndsAt(session: SessionRow): Date {
  return session.idleExpiresAt < session.expiresAt ? session.idleExpiresAt : session.expiresAt;
}

/** SQL twin of isSessionLive, also used by the viewer query that checks liveness per request. */
export function liveSessionCondition(at: Date) {
  return and(
    isNull(sessions.revokedAt),
    gt(sessions.expiresAt, at),
    gt(sessions.idleExpiresAt, at),
  );
}

export function isSessionLive(session: SessionRow, now: Date): boolean {
  return session.revokedAt === null && sessionEndsAt(session) > now;
}

/** Which sessions to end: one, an owner's (but one), or every end user's in a project (with
 * one of some statuses) or an organization. */
export type SessionSelector =
  | { sessionId: string; owner?: SessionOwner }
  | { owner: SessionOwner; exceptSessionId?: string | null }
  | { projectId: string; endUserStatuses?: readonly string[] }
  | { organizationId: string };

function selectorCondition(executor: Executor, selector: SessionSelector) {
  if ("sessionId" in selector) {
    return and(
      eq(sessions.id, selector.sessionId),
      selector.owner ? ownerCondition(selector.owner) : undefined,
    );
  }
  if ("owner" in selector) {
    const except = selector.exceptSessionId;
    return and(ownerCondition(selector.owner), except ? ne(sessions.id, except) : undefined);
  }
  if ("projectId" in selector) {
    const statuses = selector.endUserStatuses;
    return and(
      eq(sessions.projectId, selector.projectId),
      statuses
        ? inArray(
            sessions.endUserId,
            executor
              .select({ id: endUsers.id })
              .from(endUsers)
              .where(
                and(
                  eq(endUsers.projectId, selector.projectId),
                  inArray(endUsers.status, [...statuses]),
                ),
              ),
          )
        : undefined,
    );
  }
  return inArray(
    sessions.projectId,
    executor
      .select({ id: projects.id })
      .from(projects)
      .where(eq(projects.organizationId, selector.organizationId)),
  );
}

/** Calls of endSessions in this process so far (every app in it): see sessionEndingsSoFar. */
let endings = 0;

/**
 * A count that changes whenever this process may have ended sessions: a request that saw it
 * unchanged ended none (session-barrier.ts relies on it).
 */
export function sessionEndingsSoFar(): number {
  return endings;
}

/**
 * The one way sessions end, whatever the reason: log-out, revocation, password change, reuse
 * detected, a blocked or deleted end user, a deleted project or organization (and, as they
 * come, password reset, MFA changes and an admin lock). It marks the live sessions selected as
 * revoked, in `executor`'s transaction, and returns them. Their refresh tokens stop working
 * with them; their access tokens are refused by the next request on every node, because the
 * database publishes the change at commit (drizzle/0003_session_notifications.sql) and every
 * node's viewer cache drops what it kept of them (src/auth/viewer-cache.ts).
 */
export async function endSessions(
  executor: Executor,
  selector: SessionSelector,
  reason: RevokeReason,
  at: Date,
): Promise<SessionRow[]> {
  if ("projectId" in selector && selector.endUserStatuses?.length === 0) return [];
  endings++;
  return executor
    .update(sessions)
    .set({ revokedAt: at, revokedReason: reason })
    .where(and(selectorCondition(executor, selector), liveSessionCondition(at)))
    .returning();
}

export interface SessionService {
  start(owner: SessionOwner, meta: RequestMeta, executor?: Executor): Promise<StartedSession>;
  /** Exchanges a refresh token of `scope` for its successor. Throws UNAUTHENTICATED when it
   * cannot (including a token of another pool). */
  refresh(refreshToken: string, meta: RequestMeta, scope: SessionScope): Promise<StartedSession>;
  /** The session a refresh token belongs to, if that session is live and of `scope` (for log-out
   * by cookie). */
  findLiveByRefreshToken(refreshToken: string, scope: SessionScope): Promise<SessionRow | null>;
  revoke(sessionId: string, reason: RevokeReason, executor?: Executor): Promise<SessionRow | null>;
  /** Revokes the owner's live sessions, except `exceptSessionId`; returns those that ended. */
  revokeAllOf(
    owner: SessionOwner,
    reason: RevokeReason,
    options?: { exceptSessionId?: string | null; executor?: Executor },
  ): Promise<SessionRow[]>;
  /** A user ending one of their own sessions; false when it is not theirs or not live. */
  revokeOwn(userId: string, sessionId: string, meta: RequestMeta): Promise<boolean>;
  /** A user ending all their sessions but `exceptSessionId`; returns how many ended. */
  revokeAllOwn(userId: string, exceptSessionId: string | null, meta: RequestMeta): Promise<number>;
  /**
   * Notes use of a session for `lastUsedAt`, at most once a minute per session. Off the request
   * path: uses are written in one statement a few seconds later (or by `flushTouches`).
   */
  touch(session: SessionRow): void;
  /** Writes the uses noted so far (shutdown calls it). */
  flushTouches(): Promise<void>;
  listLive(owner: SessionOwner, page: PageRequest): Promise<Page<SessionRow>>;
  /** Deletes sessions that ended more than a day ago, and their tokens. */
  pruneEnded(): Promise<number>;
}

const TOUCH_INTERVAL_MS = 60_000;
const TOUCH_FLUSH_DELAY_MS = 5_000;
const TOUCH_BATCH = 1_000;

export function createSessionService(deps: {
  db: Database;
  audit: AuditRecorder;
  lifetimes: SessionLifetimes;
  now?: () => Date;
  /** Where a failed background write (noted uses) is reported. */
  onError?: (error: unknown) => void;
}): SessionService {
  const { db, audit, lifetimes } = deps;
  const now = deps.now ?? (() => new Date());
  const plus = (from: Date, seconds: number) => new Date(from.getTime() + seconds * 1000);
  const live = liveSessionCondition;
  const onError = deps.onError ?? (() => {});

  // Uses noted and not yet written (session → when), and when each session was last noted.
  const pending = new Map<string, Date>();
  const touched = new Map<string, number>();
  let flushTimer: NodeJS.Timeout | undefined;

  /**
   * The rotation, in one statement: retire the family's live tokens (unless `retireFamily` is
   * false: a grace-window sibling, whose family keeps its chain), issue `successor`, slide the
   * idle end. `sessionId` names the session: an id, or a subquery of a CTE in `leading`; when it
   * names none, nothing is written and nothing returned.
   */
  async function rotate(
    executor: Executor,
    sessionId: SQL,
    options: {
      retireFamily: boolean;
      successor: string;
      meta: RequestMeta;
      at: Date;
      leading?: WithSubquery[];
    },
  ): Promise<SessionRow | undefined> {
    const { retireFamily, successor, meta, at } = options;
    const issued = executor
      .$with("issued", { id: refreshTokens.id })
      .as(
        sql`insert into ${refreshTokens} (session_id, token_hash) select ${sessionId}, ${hashToken(successor)} where ${sessionId} is not null returning id`,
      );
    // A rotation retires every live token of the family: siblings issued in a grace window
    // stop here, so a copied token cannot start a parallel chain; presented later, it is
    // reuse, and the family ends. (One statement text either way: it stays prepared.)
    const retired = executor
      .$with("retired", { id: refreshTokens.id })
      .as(
        sql`update ${refreshTokens} set used_at = ${at.toISOString()}::timestamptz where session_id = ${sessionId} and used_at is null and ${retireFamily}::boolean returning id`,
      );
    const idleEnd = plus(at, lifetimes.idleTtlSeconds);
    const [updated] = await executor
      .with(...(options.leading ?? []), issued, retired)
      .update(sessions)
      .set({
        lastUsedAt: at,
        idleExpiresAt: sql`least(${idleEnd.toISOString()}::timestamptz, ${sessions.expiresAt})`,
        ...(meta.ipAddress !== null ? { ipAddress: meta.ipAddress } : {}),
        ...(meta.userAgent !== null ? { userAgent: meta.userAgent } : {}),
      })
      .where(eq(sessions.id, sessionId))
      .returning();
    return updated;
  }

  /**
   * The common refresh in one statement, outside any explicit transaction: lock the unused token
   * and its live session, then rotate. Two refreshes of one token serialise on the row locks;
   * the second re-reads the token as used, matches nothing here and takes the full path. Null
   * when nothing matched.
   */
  async function rotateUnusedToken(
    tokenHash: string,
    meta: RequestMeta,
    scope: SessionScope,
  ): Promise<StartedSession | null> {
    const at = now();
    const successor = generateOpaqueToken();
    const presented = db
      .$with("presented", { sessionId: refreshTokens.sessionId })
      .as(
        sql`select ${refreshTokens.sessionId} from ${refreshTokens} inner join ${sessions} on ${sessions.id} = ${refreshTokens.sessionId} where ${and(
          eq(refreshTokens.tokenHash, tokenHash),
          isNull(refreshTokens.usedAt),
          scopeCondition(scope),
          live(at),
        )} for update`,
      );
    const updated = await rotate(db, sql`(select session_id from presented)`, {
      retireFamily: true,
      successor,
      meta,
      at,
      leading: [presented],
    });
    return updated ? { session: updated, refreshToken: successor } : null;
  }

  async function flushTouches(): Promise<void> {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    const uses = [...pending];
    pending.clear();
    const cutoff = now().getTime() - TOUCH_INTERVAL_MS;
    for (const [id, at] of touched) if (at < cutoff) touched.delete(id);
    // Grouped by time: a batch written at once mostly shares one minute anyway.
    for (let i = 0; i < uses.length; i += TOUCH_BATCH) {
      const batch = uses.slice(i, i + TOUCH_BATCH);
      const at = batch.reduce((latest, [, when]) => (when > latest ? when : latest), batch[0]![1]);
      try {
        await db
          .update(sessions)
          .set({ lastUsedAt: at })
          .where(
            and(
              inArray(
                sessions.id,
                batch.map(([id]) => id),
              ),
              lt(sessions.lastUsedAt, at),
            ),
          );
      } catch (error) {
        onError(error);
      }
    }
  }

  async function issueToken(executor: Executor, sessionId: string): Promise<string> {
    const token = generateOpaqueToken();
    await executor.insert(refreshTokens).values({ sessionId, tokenHash: hashToken(token) });
    return token;
  }

  return {
    async start(owner, meta, executor = db) {
      const at = now();
      const [session] = await executor
        .insert(sessions)
        .values({
          ...owner,
          createdAt: at,
          lastUsedAt: at,
          expiresAt: plus(at, lifetimes.absoluteTtlSeconds),
          idleExpiresAt: plus(at, lifetimes.idleTtlSeconds),
          ipAddress: meta.ipAddress,
          userAgent: meta.userAgent,
        })
        .returning();
      if (!session) throw new Error("Session insert returned nothing");
      return { session, refreshToken: await issueToken(executor, session.id) };
    },

    async refresh(refreshToken, meta, scope) {
      const tokenHash = hashToken(refreshToken);
      const rotated = await rotateUnusedToken(tokenHash, meta, scope);
      if (rotated) return rotated;
      // Not an unused token of a live session in scope: unknown, or already used (a sibling in
      // the grace window, or reuse). Those rare cases take the full path under row locks.
      const outcome = await db.transaction(async (tx) => {
        const [found] = await tx
          .select({ token: refreshTokens, session: sessions })
          .from(refreshTokens)
          .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
          .where(eq(refreshTokens.tokenHash, tokenHash))
          // Both rows: a waiting refresh then re-reads the token's usedAt as committed.
          .for("update");
        const at = now();
        if (!found || !inScope(found.session, scope) || !isSessionLive(found.session, at)) {
          return { kind: "invalid" as const };
        }

        const { token, session } = found;
        if (token.usedAt !== null) {
          const graceEnds = plus(token.usedAt, lifetimes.reuseGraceSeconds);
          if (at > graceEnds) {
            await endSessions(tx, { sessionId: session.id }, "reuse_detected", at);
            // An end user's session is listed in its organization's log like its other events.
            const [project] = session.projectId
              ? await tx
                  .select({ organizationId: projects.organizationId })
                  .from(projects)
                  .where(eq(projects.id, session.projectId))
              : [];
            await audit.record(
              {
                action: AuditActions.SESSION_REUSE_DETECTED,
                organizationId: project?.organizationId ?? null,
                actorUserId: session.userId,
                actorEndUserId: session.endUserId,
                projectId: session.projectId,
                targetId: session.id,
                metadata: { tokenUsedAt: token.usedAt.toISOString() },
                meta,
              },
              tx,
            );
            return { kind: "reused" as const };
          }
        }
        const successor = generateOpaqueToken();
        const updated = await rotate(tx, sql`${session.id}::uuid`, {
          retireFamily: token.usedAt === null,
          successor,
          meta,
          at,
        });
        if (!updated) throw new Error("Session vanished while locked");
        return { kind: "rotated" as const, started: { session: updated, refreshToken: successor } };
      });
      // Thrown after the transaction so the revocation and its audit event commit.
      if (outcome.kind !== "rotated") throw new AppError(SessionErrors.INVALID_REFRESH_TOKEN);
      return outcome.started;
    },

    async findLiveByRefreshToken(refreshToken, scope) {
      const [row] = await db
        .select({ session: sessions })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .where(
          and(
            eq(refreshTokens.tokenHash, hashToken(refreshToken)),
            scopeCondition(scope),
            live(now()),
          ),
        );
      return row?.session ?? null;
    },

    async revoke(sessionId, reason, executor = db) {
      const [row] = await endSessions(executor, { sessionId }, reason, now());
      return row ?? null;
    },

    async revokeAllOf(owner, reason, options = {}) {
      const selector = { owner, exceptSessionId: options.exceptSessionId };
      return endSessions(options.executor ?? db, selector, reason, now());
    },

    async revokeOwn(userId, sessionId, meta) {
      return db.transaction(async (tx) => {
        const owner = { userId };
        const rows = await endSessions(tx, { sessionId, owner }, "revoked", now());
        if (rows.length === 0) return false;
        await audit.record(
          { action: AuditActions.SESSION_REVOKED, actorUserId: userId, targetId: sessionId, meta },
          tx,
        );
        return true;
      });
    },

    async revokeAllOwn(userId, exceptSessionId, meta) {
      return db.transaction(async (tx) => {
        const selector = { owner: { userId }, exceptSessionId };
        const rows = await endSessions(tx, selector, "revoked_all", now());
        await audit.recordMany(
          rows.map((row) => ({
            action: AuditActions.SESSION_REVOKED,
            actorUserId: userId,
            targetId: row.id,
            metadata: { reason: "revoked_all" },
            meta,
          })),
          tx,
        );
        return rows.length;
      });
    },

    touch(session) {
      const at = now();
      const last = touched.get(session.id) ?? session.lastUsedAt.getTime();
      if (at.getTime() - last < TOUCH_INTERVAL_MS) return;
      touched.set(session.id, at.getTime());
      pending.set(session.id, at);
      if (!flushTimer) {
        flushTimer = setTimeout(() => void flushTouches(), TOUCH_FLUSH_DELAY_MS);
        flushTimer.unref();
      }
    },

    flushTouches,

    async listLive(owner, page) {
      return keysetPage<SessionRow>(
        db,
        { table: sessions, at: sessions.createdAt, id: sessions.id, direction: "desc" },
        and(ownerCondition(owner), live(now())),
        page,
      );
    },

    async pruneEnded() {
      const cutoff = new Date(now().getTime() - 86_400_000);
      const rows = await db
        .delete(sessions)
        .where(
          or(
            lt(sessions.expiresAt, cutoff),
            lt(sessions.idleExpiresAt, cutoff),
            lt(sessions.revokedAt, cutoff),
          ),
        )
        .returning({ id: sessions.id });
      return rows.length;
    },
  };
}
