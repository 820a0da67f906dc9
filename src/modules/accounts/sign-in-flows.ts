/**
 * Sign-up, log-in, refresh and log-out, written once over an account pool. What differs between
 * the platform and a project — which input is valid, how the row is written under which locks,
 * how an account is found by the identifier given — comes in as a small "door" from the pool's
 * service (auth.service.ts, end-user-auth.service.ts); the skeleton is here: the ordering of
 * rate limit, hashing and transaction, the dummy-hash verification for unknown identifiers, the
 * recheck under row locks, rehashing, the session, the audit trail, the verification mail.
 */
import type { AuditRecorder, AuditAction, RequestMeta } from "../../audit/audit-log";
import type { AccessTokens, IssuedAccessToken } from "../../auth/access-tokens";
import type { PasswordHasher } from "../../auth/passwords";
import type { RateLimits } from "../../auth/rate-limits";
import { sessionEndsAt, type SessionService } from "../../auth/sessions";
import type { Database, Executor } from "../../db/connection";
import type { SessionRow } from "../../db/schema/index";
import { AppError, invalidInput, type ErrorSpec, type FieldProblem } from "../../errors";
import type { AccountFlows } from "./account-flows";
import type { Account, AccountPool, Refusal } from "./account-pool";

export interface SignedIn<A extends Account> {
  account: A;
  session: SessionRow;
  accessToken: IssuedAccessToken;
  refreshToken: string;
  refreshExpiresAt: Date;
}

/** How one pool creates an account. */
export interface SignUpDoor<A extends Account> {
  /** Every broken rule of the input, checked before the slow hashing. */
  check(): Promise<FieldProblem[]>;
  password: string;
  /** Writes the account in `tx`, re-checking the rules under the locks they depend on. */
  insert(tx: Executor, passwordHash: string, at: Date): Promise<A>;
  action: AuditAction;
  metadata?: Record<string, unknown>;
}

/** How one pool finds and re-reads an account for a log-in. */
export interface LogInDoor<A extends Account> {
  /** Input problems that say nothing about any account (refused before any work). */
  problems: FieldProblem[];
  password: string;
  /** What the attempt names (email or phone), for the rate limit and the audit trail. */
  identifier: { field: string; value: string };
  find(executor: Executor): Promise<A | null>;
  /** The account locked for the log-in's transaction, and why it may not sign in now (under
   * the locks: a lock or a block that committed meanwhile counts). */
  lockForLogIn(tx: Executor, id: string): Promise<{ account: A; refusal: Refusal | null } | null>;
  /** Notes the log-in on the row (a rehash, lastLogInAt) and returns it. */
  recordLogIn(tx: Executor, account: A, rehash: string | null, at: Date): Promise<A>;
  actions: { succeeded: AuditAction; failed: AuditAction };
  invalidCredentials: ErrorSpec;
}

export interface SignInFlows {
  signUp<A extends Account>(
    pool: AccountPool<A>,
    door: SignUpDoor<A>,
    meta: RequestMeta,
  ): Promise<SignedIn<A>>;
  logIn<A extends Account>(
    pool: AccountPool<A>,
    door: LogInDoor<A>,
    meta: RequestMeta,
  ): Promise<SignedIn<A>>;
  refresh<A extends Account>(
    pool: AccountPool<A>,
    refreshToken: string,
    meta: RequestMeta,
    invalid: ErrorSpec,
  ): Promise<SignedIn<A>>;
  /** Ends one session of the pool; false when there was none to end. */
  logOut<A extends Account>(
    pool: AccountPool<A>,
    session: Pick<SessionRow, "id">,
    accountId: string | null,
    meta: RequestMeta,
  ): Promise<boolean>;
}

