/**
 * Account pools: the platform's users, or one project's end users. A pool is everything an
 * account flow needs to know about where it runs — the table, the token audience and session
 * scope, the password rules, what refuses an account (a lock, a blocked status), the audit
 * actions and scope, and where mail links point and whose name they carry. The flows in
 * account-flows.ts are written once over this interface; the platform and end-user GraphQL
 * surfaces pick the pool and call them.
 */
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { PLATFORM_AUDIENCE, projectAudience } from "../../auth/access-tokens";
import { endUserLogInKey, logInKey } from "../../auth/rate-limits";
import type { SessionOwner, SessionScope } from "../../auth/sessions";
import { AuditActions, type AuditAction, type AuditEventInput } from "../../audit/audit-log";
import type { Executor } from "../../db/connection";
import { isUniqueViolation } from "../../db/errors";
import {
  endUsers,
  projects,
  users,
  type EndUserRow,
  type PasswordPolicyRow,
  type ProjectPolicyRow,
  type ProjectRow,
  type UserRow,
} from "../../db/schema/index";
import { AppError, type ErrorSpec, type FieldProblem } from "../../errors";
import { checkPlatformPassword, normaliseEmail } from "../../validation";
import { AuthErrors } from "../auth/auth.errors";
import { EndUserErrors } from "../end-users/end-users.errors";
import { isBlockedStatus } from "../policies/blocked-statuses";
import { checkPasswordRules, DEFAULT_PASSWORD_RULES } from "../policies/password-rules";
import { loadProjectWithPolicies } from "../policies/policies.service";
import { ProjectErrors } from "../projects/projects.errors";

/** What every account has, in either pool. */
export interface Account {
  id: string;
  email: string | null;
  fullName: string;
  passwordHash: string;
  emailVerified: boolean;
}

/** Changes a flow makes to an account; `updatedAt` is the flow's clock. */
export interface AccountChanges {
  passwordHash?: string;
  email?: string;
  emailVerified?: boolean;
  updatedAt: Date;
}

export interface AccountPool<A extends Account = Account> {
  readonly scope: SessionScope;
  readonly audience: string;
  owner(accountId: string): SessionOwner;
  /** The actor and tenancy scope of an event about `accountId` (its own action). */
  auditScope(accountId: string | null): Omit<AuditEventInput, "action">;
  readonly actions: {
    passwordChanged: AuditAction;
    passwordReset: AuditAction;
    emailVerified: AuditAction;
    emailChanged: AuditAction;
    loggedOut: AuditAction;
  };
  readonly errors: {
    emailTaken: ErrorSpec;
    wrongCurrentPassword: ErrorSpec;
    passwordChangedConcurrently: ErrorSpec;
  };
  /** The key password attempts against `identifier` are counted under. */
  logInKey(ipAddress: string | null, identifier: string): string;
  /** What log-in knows the account by (its email, else its phone): its attempts' identifier. */
  identifierOf(account: A): string;
  /** The pool's name in rate-limit keys: "platform" or the project id. */
  readonly limitScope: string;
  findById(executor: Executor, id: string): Promise<A | null>;
  findByEmail(executor: Executor, email: string): Promise<A | null>;
  /**
   * Locks what the flow's transaction changes, in the one order every flow uses (the project
   * row, then the account row), and returns the account as it stands.
   */
  lock(tx: Executor, id: string): Promise<A | null>;
  /** Applies `changes` if the row still has `expected` (null: it was not there). */
  update(
    tx: Executor,
    id: string,
    changes: AccountChanges,
    expected?: Partial<Pick<Account, "passwordHash">>,
  ): Promise<A | null>;
  /** The pool's CONFLICT for a unique violation on the email, or null for any other error. */
  conflictOf(error: unknown): AppError | null;
  passwordProblems(
    field: string,
    password: string,
    account: Pick<Account, "email" | "fullName">,
  ): FieldProblem[];
  /** Why this account may not sign in now (locked, a blocked status), or null. */
  refusal(account: A): Refusal | null;
  /** Unverified emails cannot log in. */
  readonly requireVerifiedEmail: boolean;
  readonly mail: {
    /** The name the messages carry. */
    productName: string;
    /** Where the links point; null when the pool cannot send mail (a project without appUrl). */
    linkBase: string | null;
  };
}

/** Why an account may not sign in: the error it gets and the reason the audit trail keeps. */
export interface Refusal {
  error: ErrorSpec;
  reason: string;
}

export const MailErrors = {
  NO_APP_URL: {
    code: "FAILED_PRECONDITION",
    message:
      "This project cannot send mail yet: its staff set the project's appUrl (where the links " +
      "in its messages point) with updateProject",
  },
} as const satisfies Record<string, ErrorSpec>;

async function first<T>(query: Promise<T[]>): Promise<T | null> {
  return (await query)[0] ?? null;
}

function byEmail(column: PgColumn, email: string): SQL {
  return eq(sql`lower(${column})`, normaliseEmail(email));
}

