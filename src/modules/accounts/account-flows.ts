/**
 * Account flows, written once over an account pool (account-pool.ts): password change, email
 * verification, password reset and email change, for platform users and for every project's end
 * users alike. The GraphQL surfaces choose the pool and call these; the rules live here.
 *
 * Mail goes through the outbox in the same transaction as the token it carries, so a message
 * exists exactly when its token does; the worker is woken after the commit.
 */
import type { AuditAction, AuditRecorder, RequestMeta } from "../../audit/audit-log";
import {
  accountTokenOwner,
  consumeAccountToken,
  findAccountToken,
  issueAccountToken,
  retireAccountTokens,
} from "../../auth/account-tokens";
import type { PasswordHasher } from "../../auth/passwords";
import type { RateLimits } from "../../auth/rate-limits";
import { endSessions } from "../../auth/sessions";
import type { Database, Executor } from "../../db/connection";
import type { AccountTokenPurpose, AccountTokenRow, SessionRow } from "../../db/schema/index";
import { AppError, invalidInput, presentProblems, type ErrorSpec } from "../../errors";
import type { Logger } from "../../logger";
import type { MailOutbox } from "../../mail/outbox";
import { checkEmail, checkPasswordLength, normaliseEmail } from "../../validation";
import { MailErrors, type Account, type AccountPool } from "./account-pool";

export const AccountErrors = {
  // One answer for an unknown, used, expired, replaced or foreign token.
  INVALID_TOKEN: {
    code: "BAD_USER_INPUT",
    message: "This link is invalid or has expired; ask for a new one",
  },
  EMAIL_NOT_VERIFIED: {
    code: "FAILED_PRECONDITION",
    message: "Verify your email address first: we have sent you a new link",
  },
  EMAIL_NOT_VERIFIED_NO_MAIL: {
    code: "FAILED_PRECONDITION",
    message:
      "Verify your email address first; this application cannot send the link yet (it has no app URL)",
  },
  SAME_EMAIL: { code: "BAD_USER_INPUT", message: "This is already the account's email address" },
} as const satisfies Record<string, ErrorSpec>;

/** Link paths in the app (the pool's link base): the app passes the token back to us. */
export const LINK_PATHS: Record<AccountTokenPurpose, string> = {
  EMAIL_VERIFICATION: "/verify-email",
  PASSWORD_RESET: "/reset-password",
  EMAIL_CHANGE: "/confirm-email-change",
};

/** The account a token row belongs to (its user or end user id). */
function ownerId(row: AccountTokenRow): string {
  const owner = accountTokenOwner(row);
  return "userId" in owner ? owner.userId : owner.endUserId;
}

export interface AccountViewer<A extends Account> {
  account: A;
  session: SessionRow;
}

