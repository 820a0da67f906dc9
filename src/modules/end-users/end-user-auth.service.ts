/**
 * End users authenticating as themselves, in one project's pool and under its policies:
 * sign-up, log-in (by email or phone), refresh, log-out, profile and password change. The same
 * machinery as platform users (Argon2id, rotating refresh tokens with reuse detection, sessions
 * checked live on every request), with the project as the token audience and session scope.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Database, Executor } from "../../db/connection";
import { isUniqueViolation } from "../../db/errors";
import {
  endUsers,
  passwordPolicies,
  projectPolicies,
  projects,
  type EndUserRow,
  type PasswordPolicyRow,
  type ProjectPolicyRow,
  type ProjectRow,
  type SessionRow,
} from "../../db/schema/index";
import { AppError, invalidInput, type ErrorSpec, type FieldProblem } from "../../errors";
import {
  projectAudience,
  type AccessTokens,
  type IssuedAccessToken,
} from "../../auth/access-tokens";
import type { PasswordHasher } from "../../auth/passwords";
import { endUserLogInKey, type RateLimits } from "../../auth/rate-limits";
import { sessionEndsAt, type SessionService } from "../../auth/sessions";
import {
  checkEmail,
  checkFullName,
  checkPasswordLength,
  checkPhone,
  normaliseEmail,
} from "../../validation";
import { AuditActions, type AuditService, type RequestMeta } from "../audit/audit.service";
import { checkPasswordRules, DEFAULT_PASSWORD_RULES } from "../policies/password-rules";
import { isBlockedStatus } from "../policies/blocked-statuses";
import { loadProjectWithPolicies } from "../policies/policies.service";
import { ProjectErrors } from "../projects/projects.errors";
import { EndUserErrors } from "./end-users.errors";

export interface EndUserViewer {
  endUser: EndUserRow;
  session: SessionRow;
}

export interface EndUserAuthResult extends EndUserViewer {
  accessToken: IssuedAccessToken;
  refreshToken: string;
  refreshExpiresAt: Date;
}

export type EndUserAuthMethod = "EMAIL" | "PHONE" | "GOOGLE" | "GITHUB";

export interface EndUserSignUpInput {
  fullName: string;
  email?: string | null;
  phone?: string | null;
  password: string;
  authMethod: EndUserAuthMethod;
  role?: string | null;
  status?: string | null;
}

export interface EndUserLogInInput {
  email?: string | null;
  phone?: string | null;
  password: string;
}

export interface EndUserAuthService {
  signUp(
    projectId: string,
    input: EndUserSignUpInput,
    meta: RequestMeta,
  ): Promise<EndUserAuthResult>;
  logIn(projectId: string, input: EndUserLogInInput, meta: RequestMeta): Promise<EndUserAuthResult>;
  refresh(projectId: string, refreshToken: string, meta: RequestMeta): Promise<EndUserAuthResult>;
  /** Ends one session; false when there was none to end. */
  logOut(session: SessionRow, meta: RequestMeta): Promise<boolean>;
  changePassword(
    viewer: EndUserViewer,
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void>;
  updateProfile(
    viewer: EndUserViewer,
    input: { fullName?: string | null; phone?: string | null },
    meta: RequestMeta,
  ): Promise<EndUserRow>;
}

interface OpenProject {
  project: ProjectRow;
  passwordPolicy: PasswordPolicyRow | null;
  projectPolicy: ProjectPolicyRow;
}

/** Sign-up needs both policies, log-in the project policy; the errors say which is missing. */
function requireOpen(
  found: {
    project: ProjectRow;
    passwordPolicy: PasswordPolicyRow | null;
    projectPolicy: ProjectPolicyRow | null;
  } | null,
  needsPasswordPolicy: boolean,
): OpenProject {
  if (!found) throw new AppError(ProjectErrors.NOT_FOUND);
  if (needsPasswordPolicy && !found.passwordPolicy) {
    throw new AppError(EndUserErrors.NO_PASSWORD_POLICY);
  }
  if (!found.projectPolicy) throw new AppError(EndUserErrors.NO_PROJECT_POLICY);
  return { ...found, projectPolicy: found.projectPolicy };
}

