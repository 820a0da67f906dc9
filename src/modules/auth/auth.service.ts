/**
 * Platform-user authentication: sign-up, log-in, refresh, log-out, password change.
 * Returns sessions and tokens; how they reach the client (body, cookies) is the resolver's job.
 */
import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/connection";
import { isUniqueViolation } from "../../db/errors";
import { users, type SessionRow, type UserRow } from "../../db/schema/index";
import { AppError, invalidInput, type ErrorSpec, type FieldProblem } from "../../errors";
import {
  PLATFORM_AUDIENCE,
  type AccessTokens,
  type IssuedAccessToken,
} from "../../auth/access-tokens";
import type { PasswordHasher } from "../../auth/passwords";
import { logInKey, type RateLimits } from "../../auth/rate-limits";
import { sessionEndsAt, type SessionService } from "../../auth/sessions";
import {
  checkEmail,
  checkFullName,
  checkPasswordLength,
  checkPlatformPassword,
} from "../../validation";
import { AuditActions, type AuditService, type RequestMeta } from "../audit/audit.service";
import type { UsersService } from "../users/users.service";
import { AuthErrors } from "./auth.errors";

export interface AuthResult {
  user: UserRow;
  session: SessionRow;
  accessToken: IssuedAccessToken;
  refreshToken: string;
  refreshExpiresAt: Date;
}

export interface SignUpInput {
  fullName: string;
  email: string;
  password: string;
}

