/**
 * Projects and their members. A project belongs to one organization; its member changes lock
 * the organization row like organization membership changes do, so a member cannot get a
 * project role while being removed from the organization.
 */
import { and, eq } from "drizzle-orm";
import type { Database, Executor } from "../../db/connection";
import {
  projectMembers,
  projects,
  type ProjectMemberRow,
  type ProjectRow,
} from "../../db/schema/index";
import { AppError, invalidInput, type FieldProblem } from "../../errors";
import {
  OrganizationPermission,
  ProjectPermission,
  type MembershipStatus,
  type ProjectRole,
} from "../../auth/permissions";
import { checkDescription, checkName } from "../../validation";
import { AuditActions, membershipChangeEvents, type AuditService } from "../audit/audit.service";
import {
  authorizeInOrganization,
  findMembership,
  lockOrganization,
} from "../organizations/organizations.guards";
import type { Actor } from "../organizations/organizations.service";
import { normaliseAppUrl, type AppUrlOptions } from "./app-url";
import { ProjectErrors } from "./projects.errors";
import { lockProject } from "./projects.guards";
import { endSessions } from "../../auth/sessions";

export interface ProjectInput {
  name?: string | null;
  description?: string | null;
  /** `""` clears it; null or absent leaves it as it is. */
  appUrl?: string | null;
}

export interface ProjectsService {
  create(
    actor: Actor,
    organizationId: string,
    input: { name: string; description?: string | null; appUrl?: string | null },
  ): Promise<ProjectRow>;
  update(actor: Actor, id: string, input: ProjectInput): Promise<ProjectRow>;
  delete(actor: Actor, id: string): Promise<void>;
  addMember(
    actor: Actor,
    projectId: string,
    userId: string,
    role: ProjectRole,
  ): Promise<ProjectMemberRow>;
  updateMember(
    actor: Actor,
    projectId: string,
    userId: string,
    change: { role?: ProjectRole | null; status?: MembershipStatus | null },
  ): Promise<ProjectMemberRow>;
  removeMember(actor: Actor, projectId: string, userId: string): Promise<void>;
}

/** Every problem of `input`, and its app URL as stored (undefined: not given). */
function validateProject(
  input: ProjectInput,
  urlOptions: AppUrlOptions,
): { problems: FieldProblem[]; appUrl: string | null | undefined } {
  const problems: FieldProblem[] = [];
  let appUrl: string | null | undefined;
  if (input.name != null) {
    const problem = checkName("name", input.name);
    if (problem) problems.push(problem);
  }
  if (input.description != null) {
    const problem = checkDescription("description", input.description);
    if (problem) problems.push(problem);
  }
  if (input.appUrl != null) {
    const checked = normaliseAppUrl("appUrl", input.appUrl, urlOptions);
    if (checked.problem) problems.push(checked.problem);
    else appUrl = checked.value;
  }
  return { problems, appUrl };
}

/** An empty description clears it. */
const descriptionValue = (value: string) => (value.trim() === "" ? null : value.trim());

async function findProjectMember(tx: Executor, projectId: string, userId: string) {
  const [row] = await tx
    .select()
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
  return row ?? null;
}