export interface AccountFlows {
  changePassword<A extends Account>(
    pool: AccountPool<A>,
    viewer: AccountViewer<A>,
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void>;
  /** In the caller's transaction: a verification message for a new or unverified account, when
   * the pool can send mail. Call `afterCommit` once the transaction has committed. */
  queueVerification<A extends Account>(
    tx: Executor,
    pool: AccountPool<A>,
    account: A,
  ): Promise<boolean>;
  /** The signed-in account asks for a new verification link; false when already verified. */
  requestEmailVerification<A extends Account>(
    pool: AccountPool<A>,
    account: A,
    meta: RequestMeta,
  ): Promise<boolean>;
  verifyEmail<A extends Account>(
    pool: AccountPool<A>,
    token: string,
    meta: RequestMeta,
  ): Promise<A>;
  /**
   * The log-in gate: with verification required, the right password for an unverified account
   * answers FAILED_PRECONDITION (reason EMAIL_NOT_VERIFIED) and mails a fresh link (within the
   * rate limit). Call only after the password was verified.
   */
  checkVerifiedForLogIn<A extends Account>(
    pool: AccountPool<A>,
    account: A,
    meta: RequestMeta,
  ): Promise<void>;
  /** Always true, in about the same time, whether or not the address has an account. */
  requestPasswordReset<A extends Account>(
    pool: AccountPool<A>,
    email: string,
    meta: RequestMeta,
  ): Promise<true>;
  resetPassword<A extends Account>(
    pool: AccountPool<A>,
    input: { token: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<true>;
  requestEmailChange<A extends Account>(
    pool: AccountPool<A>,
    viewer: AccountViewer<A>,
    input: { newEmail: string; currentPassword: string },
    meta: RequestMeta,
  ): Promise<true>;
  /** Switches the address; ends the account's other sessions (all of them unless `viewer` is
   * that account signed in). */
  confirmEmailChange<A extends Account>(
    pool: AccountPool<A>,
    token: string,
    viewerSessionId: string | null,
    meta: RequestMeta,
  ): Promise<A>;
  /** Resolves once reset requests accepted so far have queued their mail (tests, shutdown). */
  settled(): Promise<void>;
  /** Wakes the mail worker after a transaction that queued mail has committed. */
  afterCommit(): void;
}

export function createAccountFlows(deps: {
  db: Database;
  passwords: PasswordHasher;
  audit: AuditRecorder;
  rateLimits: RateLimits;
  outbox: MailOutbox;
  logger: Logger;
  now?: () => Date;
}): AccountFlows {
  const { db, passwords, audit, rateLimits, outbox, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const background = new Set<Promise<void>>();

  function linkBaseOf(pool: AccountPool<Account>): string {
    if (pool.mail.linkBase === null) throw new AppError(MailErrors.NO_APP_URL);
    return pool.mail.linkBase;
  }

  function link(base: string, purpose: AccountTokenPurpose, token: string): string {
    return `${base}${LINK_PATHS[purpose]}?token=${encodeURIComponent(token)}`;
  }

  async function queueVerificationTo(
    tx: Executor,
    pool: AccountPool<Account>,
    account: Account,
    base: string,
  ): Promise<void> {
    const email = account.email as string;
    const token = await issueAccountToken(tx, {
      owner: pool.owner(account.id),
      purpose: "EMAIL_VERIFICATION",
      email,
      at: now(),
    });
    await outbox.enqueue(tx, {
      to: email,
      template: "email-verification",
      data: { name: account.fullName, link: link(base, "EMAIL_VERIFICATION", token) },
      brand: { productName: pool.mail.productName },
    });
  }

  /**
   * Redeems a mailed token in `tx`, in the lock order every flow keeps: find the token, lock its
   * account (and for end users the project first), then use the token. INVALID_TOKEN when any
   * step finds nothing.
   */
  async function redeem<A extends Account>(
    tx: Executor,
    pool: AccountPool<A>,
    token: string,
    purpose: AccountTokenPurpose,
  ): Promise<{ email: string; account: A }> {
    const presented = { token, purpose, scope: pool.scope, at: now() };
    const found = await findAccountToken(tx, presented);
    const account = found ? await pool.lock(tx, ownerId(found)) : null;
    const row = account ? await consumeAccountToken(tx, presented) : null;
    if (!row || !account || ownerId(row) !== account.id) {
      throw new AppError(AccountErrors.INVALID_TOKEN);
    }
    return { email: row.email, account };
  }

  const sameAddress = (a: string | null, b: string) =>
    a !== null && normaliseEmail(a) === normaliseEmail(b);

  /** Whether an account of the pool other than `accountId` holds `email`. */
  async function heldByAnother(
    executor: Executor,
    pool: AccountPool<Account>,
    email: string,
    accountId: string,
  ): Promise<boolean> {
    const holder = await pool.findByEmail(executor, email);
    return holder !== null && holder.id !== accountId;
  }

  const emailTaken = (pool: AccountPool<Account>) =>
    new AppError(pool.errors.emailTaken, {
      fields: [{ field: "newEmail", message: "is already registered" }],
    });

  /**
   * What follows a new password in `tx`, for a change and a reset alike: the links still out
   * for the account stop working (`retire`: which kinds; all by default), its sessions end (but
   * `keepSessionId`), the event is recorded and the notice queued. True when mail was queued.
   */
  async function afterNewPassword(
    tx: Executor,
    pool: AccountPool<Account>,
    account: Account,
    change: {
      at: Date;
      reason: "password_changed" | "password_reset";
      action: AuditAction;
      keepSessionId: string | null;
      retire?: readonly AccountTokenPurpose[];
    },
    meta: RequestMeta,
  ): Promise<boolean> {
    const owner = pool.owner(account.id);
    await retireAccountTokens(tx, owner, change.at, change.retire);
    const ended = await endSessions(
      tx,
      { owner, exceptSessionId: change.keepSessionId },
      change.reason,
      change.at,
    );
    await audit.record(
      {
        ...pool.auditScope(account.id),
        action: change.action,
        metadata: { sessionsEnded: ended.length },
        meta,
      },
      tx,
    );
    return notifyPasswordChanged(tx, pool, account);
  }

  const flows: AccountFlows = {
    async changePassword(pool, { account, session }, input, meta) {
      const problems = presentProblems([
        checkPasswordLength("currentPassword", input.currentPassword),
        ...pool.passwordProblems("newPassword", input.newPassword, account),
      ]);
      if (problems.length > 0) throw invalidInput(problems);
      const limitKey = pool.logInKey(meta.ipAddress, pool.identifierOf(account));
      await rateLimits.consumeLogInAttempt(limitKey);
      const verifiedHash = account.passwordHash;
      if (!(await passwords.verify(verifiedHash, input.currentPassword))) {
        throw new AppError(pool.errors.wrongCurrentPassword, {
          fields: [{ field: "currentPassword", message: "is not correct" }],
        });
      }
      const passwordHash = await passwords.hash(input.newPassword);
      const at = now();
      const mailed = await db.transaction(async (tx) => {
        await pool.lock(tx, account.id);
        // Only over the hash we verified: two concurrent changes cannot both win.
        const updated = await pool.update(
          tx,
          account.id,
          { passwordHash, updatedAt: at },
          { passwordHash: verifiedHash },
        );
        if (!updated) throw new AppError(pool.errors.passwordChangedConcurrently);
        return afterNewPassword(
          tx,
          pool,
          updated,
          {
            at,
            reason: "password_changed",
            action: pool.actions.passwordChanged,
            keepSessionId: session.id,
            // Reset and email-change links mailed before the change no longer count.
            retire: ["PASSWORD_RESET", "EMAIL_CHANGE"],
          },
          meta,
        );
      });
      if (mailed) flows.afterCommit();
      await rateLimits.resetLogIn(limitKey);
    },

    async queueVerification(tx, pool, account) {
      if (!account.email || account.emailVerified || pool.mail.linkBase === null) return false;
      await queueVerificationTo(tx, pool, account, pool.mail.linkBase);
      return true;
    },

    async requestEmailVerification(pool, account, meta) {
      const base = linkBaseOf(pool);
      if (!account.email) {
        throw invalidInput([{ field: "email", message: "this account has no email address" }]);
      }
      await rateLimits.consumeAccountMail(pool.limitScope, meta.ipAddress, account.email);
      if (account.emailVerified) return false;
      await db.transaction(async (tx) => {
        const current = await pool.lock(tx, account.id);
        if (current && !current.emailVerified && current.email) {
          await queueVerificationTo(tx, pool, current, base);
        }
      });
      flows.afterCommit();
      return true;
    },

    async verifyEmail(pool, token, meta) {
      return db.transaction(async (tx) => {
        const at = now();
        const { email, account } = await redeem(tx, pool, token, "EMAIL_VERIFICATION");
        const id = account.id;
        // The link verifies the address it was sent to, not one the account moved to since.
        if (!sameAddress(account.email, email)) throw new AppError(AccountErrors.INVALID_TOKEN);
        if (account.emailVerified) return account;
        const updated = await pool.update(tx, id, { emailVerified: true, updatedAt: at });
        await audit.record(
          {
            ...pool.auditScope(id),
            action: pool.actions.emailVerified,
            metadata: { email, via: "link" },
            meta,
          },
          tx,
        );
        return updated ?? account;
      });
    },

    async checkVerifiedForLogIn(pool, account, meta) {
      if (!pool.requireVerifiedEmail || account.emailVerified || !account.email) return;
      const details = { details: { reason: "EMAIL_NOT_VERIFIED" } };
      if (pool.mail.linkBase === null) {
        throw new AppError(AccountErrors.EMAIL_NOT_VERIFIED_NO_MAIL, details);
      }
      // A fresh link, unless the limit says this address got enough of them.
      let queued = false;
      try {
        await rateLimits.consumeAccountMail(pool.limitScope, meta.ipAddress, account.email);
        queued = await db.transaction(async (tx) => {
          const current = await pool.lock(tx, account.id);
          return current ? flows.queueVerification(tx, pool, current) : false;
        });
      } catch (error) {
        if (!(error instanceof AppError && error.code === "RATE_LIMITED")) throw error;
      }
      if (queued) flows.afterCommit();
      throw new AppError(AccountErrors.EMAIL_NOT_VERIFIED, details);
    },

    async requestPasswordReset(pool, email, meta) {
      const base = linkBaseOf(pool);
      const problem = checkEmail("email", email.trim());
      if (problem) throw invalidInput([problem]);
      await rateLimits.consumeAccountMail(pool.limitScope, meta.ipAddress, email);
      // The answer and its timing must not depend on whether the address has an account: the
      // lookup is the same for both, and the mail is queued after the answer has gone.
      const account = await pool.findByEmail(db, email);
      if (account) {
        const task = db
          .transaction(async (tx) => {
            await pool.lock(tx, account.id);
            const token = await issueAccountToken(tx, {
              owner: pool.owner(account.id),
              purpose: "PASSWORD_RESET",
              email: account.email as string,
              at: now(),
            });
            await outbox.enqueue(tx, {
              to: account.email as string,
              template: "password-reset",
              data: { name: account.fullName, link: link(base, "PASSWORD_RESET", token) },
              brand: { productName: pool.mail.productName },
            });
          })
          .then(
            () => flows.afterCommit(),
            // Not the error itself: a failed query's message carries its parameters (the link).
            (error: unknown) =>
              logger.error(
                { error: (error as { code?: unknown }).code ?? "unknown" },
                "Queueing a password reset failed",
              ),
          )
          .finally(() => background.delete(task));
        background.add(task);
      }
      return true;
    },

    async resetPassword(pool, input, meta) {
      await rateLimits.consumeAccountMail(pool.limitScope, meta.ipAddress, null);
      // Look first (without using the token) so that a password the rules refuse leaves the
      // link usable, and hash before the transaction, which then only writes.
      const found = await findAccountToken(db, {
        token: input.token,
        purpose: "PASSWORD_RESET",
        scope: pool.scope,
        at: now(),
      });
      const account = found ? await pool.findById(db, ownerId(found)) : null;
      if (!found || !account) throw new AppError(AccountErrors.INVALID_TOKEN);
      // Redemptions count per account, apart from the requests for links.
      await rateLimits.consumeAccountMail(pool.limitScope, null, `redeem:${account.id}`);
      const problems = pool.passwordProblems("newPassword", input.newPassword, account);
      if (problems.length > 0) throw invalidInput(problems);
      const passwordHash = await passwords.hash(input.newPassword);
      await db.transaction(async (tx) => {
        const at = now();
        const { email, account: current } = await redeem(tx, pool, input.token, "PASSWORD_RESET");
        // A link to an address the account has moved away from resets nothing.
        if (!sameAddress(current.email, email)) throw new AppError(AccountErrors.INVALID_TOKEN);
        const updated = await pool.update(tx, current.id, {
          passwordHash,
          // The link proves the mailbox it went to.
          emailVerified: true,
          updatedAt: at,
        });
        await afterNewPassword(
          tx,
          pool,
          updated ?? current,
          {
            at,
            reason: "password_reset",
            action: pool.actions.passwordReset,
            keepSessionId: null,
          },
          meta,
        );
      });
      flows.afterCommit();
      return true;
    },

    async requestEmailChange(pool, { account }, input, meta) {
      const base = linkBaseOf(pool);
      const newEmail = input.newEmail.trim();
      const problems = presentProblems([
        checkEmail("newEmail", newEmail),
        checkPasswordLength("currentPassword", input.currentPassword),
      ]);
      if (problems.length > 0) throw invalidInput(problems);
      if (account.email && normaliseEmail(account.email) === normaliseEmail(newEmail)) {
        throw new AppError(AccountErrors.SAME_EMAIL, {
          fields: [{ field: "newEmail", message: "is already this account's address" }],
        });
      }
      await rateLimits.consumeAccountMail(pool.limitScope, meta.ipAddress, newEmail);
      // A password attempt like any other; not forgiven on success, so the CONFLICT below
      // cannot be used to probe addresses faster than log-in attempts allow.
      const limitKey = pool.logInKey(meta.ipAddress, pool.identifierOf(account));
      await rateLimits.consumeLogInAttempt(limitKey);
      if (!(await passwords.verify(account.passwordHash, input.currentPassword))) {
        throw new AppError(pool.errors.wrongCurrentPassword, {
          fields: [{ field: "currentPassword", message: "is not correct" }],
        });
      }
      if (await heldByAnother(db, pool, newEmail, account.id)) throw emailTaken(pool);
      await db.transaction(async (tx) => {
        await pool.lock(tx, account.id);
        const token = await issueAccountToken(tx, {
          owner: pool.owner(account.id),
          purpose: "EMAIL_CHANGE",
          email: newEmail,
          at: now(),
        });
        await outbox.enqueue(tx, {
          to: newEmail,
          template: "email-change",
          data: { name: account.fullName, newEmail, link: link(base, "EMAIL_CHANGE", token) },
          brand: { productName: pool.mail.productName },
        });
      });
      flows.afterCommit();
      return true;
    },

    async confirmEmailChange(pool, token, viewerSessionId, meta) {
      try {
        const updated = await db.transaction(async (tx) => {
          const at = now();
          const { email: newEmail, account: current } = await redeem(
            tx,
            pool,
            token,
            "EMAIL_CHANGE",
          );
          const id = current.id;
          // A locked or blocked account does not move its address.
          const refusal = pool.refusal(current);
          if (refusal) throw new AppError(refusal.error);
          if (await heldByAnother(tx, pool, newEmail, id)) throw emailTaken(pool);
          const oldEmail = current.email;
          const changed = await pool.update(tx, id, {
            email: newEmail,
            emailVerified: true,
            updatedAt: at,
          });
          if (!changed) throw new AppError(AccountErrors.INVALID_TOKEN);
          // Links mailed to the old address (a reset, a verification) stop working with it.
          await retireAccountTokens(tx, pool.owner(id), at);
          const ended = await endSessions(
            tx,
            { owner: pool.owner(id), exceptSessionId: viewerSessionId },
            "email_changed",
            at,
          );
          await audit.record(
            {
              ...pool.auditScope(id),
              action: pool.actions.emailChanged,
              metadata: { from: oldEmail, to: newEmail, sessionsEnded: ended.length },
              meta,
            },
            tx,
          );
          if (oldEmail) {
            await outbox.enqueue(tx, {
              to: oldEmail,
              template: "email-changed",
              data: { name: changed.fullName, newEmail },
              brand: { productName: pool.mail.productName },
            });
          }
          return changed;
        });
        flows.afterCommit();
        return updated;
      } catch (error) {
        // Taken by a sign-up that committed between the check and the update.
        if (pool.conflictOf(error)) throw emailTaken(pool);
        throw error;
      }
    },

    async settled() {
      await Promise.allSettled([...background]);
    },

    afterCommit() {
      outbox.kick();
    },
  };

  /** The "password changed" notice, when the pool can mail and the account has an address. */
  async function notifyPasswordChanged(
    tx: Executor,
    pool: AccountPool<Account>,
    account: Account,
  ): Promise<boolean> {
    if (!account.email || pool.mail.linkBase === null) return false;
    await outbox.enqueue(tx, {
      to: account.email,
      template: "password-changed",
      data: { name: account.fullName },
      brand: { productName: pool.mail.productName },
    });
    return true;
  }

  return flows;
}
