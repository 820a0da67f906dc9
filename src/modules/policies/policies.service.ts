/**
 * A project's password policy and project policy. Staff with `project.policies.manage` change
 * them; each change locks the project's organization, re-checks the actor under that lock and
 * writes its audit event in the same transaction.
 *
 * Order: the password policy comes first, the project policy references it, and end users can
 * sign up once both exist. A referenced password policy cannot be deleted.
 */
import { eq } from "drizzle-orm";
import type { Database, Executor } from "../../db/connection";
import {
  passwordPolicies,
  projectPolicies,
  projects,
  type AuthMethodValue,
  type AuthTypeValue,
  type PasswordPolicyRow,
  type ProjectPolicyRow,
  type ProjectRow,
} from "../../db/schema/index";
import { AppError, invalidInput, type FieldProblem } from "../../errors";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../../auth/passwords";
import { ProjectPermission } from "../../auth/permissions";
import { checkLabel, LABEL_LIST_MAX } from "../../validation";
import { AuditActions, type AuditAction, type AuditService } from "../audit/audit.service";
import type { Actor } from "../organizations/organizations.service";
import { lockProject } from "../projects/projects.guards";
import { DEFAULT_BLOCKED_STATUSES, endSessionsWithStatuses } from "./blocked-statuses";
import { PolicyErrors } from "./policies.errors";

/** Never below these, for new and changed policies alike. */
export const POLICY_MIN_LENGTH_FLOOR = PASSWORD_MIN_LENGTH;
export const POLICY_MAX_LENGTH_FLOOR = 64;

export interface PasswordPolicyInput {
  minLength?: number | null;
  maxLength?: number | null;
  requireNumbers?: boolean | null;
  requireUppercase?: boolean | null;
  requireSpecialChars?: boolean | null;
  rejectCommonPasswords?: boolean | null;
}

export interface ProjectPolicyInput {
  authRequired?: boolean | null;
  authType?: AuthTypeValue | null;
  authMethods?: AuthMethodValue[] | null;
  phoneRequired?: boolean | null;
  roles?: string[] | null;
  statuses?: string[] | null;
  selfAssignableRoles?: string[] | null;
  selfAssignableStatuses?: string[] | null;
  blockedStatuses?: string[] | null;
  /** An empty string clears it. */
  defaultRole?: string | null;
  defaultStatus?: string | null;
  requireVerifiedEmail?: boolean | null;
}

type PasswordPolicyValues = Pick<
  PasswordPolicyRow,
  | "minLength"
  | "maxLength"
  | "requireNumbers"
  | "requireUppercase"
  | "requireSpecialChars"
  | "rejectCommonPasswords"
>;
type ProjectPolicyValues = Omit<
  ProjectPolicyRow,
  "id" | "projectId" | "passwordPolicyId" | "createdAt" | "updatedAt"
>;

const PASSWORD_DEFAULTS: PasswordPolicyValues = {
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  requireNumbers: false,
  requireUppercase: false,
  requireSpecialChars: false,
  rejectCommonPasswords: true,
};

const PROJECT_DEFAULTS: ProjectPolicyValues = {
  authRequired: true,
  authType: "PASSWORD",
  authMethods: ["EMAIL"],
  phoneRequired: false,
  roles: [],
  statuses: [],
  selfAssignableRoles: [],
  selfAssignableStatuses: [],
  blockedStatuses: [...DEFAULT_BLOCKED_STATUSES],
  defaultRole: null,
  defaultStatus: null,
  requireVerifiedEmail: false,
};

const PASSWORD_METHODS: readonly AuthMethodValue[] = ["EMAIL", "PHONE"];
const OAUTH_METHODS: readonly AuthMethodValue[] = ["GOOGLE", "GITHUB"];

/** Only the fields the input sets (null and undefined leave a field as it is). */
function given<T extends object>(input: T): Partial<{ [K in keyof T]: NonNullable<T[K]> }> {
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => value !== null && value !== undefined),
  ) as Partial<{ [K in keyof T]: NonNullable<T[K]> }>;
}