export function createProjectsService(deps: {
  db: Database;
  audit: AuditService;
  now?: () => Date;
  /** http://localhost and http://127.0.0.1 as app URLs: `!config.isProduction`. */
  allowInsecureLocalhost?: boolean;
}): ProjectsService {
  const { db, audit } = deps;
  const now = deps.now ?? (() => new Date());
  const urlOptions: AppUrlOptions = {
    allowInsecureLocalhost: deps.allowInsecureLocalhost ?? false,
  };

  return {
    async create(actor, organizationId, input) {
      const { problems, appUrl } = validateProject(input, urlOptions);
      if (problems.length > 0) throw invalidInput(problems);
      return db.transaction(async (tx) => {
        await lockOrganization(tx, organizationId);
        await authorizeInOrganization(
          tx,
          organizationId,
          actor.userId,
          OrganizationPermission.CREATE_PROJECT,
        );
        const at = now();
        const [project] = await tx
          .insert(projects)
          .values({
            organizationId,
            name: input.name.trim(),
            description: input.description ? descriptionValue(input.description) : null,
            appUrl: appUrl ?? null,
            createdAt: at,
            updatedAt: at,
          })
          .returning();
        if (!project) throw new Error("Project insert returned nothing");
        await tx.insert(projectMembers).values({
          projectId: project.id,
          userId: actor.userId,
          role: "MANAGER",
          createdAt: at,
          updatedAt: at,
        });
        await audit.record(
          {
            action: AuditActions.PROJECT_CREATED,
            actorUserId: actor.userId,
            organizationId,
            projectId: project.id,
            targetId: project.id,
            metadata: project.appUrl
              ? { name: project.name, appUrl: project.appUrl }
              : { name: project.name },
            meta: actor.meta,
          },
          tx,
        );
        return project;
      });
    },

    async update(actor, id, input) {
      const { problems, appUrl } = validateProject(input, urlOptions);
      if (problems.length > 0) throw invalidInput(problems);
      const changes: Partial<ProjectRow> = {};
      if (input.name != null) changes.name = input.name.trim();
      if (input.description !== undefined) {
        changes.description =
          input.description === null ? null : descriptionValue(input.description);
      }
      if (appUrl !== undefined) changes.appUrl = appUrl;
      return db.transaction(async (tx) => {
        const current = await lockProject(tx, id, actor.userId, ProjectPermission.UPDATE);
        if (Object.keys(changes).length === 0) return current;
        const [updated] = await tx
          .update(projects)
          .set({ ...changes, updatedAt: now() })
          .where(eq(projects.id, id))
          .returning();
        if (!updated) throw new AppError(ProjectErrors.NOT_FOUND);
        await audit.record(
          {
            action: AuditActions.PROJECT_UPDATED,
            actorUserId: actor.userId,
            organizationId: current.organizationId,
            projectId: id,
            targetId: id,
            // Where end users' mail links point is security-relevant: the log keeps both ends.
            metadata:
              "appUrl" in changes
                ? {
                    fields: Object.keys(changes),
                    appUrl: { from: current.appUrl, to: changes.appUrl },
                  }
                : { fields: Object.keys(changes) },
            meta: actor.meta,
          },
          tx,
        );
        return updated;
      });
    },

    async delete(actor, id) {
      await db.transaction(async (tx) => {
        const project = await lockProject(tx, id, actor.userId, ProjectPermission.DELETE);
        // Its end users' sessions end here; members and everything else beneath the project go
        // with it (ON DELETE CASCADE).
        await endSessions(tx, { projectId: id }, "project_deleted", now());
        await tx.delete(projects).where(eq(projects.id, id));
        await audit.record(
          {
            action: AuditActions.PROJECT_DELETED,
            actorUserId: actor.userId,
            organizationId: project.organizationId,
            projectId: id,
            targetId: id,
            metadata: { name: project.name },
            meta: actor.meta,
          },
          tx,
        );
      });
    },

    async addMember(actor, projectId, userId, role) {
      return db.transaction(async (tx) => {
        const project = await lockProject(
          tx,
          projectId,
          actor.userId,
          ProjectPermission.MANAGE_MEMBERS,
        );
        const organizationMember = await findMembership(tx, project.organizationId, userId);
        if (organizationMember?.status !== "ACTIVE") {
          throw new AppError(ProjectErrors.NOT_IN_ORGANIZATION);
        }
        if (await findProjectMember(tx, projectId, userId)) {
          throw new AppError(ProjectErrors.ALREADY_MEMBER);
        }
        const at = now();
        const [member] = await tx
          .insert(projectMembers)
          .values({ projectId, userId, role, createdAt: at, updatedAt: at })
          .returning();
        if (!member) throw new Error("Project member insert returned nothing");
        await audit.record(
          {
            action: AuditActions.PROJECT_MEMBER_ADDED,
            actorUserId: actor.userId,
            organizationId: project.organizationId,
            projectId,
            targetId: userId,
            metadata: { role },
            meta: actor.meta,
          },
          tx,
        );
        return member;
      });
    },

    async updateMember(actor, projectId, userId, change) {
      return db.transaction(async (tx) => {
        const project = await lockProject(
          tx,
          projectId,
          actor.userId,
          ProjectPermission.MANAGE_MEMBERS,
        );
        const member = await findProjectMember(tx, projectId, userId);
        if (!member) throw new AppError(ProjectErrors.MEMBER_NOT_FOUND);
        const role = change.role ?? member.role;
        const status = change.status ?? member.status;
        if (role === member.role && status === member.status) return member;
        if (member.userId === actor.userId && status === "SUSPENDED") {
          throw new AppError(ProjectErrors.SELF_SUSPENSION);
        }
        const [updated] = await tx
          .update(projectMembers)
          .set({ role, status, updatedAt: now() })
          .where(eq(projectMembers.id, member.id))
          .returning();
        if (!updated) throw new Error("Project member vanished under lock");
        await audit.recordMany(
          membershipChangeEvents(
            {
              role: AuditActions.PROJECT_MEMBER_ROLE_CHANGED,
              status: AuditActions.PROJECT_MEMBER_STATUS_CHANGED,
            },
            member,
            { role, status },
            {
              actorUserId: actor.userId,
              organizationId: project.organizationId,
              projectId,
              targetId: userId,
              meta: actor.meta,
            },
          ),
          tx,
        );
        return updated;
      });
    },

    async removeMember(actor, projectId, userId) {
      await db.transaction(async (tx) => {
        const project = await lockProject(
          tx,
          projectId,
          actor.userId,
          ProjectPermission.MANAGE_MEMBERS,
        );
        const member = await findProjectMember(tx, projectId, userId);
        if (!member) throw new AppError(ProjectErrors.MEMBER_NOT_FOUND);
        await tx.delete(projectMembers).where(eq(projectMembers.id, member.id));
        await audit.record(
          {
            action: AuditActions.PROJECT_MEMBER_REMOVED,
            actorUserId: actor.userId,
            organizationId: project.organizationId,
            projectId,
            targetId: userId,
            metadata: { role: member.role },
            meta: actor.meta,
          },
          tx,
        );
      });
    },
  };
}
