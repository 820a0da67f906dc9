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
import { and, eq, gt, isNotNull, isNull, lt, ne, or } from "drizzle-orm";
import type { Database, Executor } from "../db/connection";
import { keysetPage } from "../db/keyset";
import { projects, refreshTokens, sessions, type SessionRow } from "../db/schema/index";
import { AppError, type ErrorSpec } from "../errors";
import type { Page, PageRequest } from "../pagination";
import type { AuditService, RequestMeta } from "../modules/audit/audit.service";
import { AuditActions } from "../modules/audit/audit.service";
import { generateOpaqueToken, hashToken } from "./secrets";

export const SessionErrors = {
  INVALID_REFRESH_TOKEN: {
    code: "UNAUTHENTICATED",
    message: "The refresh token is invalid or expired; sign in again",
  },
  SESSION_NOT_FOUND: { code: "NOT_FOUND", message: "No such session" },
} as const satisfies Record<string, ErrorSpec>;

export type RevokeReason =
  "logout" | "revoked" | "revoked_all" | "password_changed" | "reuse_detected";

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
  /** Records use of a session for `lastUsedAt`, at most once a minute per session. */
  touch(session: SessionRow): Promise<void>;
  listLive(owner: SessionOwner, page: PageRequest): Promise<Page<SessionRow>>;
  /** Deletes sessions that ended more than a day ago, and their tokens. */
  pruneEnded(): Promise<number>;
}

const TOUCH_INTERVAL_MS = 60_000;

export function createSessionService(deps: {
  db: Database;
  audit: AuditService;
  lifetimes: SessionLifetimes;
  now?: () => Date;
}): SessionService {
  const { db, audit, lifetimes } = deps;
  const now = deps.now ?? (() => new Date());
  const plus = (from: Date, seconds: number) => new Date(from.getTime() + seconds * 1000);
  const live = liveSessionCondition;

  async function issueToken(executor: Executor, sessionId: string): Promise<string> {
    const token = generateOpaqueToken();
    await executor.insert(refreshTokens).values({ sessionId, tokenHash: hashToken(token) });
    return token;
  }

  async function revokeWhere(
    executor: Executor,
    where: ReturnType<typeof and>,
    reason: RevokeReason,
  ): Promise<SessionRow[]> {
    const at = now();
    return executor
      .update(sessions)
      .set({ revokedAt: at, revokedReason: reason })
      .where(and(where, live(at)))
      .returning();
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
            await tx
              .update(sessions)
              .set({ revokedAt: at, revokedReason: "reuse_detected" })
              .where(eq(sessions.id, session.id));
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
        } else {
          // A rotation retires every live token of the family: siblings issued in a grace window
          // stop here, so a copied token cannot start a parallel chain; presented later, it is
          // reuse, and the family ends.
          await tx
            .update(refreshTokens)
            .set({ usedAt: at })
            .where(and(eq(refreshTokens.sessionId, session.id), isNull(refreshTokens.usedAt)));
        }
        const idleEnd = plus(at, lifetimes.idleTtlSeconds);
        const [updated] = await tx
          .update(sessions)
          .set({
            lastUsedAt: at,
            idleExpiresAt: idleEnd < session.expiresAt ? idleEnd : session.expiresAt,
            ipAddress: meta.ipAddress ?? session.ipAddress,
            userAgent: meta.userAgent ?? session.userAgent,
          })
          .where(eq(sessions.id, session.id))
          .returning();
        if (!updated) throw new Error("Session vanished while locked");
        return {
          kind: "rotated" as const,
          started: { session: updated, refreshToken: await issueToken(tx, session.id) },
        };
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
      const [row] = await revokeWhere(executor, eq(sessions.id, sessionId), reason);
      return row ?? null;
    },

    async revokeAllOf(owner, reason, options = {}) {
      const except = options.exceptSessionId;
      return revokeWhere(
        options.executor ?? db,
        and(ownerCondition(owner), except ? ne(sessions.id, except) : undefined),
        reason,
      );
    },

    async revokeOwn(userId, sessionId, meta) {
      return db.transaction(async (tx) => {
        const rows = await revokeWhere(
          tx,
          and(eq(sessions.id, sessionId), eq(sessions.userId, userId)),
          "revoked",
        );
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
        const rows = await revokeWhere(
          tx,
          and(
            eq(sessions.userId, userId),
            exceptSessionId ? ne(sessions.id, exceptSessionId) : undefined,
          ),
          "revoked_all",
        );
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

    async touch(session) {
      const at = now();
      if (at.getTime() - session.lastUsedAt.getTime() < TOUCH_INTERVAL_MS) return;
      await db
        .update(sessions)
        .set({ lastUsedAt: at })
        .where(and(eq(sessions.id, session.id), lt(sessions.lastUsedAt, at)));
    },

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