/**
 * The same inside a transaction, with locks that order it against changes: the project row
 * (KEY SHARE: deleting the project waits, renaming it does not) before anything else, so a
 * sign-up or log-in and a project deletion cannot deadlock; the policy rows (SHARE), so a policy
 * change commits before this reads it or waits until this commits.
 */
async function lockOpenProject(
  tx: Executor,
  projectId: string,
  needsPasswordPolicy: boolean,
): Promise<OpenProject> {
  const [project] = await tx
    .select()
    .from(projects)
    .where(eq(projects.id, projectId))
    .for("key share");
  if (!project) return requireOpen(null, needsPasswordPolicy);
  const [passwordPolicy] = await tx
    .select()
    .from(passwordPolicies)
    .where(eq(passwordPolicies.projectId, projectId))
    .for("share");
  const [projectPolicy] = await tx
    .select()
    .from(projectPolicies)
    .where(eq(projectPolicies.projectId, projectId))
    .for("share");
  return requireOpen(
    { project, passwordPolicy: passwordPolicy ?? null, projectPolicy: projectPolicy ?? null },
    needsPasswordPolicy,
  );
}

/** The sign-up input under the project's policies: the end user's values, or BAD_USER_INPUT
 * with every broken rule. */
function checkSignUp(
  input: EndUserSignUpInput,
  { passwordPolicy, projectPolicy: policy }: OpenProject,
) {
  const email = input.email?.trim() || null;
  const phone = input.phone?.trim() || null;
  const problems: (FieldProblem | null)[] = [checkFullName("fullName", input.fullName)];

  if (!policy.authMethods.includes(input.authMethod)) {
    problems.push({
      field: "authMethod",
      message: `is not accepted by this project (it accepts ${policy.authMethods.join(", ")})`,
    });
  } else if (input.authMethod !== "EMAIL" && input.authMethod !== "PHONE") {
    problems.push({
      field: "authMethod",
      message: `${input.authMethod} accounts are not created with a password`,
    });
  }
  if (email) problems.push(checkEmail("email", email));
  else if (input.authMethod === "EMAIL") {
    problems.push({ field: "email", message: "is required to sign up with EMAIL" });
  }
  if (phone) problems.push(checkPhone("phone", phone));
  else if (input.authMethod === "PHONE") {
    problems.push({ field: "phone", message: "is required to sign up with PHONE" });
  } else if (policy.phoneRequired) {
    problems.push({ field: "phone", message: "is required by this project" });
  }
  const role = input.role?.trim() || null;
  if (role !== null && !policy.selfAssignableRoles.includes(role)) {
    problems.push({ field: "role", message: "is not a role end users may choose here" });
  }
  const status = input.status?.trim() || null;
  if (status !== null && !policy.selfAssignableStatuses.includes(status)) {
    problems.push({ field: "status", message: "is not a status end users may choose here" });
  }
  // The policy's maxLength is at most the hard limit, so this also bounds the hashing input.
  problems.push(
    ...checkPasswordRules("password", input.password, passwordPolicy ?? DEFAULT_PASSWORD_RULES),
  );
  const invalid = problems.filter((p): p is FieldProblem => p !== null);
  if (invalid.length > 0) throw invalidInput(invalid);
  return {
    email,
    phone,
    fullName: input.fullName.trim(),
    role: role ?? policy.defaultRole,
    status: status ?? policy.defaultStatus,
  };
}