function validatePasswordPolicy(p: PasswordPolicyValues): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const between = (field: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push({ field, message: `must be a whole number from ${min} to ${max}` });
      return false;
    }
    return true;
  };
  const minOk = between("minLength", p.minLength, POLICY_MIN_LENGTH_FLOOR, PASSWORD_MAX_LENGTH);
  const maxOk = between("maxLength", p.maxLength, POLICY_MAX_LENGTH_FLOOR, PASSWORD_MAX_LENGTH);
  if (minOk && maxOk && p.minLength > p.maxLength) {
    problems.push({ field: "minLength", message: "must not exceed maxLength" });
  }
  return problems;
}

/** De-duplicated labels, each checked; problems name the list field. */
function labels(field: string, values: string[], problems: FieldProblem[]): string[] {
  const unique = [...new Set(values.map((v) => v.trim()))];
  if (unique.length > LABEL_LIST_MAX) {
    problems.push({ field, message: `must hold at most ${LABEL_LIST_MAX} values` });
  }
  for (const value of unique) {
    const problem = checkLabel(field, value);
    if (problem) {
      problems.push({ ...problem, message: `"${value.slice(0, 70)}" ${problem.message}` });
      break;
    }
  }
  return unique;
}

function normaliseProjectPolicy(p: ProjectPolicyValues): {
  values: ProjectPolicyValues;
  problems: FieldProblem[];
} {
  const problems: FieldProblem[] = [];
  const methods = [...new Set(p.authMethods)];
  const values: ProjectPolicyValues = {
    ...p,
    authMethods: methods,
    roles: labels("roles", p.roles, problems),
    statuses: labels("statuses", p.statuses, problems),
    selfAssignableRoles: labels("selfAssignableRoles", p.selfAssignableRoles, problems),
    selfAssignableStatuses: labels("selfAssignableStatuses", p.selfAssignableStatuses, problems),
    blockedStatuses: labels("blockedStatuses", p.blockedStatuses, problems),
    defaultRole: p.defaultRole?.trim() || null,
    defaultStatus: p.defaultStatus?.trim() || null,
  };

  if (methods.length === 0) problems.push({ field: "authMethods", message: "must not be empty" });
  const passwordMethods = methods.filter((m) => PASSWORD_METHODS.includes(m));
  const oauthMethods = methods.filter((m) => OAUTH_METHODS.includes(m));
  if (values.authType !== "OAUTH" && methods.length > 0 && passwordMethods.length === 0) {
    problems.push({
      field: "authMethods",
      message: `must include EMAIL or PHONE for authType ${values.authType}`,
    });
  }
  if (values.authType === "OAUTH" && oauthMethods.length === 0) {
    problems.push({ field: "authMethods", message: "must include GOOGLE or GITHUB for OAUTH" });
  }

  const within = (field: string, value: string | null, allowed: string[], what: string) => {
    if (value === null) return;
    const problem = checkLabel(field, value);
    if (problem) problems.push(problem);
    else if (allowed.length > 0 && !allowed.includes(value)) {
      problems.push({ field, message: `must be one of the allowed ${what}` });
    }
  };
  within("defaultRole", values.defaultRole, values.roles, "roles");
  within("defaultStatus", values.defaultStatus, values.statuses, "statuses");
  if (values.defaultStatus !== null && values.blockedStatuses.includes(values.defaultStatus)) {
    problems.push({
      field: "defaultStatus",
      message: "must not be a blocked status (new end users could not log in)",
    });
  }
  for (const role of values.selfAssignableRoles) {
    if (values.roles.length > 0 && !values.roles.includes(role)) {
      problems.push({ field: "selfAssignableRoles", message: `"${role}" is not an allowed role` });
    }
  }
  for (const status of values.selfAssignableStatuses) {
    if (values.statuses.length > 0 && !values.statuses.includes(status)) {
      problems.push({
        field: "selfAssignableStatuses",
        message: `"${status}" is not an allowed status`,
      });
    } else if (values.blockedStatuses.includes(status)) {
      problems.push({
        field: "selfAssignableStatuses",
        message: `"${status}" is a blocked status`,
      });
    }
  }
  return { values, problems };
}

function projectPolicyValues(row: ProjectPolicyRow): ProjectPolicyValues {
  const {
    id: _id,
    projectId: _p,
    passwordPolicyId: _pp,
    createdAt: _c,
    updatedAt: _u,
    ...rest
  } = row;
  return rest;
}

function newlyBlocked(before: readonly string[], after: readonly string[]): string[] {
  return after.filter((status) => !before.includes(status));
}