export interface AuthService {
  signUp(input: SignUpInput, meta: RequestMeta): Promise<AuthResult>;
  logIn(input: { email: string; password: string }, meta: RequestMeta): Promise<AuthResult>;
  refresh(refreshToken: string, meta: RequestMeta): Promise<AuthResult>;
  /** Ends one session; false when there was none to end. */
  logOut(sessionId: string, userId: string, meta: RequestMeta): Promise<boolean>;
  changePassword(
    viewer: { user: UserRow; session: SessionRow },
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void>;
}

export function createAuthService(deps: {
  db: Database;
  passwords: PasswordHasher;
  sessions: SessionService;
  accessTokens: AccessTokens;
  audit: AuditService;
  users: UsersService;
  rateLimits: RateLimits;
  now?: () => Date;
}): AuthService {
  const { db, passwords, sessions, accessTokens, audit, rateLimits } = deps;
  const now = deps.now ?? (() => new Date());

  async function complete(
    user: UserRow,
    session: SessionRow,
    refreshToken: string,
  ): Promise<AuthResult> {
    const accessToken = await accessTokens.issue({
      subject: user.id,
      sessionId: session.id,
      audience: PLATFORM_AUDIENCE,
    });
    return { user, session, accessToken, refreshToken, refreshExpiresAt: sessionEndsAt(session) };
  }

  return {
    async signUp(input, meta) {
      const email = input.email.trim();
      const problems: FieldProblem[] = [
        checkFullName("fullName", input.fullName),
        checkEmail("email", email),
        ...checkPlatformPassword("password", input.password, email),
      ].filter((p): p is FieldProblem => p !== null);
      if (problems.length > 0) throw invalidInput(problems);

      const passwordHash = await passwords.hash(input.password);
      try {
        const { user, started } = await db.transaction(async (tx) => {
          const [user] = await tx
            .insert(users)
            .values({ email, fullName: input.fullName.trim(), passwordHash })
            .returning();
          if (!user) throw new Error("User insert returned nothing");
          const started = await sessions.start({ userId: user.id }, meta, tx);
          await audit.record(
            { action: AuditActions.USER_SIGNED_UP, actorUserId: user.id, targetId: user.id, meta },
            tx,
          );
          return { user, started };
        });
        return complete(user, started.session, started.refreshToken);
      } catch (error) {
        if (isUniqueViolation(error, "users_email_lower_key"))
          throw new AppError(AuthErrors.EMAIL_TAKEN);
        throw error;
      }
    },

    async logIn(input, meta) {
      // Oversized input says nothing about any account: refuse it before any work.
      const problems = [
        checkEmail("email", input.email),
        checkPasswordLength("password", input.password),
      ];
      const invalid = problems.filter((p): p is FieldProblem => p !== null);
      if (invalid.length > 0) throw invalidInput(invalid);

      const limitKey = logInKey(meta.ipAddress, input.email);
      await rateLimits.consumeLogInAttempt(limitKey);
      const user = await deps.users.findByEmail(input.email);
      // Unknown emails are verified against a dummy hash: both failures cost the same time.
      const ok = await passwords.verify(user?.passwordHash ?? null, input.password);
      const failed = async (reason: string, spec: ErrorSpec = AuthErrors.INVALID_CREDENTIALS) => {
        await audit.record({
          action: AuditActions.USER_LOGIN_FAILED,
          actorUserId: user?.id ?? null,
          targetId: user?.id ?? null,
          metadata: { email: input.email.slice(0, 254), reason },
          meta,
        });
        return new AppError(spec);
      };
      if (!ok || !user) throw await failed("invalid_credentials");
      if (user.lockedAt) throw await failed("locked", AuthErrors.ACCOUNT_LOCKED);

      // Hashing is slow: done before the transaction, which then only writes.
      const verifiedHash = user.passwordHash;
      const rehash = passwords.needsRehash(verifiedHash)
        ? await passwords.hash(input.password)
        : null;
      const outcome = await db.transaction(async (tx) => {
        // The password may have changed (or the account been locked) while we hashed: the row
        // lock orders this log-in against a concurrent changePassword, which then ends it.
        const [current] = await tx
          .select({ passwordHash: users.passwordHash, lockedAt: users.lockedAt })
          .from(users)
          .where(eq(users.id, user.id))
          .for("update");
        if (!current || current.passwordHash !== verifiedHash) return null;
        if (current.lockedAt) return "locked" as const;
        let row = user;
        if (rehash) {
          const [rehashed] = await tx
            .update(users)
            .set({ passwordHash: rehash, updatedAt: now() })
            .where(eq(users.id, user.id))
            .returning();
          row = rehashed ?? user;
        }
        const started = await sessions.start({ userId: user.id }, meta, tx);
        await audit.record(
          {
            action: AuditActions.USER_LOGIN_SUCCEEDED,
            actorUserId: user.id,
            targetId: started.session.id,
            meta,
          },
          tx,
        );
        return { user: row, started };
      });
      if (outcome === null) throw await failed("password_changed");
      if (outcome === "locked") throw await failed("locked", AuthErrors.ACCOUNT_LOCKED);
      await rateLimits.resetLogIn(limitKey);
      return complete(outcome.user, outcome.started.session, outcome.started.refreshToken);
    },

    async refresh(refreshToken, meta) {
      const started = await sessions.refresh(refreshToken, meta, "platform");
      // The platform scope only yields platform sessions, which always name their user.
      const userId = started.session.userId;
      const user = userId ? await deps.users.findById(userId) : null;
      if (!user) throw new AppError(AuthErrors.INVALID_CREDENTIALS);
      if (user.lockedAt) {
        await sessions.revoke(started.session.id, "revoked");
        throw new AppError(AuthErrors.ACCOUNT_LOCKED);
      }
      return complete(user, started.session, started.refreshToken);
    },

    async logOut(sessionId, userId, meta) {
      return db.transaction(async (tx) => {
        const ended = (await sessions.revoke(sessionId, "logout", tx)) !== null;
        if (ended) {
          await audit.record(
            {
              action: AuditActions.SESSION_REVOKED,
              actorUserId: userId,
              targetId: sessionId,
              metadata: { reason: "logout" },
              meta,
            },
            tx,
          );
        }
        return ended;
      });
    },

    async changePassword(viewer, input, meta) {
      const problems = [
        checkPasswordLength("currentPassword", input.currentPassword),
        ...checkPlatformPassword("newPassword", input.newPassword, viewer.user.email),
      ].filter((p): p is FieldProblem => p !== null);
      if (problems.length > 0) throw invalidInput(problems);
      const limitKey = logInKey(meta.ipAddress, viewer.user.email);
      await rateLimits.consumeLogInAttempt(limitKey);
      const verifiedHash = viewer.user.passwordHash;
      if (!(await passwords.verify(verifiedHash, input.currentPassword))) {
        throw new AppError(AuthErrors.WRONG_CURRENT_PASSWORD, {
          fields: [{ field: "currentPassword", message: "is not correct" }],
        });
      }
      const passwordHash = await passwords.hash(input.newPassword);
      await db.transaction(async (tx) => {
        // Only over the hash we verified: two concurrent changes cannot both win.
        const [updated] = await tx
          .update(users)
          .set({ passwordHash, updatedAt: now() })
          .where(and(eq(users.id, viewer.user.id), eq(users.passwordHash, verifiedHash)))
          .returning({ id: users.id });
        if (!updated) throw new AppError(AuthErrors.PASSWORD_CHANGED_CONCURRENTLY);
        const { length: ended } = await sessions.revokeAllOf(
          { userId: viewer.user.id },
          "password_changed",
          { exceptSessionId: viewer.session.id, executor: tx },
        );
        await audit.record(
          {
            action: AuditActions.USER_PASSWORD_CHANGED,
            actorUserId: viewer.user.id,
            targetId: viewer.user.id,
            metadata: { sessionsEnded: ended },
            meta,
          },
          tx,
        );
      });
      await rateLimits.resetLogIn(limitKey);
    },
  };
}