/** The platform's pool: every platform user, the platform audience, APP_URL. */
export function platformPool(options: {
  appUrl: string;
  requireVerifiedEmail: boolean;
}): AccountPool<UserRow> {
  return {
    scope: "platform",
    audience: PLATFORM_AUDIENCE,
    owner: (userId) => ({ userId }),
    auditScope: (userId) => ({ actorUserId: userId, targetId: userId }),
    actions: {
      passwordChanged: AuditActions.USER_PASSWORD_CHANGED,
      passwordReset: AuditActions.USER_PASSWORD_RESET,
      emailVerified: AuditActions.USER_EMAIL_VERIFIED,
      emailChanged: AuditActions.USER_EMAIL_CHANGED,
      loggedOut: AuditActions.SESSION_REVOKED,
    },
    errors: {
      emailTaken: AuthErrors.EMAIL_TAKEN,
      wrongCurrentPassword: AuthErrors.WRONG_CURRENT_PASSWORD,
      passwordChangedConcurrently: AuthErrors.PASSWORD_CHANGED_CONCURRENTLY,
    },
    logInKey,
    identifierOf: (user) => user.email,
    limitScope: "platform",
    findById: (executor, id) => first(executor.select().from(users).where(eq(users.id, id))),
    findByEmail: (executor, email) =>
      first(executor.select().from(users).where(byEmail(users.email, email))),
    lock: (tx, id) => first(tx.select().from(users).where(eq(users.id, id)).for("update")),
    update: (tx, id, changes, expected) =>
      first(
        tx
          .update(users)
          .set(changes)
          .where(
            and(
              eq(users.id, id),
              expected?.passwordHash ? eq(users.passwordHash, expected.passwordHash) : undefined,
            ),
          )
          .returning(),
      ),
    conflictOf: (error) =>
      isUniqueViolation(error, "users_email_lower_key")
        ? new AppError(AuthErrors.EMAIL_TAKEN, {
            fields: [{ field: "email", message: "is already registered" }],
          })
        : null,
    passwordProblems: (field, password, account) =>
      checkPlatformPassword(field, password, account.email ?? "", account.fullName),
    refusal: (user) =>
      user.lockedAt ? { error: AuthErrors.ACCOUNT_LOCKED, reason: "locked" } : null,
    requireVerifiedEmail: options.requireVerifiedEmail,
    mail: { productName: "Gatehouse", linkBase: options.appUrl },
  };
}

export interface OpenedProject {
  project: ProjectRow;
  passwordPolicy: PasswordPolicyRow | null;
  projectPolicy: ProjectPolicyRow | null;
}

/** One project's pool, as its project and policies stand now. */
export function projectPool(opened: OpenedProject): AccountPool<EndUserRow> {
  const { project, passwordPolicy, projectPolicy } = opened;
  const projectId = project.id;
  const inProject = (condition: SQL) => and(eq(endUsers.projectId, projectId), condition);
  return {
    scope: { projectId },
    audience: projectAudience(projectId),
    owner: (endUserId) => ({ endUserId, projectId }),
    auditScope: (endUserId) => ({
      actorEndUserId: endUserId,
      organizationId: project.organizationId,
      projectId,
      targetId: endUserId,
    }),
    actions: {
      passwordChanged: AuditActions.END_USER_PASSWORD_CHANGED,
      passwordReset: AuditActions.END_USER_PASSWORD_RESET,
      emailVerified: AuditActions.END_USER_EMAIL_VERIFIED,
      emailChanged: AuditActions.END_USER_EMAIL_CHANGED,
      loggedOut: AuditActions.END_USER_LOGGED_OUT,
    },
    errors: {
      emailTaken: EndUserErrors.EMAIL_TAKEN,
      wrongCurrentPassword: EndUserErrors.WRONG_CURRENT_PASSWORD,
      passwordChangedConcurrently: EndUserErrors.PASSWORD_CHANGED_CONCURRENTLY,
    },
    logInKey: (ip, identifier) => endUserLogInKey(projectId, ip, identifier),
    identifierOf: (endUser) => endUser.email ?? endUser.phone ?? endUser.id,
    limitScope: projectId,
    findById: (executor, id) =>
      first(
        executor
          .select()
          .from(endUsers)
          .where(inProject(eq(endUsers.id, id))),
      ),
    findByEmail: (executor, email) =>
      first(
        executor
          .select()
          .from(endUsers)
          .where(inProject(byEmail(endUsers.email, email))),
      ),
    async lock(tx, id) {
      // The project row first (KEY SHARE: a deletion waits, a rename does not), as sign-up and
      // log-in do, so no flow and a project deletion can deadlock.
      await tx
        .select({ id: projects.id })
        .from(projects)
        .where(eq(projects.id, projectId))
        .for("key share");
      return first(
        tx
          .select()
          .from(endUsers)
          .where(inProject(eq(endUsers.id, id)))
          .for("update"),
      );
    },
    update: (tx, id, changes, expected) =>
      first(
        tx
          .update(endUsers)
          .set(changes)
          .where(
            and(
              inProject(eq(endUsers.id, id)),
              expected?.passwordHash ? eq(endUsers.passwordHash, expected.passwordHash) : undefined,
            ),
          )
          .returning(),
      ),
    conflictOf: (error) =>
      isUniqueViolation(error, "end_users_project_email_key")
        ? new AppError(EndUserErrors.EMAIL_TAKEN, {
            fields: [{ field: "email", message: "is already registered in this project" }],
          })
        : null,
    passwordProblems: (field, password, account) =>
      checkPasswordRules(field, password, passwordPolicy ?? DEFAULT_PASSWORD_RULES, account),
    refusal: (endUser) =>
      isBlockedStatus(endUser.status, projectPolicy)
        ? { error: EndUserErrors.BLOCKED, reason: "blocked" }
        : null,
    requireVerifiedEmail: projectPolicy?.requireVerifiedEmail ?? false,
    mail: { productName: project.name, linkBase: project.appUrl ?? null },
  };
}

/** The pool of `projectId`, or NOT_FOUND. */
export async function loadProjectPool(
  executor: Executor,
  projectId: string,
): Promise<AccountPool<EndUserRow>> {
  const opened = await loadProjectWithPolicies(executor, projectId);
  if (!opened) throw new AppError(ProjectErrors.NOT_FOUND);
  return projectPool(opened);
}
