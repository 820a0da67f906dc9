/**
 * End users authenticating as themselves, in one project's pool and under its policies: that
 * pool's door onto the account flows (src/modules/accounts/: sign-up, log-in, refresh, log-out,
 * password change — the same code as the platform's). What is the project's own is here: sign-up
 * input under the project policy (email or phone, roles, statuses), log-in by email or phone, the
 * locks on the project and its policies, and the profile.
 */
import { and, eq } from "drizzle-orm";
import { AuditActions, type AuditRecorder, type RequestMeta } from "../../audit/audit-log";
import type { IssuedAccessToken } from "../../auth/access-tokens";
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
import { AppError, invalidInput, presentProblems, type FieldProblem } from "../../errors";
import { checkEmail, checkFullName, checkPasswordLength, checkPhone } from "../../validation";
import type { AccountFlows } from "../accounts/account-flows";
import { loadProjectPool, projectPool } from "../accounts/account-pool";
import type { SignedIn, SignInFlows } from "../accounts/sign-in-flows";
import { checkPasswordRules, DEFAULT_PASSWORD_RULES } from "../policies/password-rules";
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
    ...checkPasswordRules("password", input.password, passwordPolicy ?? DEFAULT_PASSWORD_RULES, {
      email,
      fullName: input.fullName,
    }),
  );
  const invalid = presentProblems(problems);
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
  audit: AuditRecorder;
  signIn: SignInFlows;
  flows: AccountFlows;
  now?: () => Date;
}): EndUserAuthService {
  const { db, audit, signIn, flows } = deps;
  const now = deps.now ?? (() => new Date());

  const asResult = ({ account, ...rest }: SignedIn<EndUserRow>): EndUserAuthResult => ({
    endUser: account,
    ...rest,
  });

  /** The project and its policies, read before the slow hashing to refuse early. */
  async function openProject(projectId: string, needsPasswordPolicy: boolean) {
    return requireOpen(await loadProjectWithPolicies(db, projectId), needsPasswordPolicy);
  }

  function conflictOf(error: unknown): AppError | null {
    if (isUniqueViolation(error, "end_users_project_phone_key")) {
      return new AppError(EndUserErrors.PHONE_TAKEN, {
        fields: [{ field: "phone", message: "is already registered in this project" }],
      });
    }
    if (isUniqueViolation(error, "end_users_project_email_key")) {
      return new AppError(EndUserErrors.EMAIL_TAKEN, {
        fields: [{ field: "email", message: "is already registered in this project" }],
      });
    }
    return null;
  }

  return {
    async signUp(projectId, input, meta) {
      const opened = await openProject(projectId, true);
      try {
        const signedIn = await signIn.signUp(
          projectPool(opened),
          {
            password: input.password,
            // Checked before hashing (refuse early), and again under the policies' lock, so a
            // policy change that commits meanwhile is the one that counts.
            check: async () => {
              checkSignUp(input, opened);
              return [];
            },
            async insert(tx, passwordHash, at) {
              const values = checkSignUp(input, await lockOpenProject(tx, projectId, true));
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
              return endUser;
            },
            action: AuditActions.END_USER_SIGNED_UP,
            metadata: { authMethod: input.authMethod },
          },
          meta,
        );
        return asResult(signedIn);
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
      const invalid = presentProblems(problems);
      if (invalid.length > 0) throw invalidInput(invalid);

      const opened = await openProject(projectId, false);
      const method = email ? "EMAIL" : "PHONE";
      if (!opened.projectPolicy.authMethods.includes(method)) {
        throw invalidInput([
          {
            field: email ? "email" : "phone",
            message: `this project does not accept log-in by ${method}`,
          },
        ]);
      }
      const pool = projectPool(opened);
      const signedIn = await signIn.logIn(
        pool,
        {
          problems: [],
          password: input.password,
          identifier: { field: email ? "email" : "phone", value: (email ?? phone) as string },
          find: async (executor) =>
            email
              ? pool.findByEmail(executor, email)
              : ((
                  await executor
                    .select()
                    .from(endUsers)
                    .where(
                      and(eq(endUsers.projectId, projectId), eq(endUsers.phone, phone as string)),
                    )
                )[0] ?? null),
          async lockForLogIn(tx, id) {
            // Under the policies' lock (a status blocked meanwhile counts), then the end user's
            // row lock, which orders this log-in against a concurrent password change or block.
            const locked = await lockOpenProject(tx, projectId, false);
            const [current] = await tx
              .select()
              .from(endUsers)
              .where(eq(endUsers.id, id))
              .for("update");
            return current
              ? { account: current, refusal: projectPool(locked).refusal(current) }
              : null;
          },
          async recordLogIn(tx, account, rehash, at) {
            const [updated] = await tx
              .update(endUsers)
              .set({ lastLogInAt: at, ...(rehash ? { passwordHash: rehash } : {}) })
              .where(eq(endUsers.id, account.id))
              .returning();
            return updated ?? account;
          },
          actions: {
            succeeded: AuditActions.END_USER_LOGIN_SUCCEEDED,
            failed: AuditActions.END_USER_LOGIN_FAILED,
          },
          invalidCredentials: EndUserErrors.INVALID_CREDENTIALS,
        },
        meta,
      );
      return asResult(signedIn);
    },

    async refresh(projectId, refreshToken, meta) {
      const pool = await loadProjectPool(db, projectId).catch(() => {
        throw new AppError(EndUserErrors.INVALID_CREDENTIALS);
      });
      return asResult(
        await signIn.refresh(pool, refreshToken, meta, EndUserErrors.INVALID_CREDENTIALS),
      );
    },

    async logOut(session, meta) {
      if (!session.projectId) return false;
      const pool = await loadProjectPool(db, session.projectId);
      return signIn.logOut(pool, session, session.endUserId, meta);
    },

    async changePassword({ endUser, session }, input, meta) {
      const pool = await loadProjectPool(db, endUser.projectId);
      await flows.changePassword(pool, { account: endUser, session }, input, meta);
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