/** The names of the fields whose values differ, for the audit event. */
function changedFields<T extends object>(before: T, after: T): string[] {
  return (Object.keys(after) as (keyof T)[])
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map(String);
}

export interface PoliciesService {
  createPasswordPolicy(
    actor: Actor,
    projectId: string,
    input: PasswordPolicyInput,
  ): Promise<PasswordPolicyRow>;
  updatePasswordPolicy(
    actor: Actor,
    projectId: string,
    input: PasswordPolicyInput,
  ): Promise<PasswordPolicyRow>;
  deletePasswordPolicy(actor: Actor, projectId: string): Promise<void>;
  createProjectPolicy(
    actor: Actor,
    projectId: string,
    input: ProjectPolicyInput,
  ): Promise<ProjectPolicyRow>;
  updateProjectPolicy(
    actor: Actor,
    projectId: string,
    input: ProjectPolicyInput,
  ): Promise<ProjectPolicyRow>;
  deleteProjectPolicy(actor: Actor, projectId: string): Promise<void>;
}

async function findPasswordPolicy(tx: Executor, projectId: string) {
  const [row] = await tx
    .select()
    .from(passwordPolicies)
    .where(eq(passwordPolicies.projectId, projectId));
  return row ?? null;
}

async function findProjectPolicy(tx: Executor, projectId: string) {
  const [row] = await tx
    .select()
    .from(projectPolicies)
    .where(eq(projectPolicies.projectId, projectId));
  return row ?? null;
}