export function createSignInFlows(deps: {
  db: Database;
  passwords: PasswordHasher;
  sessions: SessionService;
  accessTokens: AccessTokens;
  audit: AuditRecorder;
  rateLimits: RateLimits;
  accountFlows: AccountFlows;
  now?: () => Date;
}): SignInFlows {
  const { db, passwords, sessions, accessTokens, audit, rateLimits, accountFlows } = deps;
  const now = deps.now ?? (() => new Date());

  async function complete<A extends Account>(
    pool: AccountPool<A>,
    account: A,
    session: SessionRow,
    refreshToken: string,
  ): Promise<SignedIn<A>> {
    const accessToken = await accessTokens.issue({
      subject: account.id,
      sessionId: session.id,
      audience: pool.audience,
    });
    return {
      account,
      session,
      accessToken,
      refreshToken,
      refreshExpiresAt: sessionEndsAt(session),
    };
  }

  return {
    async signUp(pool, door, meta) {
      const early = await door.check();
      if (early.length > 0) throw invalidInput(early);
      const passwordHash = await passwords.hash(door.password);
      try {
        const { account, started, mailed } = await db.transaction(async (tx) => {
          const account = await door.insert(tx, passwordHash, now());
          const started = await sessions.start(pool.owner(account.id), meta, tx);
          await audit.record(
            { ...pool.auditScope(account.id), action: door.action, metadata: door.metadata, meta },
            tx,
          );
          const mailed = await accountFlows.queueVerification(tx, pool, account);
          return { account, started, mailed };
        });
        if (mailed) accountFlows.afterCommit();
        return complete(pool, account, started.session, started.refreshToken);
      } catch (error) {
        throw pool.conflictOf(error) ?? error;
      }
    },

    async logIn(pool, door, meta) {
      if (door.problems.length > 0) throw invalidInput(door.problems);
      const limitKey = pool.logInKey(meta.ipAddress, door.identifier.value);
      // Consumed before the password is checked: a parallel burst cannot slip past the limit.
      await rateLimits.consumeLogInAttempt(limitKey);
      const account = await door.find(db);
      // Unknown identifiers are verified against a dummy hash: both failures cost the same time.
      const ok = await passwords.verify(account?.passwordHash ?? null, door.password);
      const failed = async (reason: string, spec: ErrorSpec = door.invalidCredentials) => {
        await audit.record({
          ...pool.auditScope(account?.id ?? null),
          action: door.actions.failed,
          metadata: { [door.identifier.field]: door.identifier.value.slice(0, 254), reason },
          meta,
        });
        return new AppError(spec);
      };
      if (!ok || !account) throw await failed("invalid_credentials");
      // Only a caller who knows the password learns that the account may not sign in.
      const refusal = pool.refusal(account);
      if (refusal) throw await failed(refusal.reason, refusal.error);
      await accountFlows
        .checkVerifiedForLogIn(pool, account, meta)
        .catch(async (error: unknown) => {
          await failed("email_not_verified");
          throw error;
        });

      // Hashing is slow: done before the transaction, which then only writes.
      const verifiedHash = account.passwordHash;
      const rehash = passwords.needsRehash(verifiedHash)
        ? await passwords.hash(door.password)
        : null;
      const outcome = await db.transaction(async (tx) => {
        // The password may have changed, or the account been locked or blocked, while we
        // hashed: the row lock orders this log-in against those changes.
        const locked = await door.lockForLogIn(tx, account.id);
        if (!locked || locked.account.passwordHash !== verifiedHash) return null;
        if (locked.refusal) return locked.refusal;
        const recorded = await door.recordLogIn(tx, locked.account, rehash, now());
        const started = await sessions.start(pool.owner(account.id), meta, tx);
        await audit.record(
          {
            ...pool.auditScope(account.id),
            action: door.actions.succeeded,
            targetId: started.session.id,
            meta,
          },
          tx,
        );
        return { account: recorded, started };
      });
      if (outcome === null) throw await failed("password_changed");
      if (!("started" in outcome)) throw await failed(outcome.reason, outcome.error);
      await rateLimits.resetLogIn(limitKey);
      return complete(pool, outcome.account, outcome.started.session, outcome.started.refreshToken);
    },

    async refresh(pool, refreshToken, meta, invalid) {
      const started = await sessions.refresh(refreshToken, meta, pool.scope);
      const owner = started.session.userId ?? started.session.endUserId;
      const account = owner ? await pool.findById(db, owner) : null;
      if (!account) throw new AppError(invalid);
      const refusal = pool.refusal(account);
      if (refusal) {
        await sessions.revoke(started.session.id, "revoked");
        throw new AppError(refusal.error);
      }
      return complete(pool, account, started.session, started.refreshToken);
    },

    async logOut(pool, session, accountId, meta) {
      return db.transaction(async (tx) => {
        const ended = await sessions.revoke(session.id, "logout", tx);
        if (ended) {
          await audit.record(
            {
              ...pool.auditScope(accountId),
              action: pool.actions.loggedOut,
              targetId: ended.id,
              metadata: { reason: "logout" },
              meta,
            },
            tx,
          );
        }
        return ended !== null;
      });
    },
  };
}