export function createEndUserAuthService(deps: {
  db: Database;
  passwords: PasswordHasher;
  sessions: SessionService;
  accessTokens: AccessTokens;
  audit: AuditService;
  rateLimits: RateLimits;
  now?: () => Date;
}): EndUserAuthService {
  const { db, passwords, sessions, accessTokens, audit, rateLimits } = deps;
  const now = deps.now ?? (() => new Date());

  async function complete(
    endUser: EndUserRow,
    session: SessionRow,
    refreshToken: string,
  ): Promise<EndUserAuthResult> {
    const accessToken = await accessTokens.issue({
      subject: endUser.id,
      sessionId: session.id,
      audience: projectAudience(endUser.projectId),
    });
    return {
      endUser,
      session,
      accessToken,
      refreshToken,
      refreshExpiresAt: sessionEndsAt(session),
    };
  }

  /** The project and its policies, read before the slow hashing to refuse early. */
  async function openProject(projectId: string, needsPasswordPolicy: boolean) {
    return requireOpen(await loadProjectWithPolicies(db, projectId), needsPasswordPolicy);
  }

  function auditScope(project: Pick<ProjectRow, "id" | "organizationId">) {
    return { organizationId: project.organizationId, projectId: project.id };
  }

  function conflictOf(error: unknown): AppError | null {
    if (isUniqueViolation(error, "end_users_project_email_key")) {
      return new AppError(EndUserErrors.EMAIL_TAKEN, {
        fields: [{ field: "email", message: "is already registered in this project" }],
      });
    }
    if (isUniqueViolation(error, "end_users_project_phone_key")) {
      return new AppError(EndUserErrors.PHONE_TAKEN, {
        fields: [{ field: "phone", message: "is already registered in this project" }],
      });
    }
    return null;
  }

  return {
    async signUp(projectId, input, meta) {
      // Checked before hashing (refuse early), and again under the policies' lock, so a policy
      // change that commits meanwhile is the one that counts.
      checkSignUp(input, await openProject(projectId, true));
      const passwordHash = await passwords.hash(input.password);
      try {
        const { endUser, started } = await db.transaction(async (tx) => {
          const opened = await lockOpenProject(tx, projectId, true);
          const { project } = opened;
          const values = checkSignUp(input, opened);
          const at = now();
          const [endUser] = await tx
            .insert(endUsers)
            .values({
              projectId,
              ...values,
              passwordHash,
              lastLogInAt: at,
              createdAt: at,
              updatedAt: at,
            })
            .returning();
          if (!endUser) throw new Error("End user insert returned nothing");
          const started = await sessions.start({ endUserId: endUser.id, projectId }, meta, tx);
          await audit.record(
            {
              action: AuditActions.END_USER_SIGNED_UP,
              actorEndUserId: endUser.id,
              ...auditScope(project),
              targetId: endUser.id,
              metadata: { authMethod: input.authMethod },
              meta,
            },
            tx,
          );
          return { endUser, started };
        });
        return complete(endUser, started.session, started.refreshToken);
      } catch (error) {
        throw conflictOf(error) ?? error;
      }
    },

    async logIn(projectId, input, meta) {
      const email = input.email?.trim() || null;
      const phone = input.phone?.trim() || null;
      // Oversized or malformed input says nothing about any account: refuse it before any work.
      const problems: (FieldProblem | null)[] = [checkPasswordLength("password", input.password)];
      if ((email === null) === (phone === null)) {
        problems.push({ field: email ? "phone" : "email", message: "give either email or phone" });
      }
      if (email) problems.push(checkEmail("email", email));
      if (phone) problems.push(checkPhone("phone", phone));
      const invalid = problems.filter((p): p is FieldProblem => p !== null);
      if (invalid.length > 0) throw invalidInput(invalid);

      const { project, projectPolicy: policy } = await openProject(projectId, false);
      const method = email ? "EMAIL" : "PHONE";
      if (!policy.authMethods.includes(method)) {
        throw invalidInput([
          {
            field: email ? "email" : "phone",
            message: `this project does not accept log-in by ${method}`,
          },
        ]);
      }
      const identifier = (email ?? phone) as string;
      const limitKey = endUserLogInKey(projectId, meta.ipAddress, identifier);
      await rateLimits.consumeLogInAttempt(limitKey);

      const [endUser] = await db
        .select()
        .from(endUsers)
        .where(
          and(
            eq(endUsers.projectId, projectId),
            email
              ? eq(sql`lower(${endUsers.email})`, normaliseEmail(email))
              : eq(endUsers.phone, phone as string),
          ),
        );
      // Unknown identifiers are verified against a dummy hash: both failures cost the same time.
      const ok = await passwords.verify(endUser?.passwordHash ?? null, input.password);
      const failed = async (
        reason: string,
        spec: ErrorSpec = EndUserErrors.INVALID_CREDENTIALS,
      ) => {
        await audit.record({
          action: AuditActions.END_USER_LOGIN_FAILED,
          actorEndUserId: endUser?.id ?? null,
          ...auditScope(project),
          targetId: endUser?.id ?? null,
          metadata: { [email ? "email" : "phone"]: identifier.slice(0, 254), reason },
          meta,
        });
        return new AppError(spec);
      };
      if (!ok || !endUser) throw await failed("invalid_credentials");
      // Only a caller who knows the password learns that the account is blocked.
      if (isBlockedStatus(endUser.status, policy)) {
        throw await failed("blocked", EndUserErrors.BLOCKED);
      }

      const verifiedHash = endUser.passwordHash;
      const rehash = passwords.needsRehash(verifiedHash)
        ? await passwords.hash(input.password)
        : null;
      const outcome = await db.transaction(async (tx) => {
        // Under the policies' lock (a status blocked meanwhile counts), then the end user's row
        // lock, which orders this log-in against a concurrent password change or block.
        const locked = await lockOpenProject(tx, projectId, false);
        const [current] = await tx
          .select()
          .from(endUsers)
          .where(eq(endUsers.id, endUser.id))
          .for("update");
        if (!current || current.passwordHash !== verifiedHash) return null;
        if (isBlockedStatus(current.status, locked.projectPolicy)) return "blocked" as const;
        const [updated] = await tx
          .update(endUsers)
          .set({ lastLogInAt: now(), ...(rehash ? { passwordHash: rehash } : {}) })
          .where(eq(endUsers.id, endUser.id))
          .returning();
        const started = await sessions.start({ endUserId: endUser.id, projectId }, meta, tx);
        await audit.record(
          {
            action: AuditActions.END_USER_LOGIN_SUCCEEDED,
            actorEndUserId: endUser.id,
            ...auditScope(project),
            targetId: started.session.id,
            meta,
          },
          tx,
        );
        return { endUser: updated ?? current, started };
      });
      if (outcome === null) throw await failed("password_changed");
      if (outcome === "blocked") throw await failed("blocked", EndUserErrors.BLOCKED);
      await rateLimits.resetLogIn(limitKey);
      return complete(outcome.endUser, outcome.started.session, outcome.started.refreshToken);
    },

    async refresh(projectId, refreshToken, meta) {
      const started = await sessions.refresh(refreshToken, meta, { projectId });
      const found = await loadProjectWithPolicies(db, projectId);
      const [endUser] = started.session.endUserId
        ? await db.select().from(endUsers).where(eq(endUsers.id, started.session.endUserId))
        : [];
      if (!endUser || !found) throw new AppError(EndUserErrors.INVALID_CREDENTIALS);
      if (isBlockedStatus(endUser.status, found.projectPolicy)) {
        await sessions.revoke(started.session.id, "revoked");
        throw new AppError(EndUserErrors.BLOCKED);
      }
      return complete(endUser, started.session, started.refreshToken);
    },

    async logOut(session, meta) {
      return db.transaction(async (tx) => {
        const ended = await sessions.revoke(session.id, "logout", tx);
        if (ended?.projectId) {
          const found = await loadProjectWithPolicies(tx, ended.projectId);
          await audit.record(
            {
              action: AuditActions.END_USER_LOGGED_OUT,
              actorEndUserId: ended.endUserId,
              organizationId: found?.project.organizationId ?? null,
              projectId: ended.projectId,
              targetId: ended.id,
              meta,
            },
            tx,
          );
        }
        return ended !== null;
      });
    },

    async changePassword({ endUser, session }, input, meta) {
      const found = await loadProjectWithPolicies(db, endUser.projectId);
      const rules = found?.passwordPolicy ?? DEFAULT_PASSWORD_RULES;
      const problems = [
        checkPasswordLength("currentPassword", input.currentPassword),
        ...checkPasswordRules("newPassword", input.newPassword, rules),
      ].filter((p): p is FieldProblem => p !== null);
      if (problems.length > 0) throw invalidInput(problems);
      const limitKey = endUserLogInKey(
        endUser.projectId,
        meta.ipAddress,
        endUser.email ?? endUser.phone ?? endUser.id,
      );
      await rateLimits.consumeLogInAttempt(limitKey);
      const verifiedHash = endUser.passwordHash;
      if (!(await passwords.verify(verifiedHash, input.currentPassword))) {
        throw new AppError(EndUserErrors.WRONG_CURRENT_PASSWORD, {
          fields: [{ field: "currentPassword", message: "is not correct" }],
        });
      }
      const passwordHash = await passwords.hash(input.newPassword);
      await db.transaction(async (tx) => {
        // Only over the hash we verified: two concurrent changes cannot both win.
        const [updated] = await tx
          .update(endUsers)
          .set({ passwordHash, updatedAt: now() })
          .where(and(eq(endUsers.id, endUser.id), eq(endUsers.passwordHash, verifiedHash)))
          .returning({ id: endUsers.id });
        if (!updated) throw new AppError(EndUserErrors.PASSWORD_CHANGED_CONCURRENTLY);
        const ended = await sessions.revokeAllOf(
          { endUserId: endUser.id, projectId: endUser.projectId },
          "password_changed",
          { exceptSessionId: session.id, executor: tx },
        );
        await audit.record(
          {
            action: AuditActions.END_USER_PASSWORD_CHANGED,
            actorEndUserId: endUser.id,
            organizationId: found?.project.organizationId ?? null,
            projectId: endUser.projectId,
            targetId: endUser.id,
            metadata: { sessionsEnded: ended.length },
            meta,
          },
          tx,
        );
      });
      await rateLimits.resetLogIn(limitKey);
    },

    async updateProfile({ endUser }, input, meta) {
      const found = await loadProjectWithPolicies(db, endUser.projectId);
      const problems: FieldProblem[] = [];
      const changes: Partial<EndUserRow> = {};
      if (input.fullName != null) {
        const problem = checkFullName("fullName", input.fullName);
        if (problem) problems.push(problem);
        else changes.fullName = input.fullName.trim();
      }
      if (input.phone !== undefined) {
        // An empty string or null clears the phone number, unless the account needs it.
        const phone = input.phone?.trim() || null;
        if (phone !== null) {
          const problem = checkPhone("phone", phone);
          if (problem) problems.push(problem);
          else changes.phone = phone;
        } else if (found?.projectPolicy?.phoneRequired) {
          problems.push({ field: "phone", message: "is required by this project" });
        } else if (endUser.email === null) {
          problems.push({ field: "phone", message: "is this account's only identifier" });
        } else changes.phone = null;
      }
      if (problems.length > 0) throw invalidInput(problems);
      if (Object.keys(changes).length === 0) return endUser;
      try {
        return await db.transaction(async (tx) => {
          const [updated] = await tx
            .update(endUsers)
            .set({ ...changes, updatedAt: now() })
            .where(eq(endUsers.id, endUser.id))
            .returning();
          if (!updated) throw new AppError(EndUserErrors.NOT_FOUND);
          await audit.record(
            {
              action: AuditActions.END_USER_PROFILE_UPDATED,
              actorEndUserId: endUser.id,
              organizationId: found?.project.organizationId ?? null,
              projectId: endUser.projectId,
              targetId: endUser.id,
              metadata: { fields: Object.keys(changes) },
              meta,
            },
            tx,
          );
          return updated;
        });
      } catch (error) {
        throw conflictOf(error) ?? error;
      }
    },
  };
}