export function createPoliciesService(deps: {
  db: Database;
  audit: AuditService;
  now?: () => Date;
}): PoliciesService {
  const { db, audit } = deps;
  const now = deps.now ?? (() => new Date());

  /** Runs `change` on the locked project, then records `action` with what it returns. */
  async function change<T>(
    actor: Actor,
    projectId: string,
    action: AuditAction,
    run: (
      tx: Executor,
      project: ProjectRow,
    ) => Promise<{ result: T; metadata?: Record<string, unknown> }>,
  ): Promise<T> {
    return db.transaction(async (tx) => {
      const project = await lockProject(
        tx,
        projectId,
        actor.userId,
        ProjectPermission.MANAGE_POLICIES,
      );
      const { result, metadata } = await run(tx, project);
      await audit.record(
        {
          action,
          actorUserId: actor.userId,
          organizationId: project.organizationId,
          projectId,
          targetId: (result as { id?: string } | undefined)?.id ?? projectId,
          metadata,
          meta: actor.meta,
        },
        tx,
      );
      return result;
    });
  }

  return {
    async createPasswordPolicy(actor, projectId, input) {
      const values = { ...PASSWORD_DEFAULTS, ...given(input) };
      const problems = validatePasswordPolicy(values);
      if (problems.length > 0) throw invalidInput(problems);
      return change(actor, projectId, AuditActions.PASSWORD_POLICY_CREATED, async (tx) => {
        if (await findPasswordPolicy(tx, projectId)) {
          throw new AppError(PolicyErrors.PASSWORD_POLICY_EXISTS);
        }
        const at = now();
        const [row] = await tx
          .insert(passwordPolicies)
          .values({ projectId, ...values, createdAt: at, updatedAt: at })
          .returning();
        if (!row) throw new Error("Password policy insert returned nothing");
        return { result: row };
      });
    },

    async updatePasswordPolicy(actor, projectId, input) {
      return change(actor, projectId, AuditActions.PASSWORD_POLICY_UPDATED, async (tx) => {
        const current = await findPasswordPolicy(tx, projectId);
        if (!current) throw new AppError(PolicyErrors.NO_PASSWORD_POLICY);
        const before: PasswordPolicyValues = {
          minLength: current.minLength,
          maxLength: current.maxLength,
          requireNumbers: current.requireNumbers,
          requireUppercase: current.requireUppercase,
          requireSpecialChars: current.requireSpecialChars,
          rejectCommonPasswords: current.rejectCommonPasswords,
        };
        const values = { ...before, ...given(input) };
        const problems = validatePasswordPolicy(values);
        if (problems.length > 0) throw invalidInput(problems);
        const [row] = await tx
          .update(passwordPolicies)
          .set({ ...values, updatedAt: now() })
          .where(eq(passwordPolicies.id, current.id))
          .returning();
        if (!row) throw new Error("Password policy vanished under lock");
        return { result: row, metadata: { fields: changedFields(before, values) } };
      });
    },

    async deletePasswordPolicy(actor, projectId) {
      await change(actor, projectId, AuditActions.PASSWORD_POLICY_DELETED, async (tx) => {
        const current = await findPasswordPolicy(tx, projectId);
        if (!current) throw new AppError(PolicyErrors.NO_PASSWORD_POLICY);
        if (await findProjectPolicy(tx, projectId)) {
          throw new AppError(PolicyErrors.PASSWORD_POLICY_IN_USE);
        }
        await tx.delete(passwordPolicies).where(eq(passwordPolicies.id, current.id));
        return { result: current };
      });
    },

    async createProjectPolicy(actor, projectId, input) {
      const { values, problems } = normaliseProjectPolicy({ ...PROJECT_DEFAULTS, ...given(input) });
      if (problems.length > 0) throw invalidInput(problems);
      return change(actor, projectId, AuditActions.PROJECT_POLICY_CREATED, async (tx) => {
        if (await findProjectPolicy(tx, projectId)) {
          throw new AppError(PolicyErrors.PROJECT_POLICY_EXISTS);
        }
        const passwordPolicy = await findPasswordPolicy(tx, projectId);
        if (!passwordPolicy) throw new AppError(PolicyErrors.PASSWORD_POLICY_NEEDED);
        const at = now();
        const [row] = await tx
          .insert(projectPolicies)
          .values({
            projectId,
            passwordPolicyId: passwordPolicy.id,
            ...values,
            createdAt: at,
            updatedAt: at,
          })
          .returning();
        if (!row) throw new Error("Project policy insert returned nothing");
        // Without a policy the default statuses were blocked; any others listed now are new.
        const sessionsEnded = await endSessionsWithStatuses(
          tx,
          projectId,
          newlyBlocked(DEFAULT_BLOCKED_STATUSES, values.blockedStatuses),
          at,
        );
        return { result: row, metadata: { sessionsEnded } };
      });
    },

    async updateProjectPolicy(actor, projectId, input) {
      return change(actor, projectId, AuditActions.PROJECT_POLICY_UPDATED, async (tx) => {
        const current = await findProjectPolicy(tx, projectId);
        if (!current) throw new AppError(PolicyErrors.NO_PROJECT_POLICY);
        const before = projectPolicyValues(current);
        const { values, problems } = normaliseProjectPolicy({ ...before, ...given(input) });
        if (problems.length > 0) throw invalidInput(problems);
        const at = now();
        const [row] = await tx
          .update(projectPolicies)
          .set({ ...values, updatedAt: at })
          .where(eq(projectPolicies.id, current.id))
          .returning();
        if (!row) throw new Error("Project policy vanished under lock");
        // End users whose status has just become blocked lose their sessions now, as if each
        // had been given that status.
        const sessionsEnded = await endSessionsWithStatuses(
          tx,
          projectId,
          newlyBlocked(before.blockedStatuses, values.blockedStatuses),
          at,
        );
        return { result: row, metadata: { fields: changedFields(before, values), sessionsEnded } };
      });
    },

    async deleteProjectPolicy(actor, projectId) {
      await change(actor, projectId, AuditActions.PROJECT_POLICY_DELETED, async (tx) => {
        const current = await findProjectPolicy(tx, projectId);
        if (!current) throw new AppError(PolicyErrors.NO_PROJECT_POLICY);
        await tx.delete(projectPolicies).where(eq(projectPolicies.id, current.id));
        return { result: current };
      });
    },
  };
}

/** A project with its policies, as sign-up and log-in read them: one statement. */
export async function loadProjectWithPolicies(
  db: Executor,
  projectId: string,
): Promise<{
  project: ProjectRow;
  passwordPolicy: PasswordPolicyRow | null;
  projectPolicy: ProjectPolicyRow | null;
} | null> {
  const [row] = await db
    .select({ project: projects, passwordPolicy: passwordPolicies, projectPolicy: projectPolicies })
    .from(projects)
    .leftJoin(passwordPolicies, eq(passwordPolicies.projectId, projects.id))
    .leftJoin(projectPolicies, eq(projectPolicies.projectId, projects.id))
    .where(eq(projects.id, projectId));
  return row ?? null;
}
