/**
 * End users as project staff manage them: role and status within the project policy, their
 * sessions, deletion. Each change locks the project's organization and re-checks the actor
 * under that lock (`project.end_users.manage`), like every tenancy change, and writes its
 * audit event in the same transaction.
 */
import { and, eq } from "drizzle-orm";
import type { Database, Executor } from "../../db/connection";
import { endUsers, projectPolicies, sessions, type EndUserRow } from "../../db/schema/index";
import { AppError, invalidInput, type FieldProblem } from "../../errors";
import { ProjectPermission } from "../../auth/permissions";
import { endSessions, liveSessionCondition, type SessionService } from "../../auth/sessions";
import { checkLabel } from "../../validation";
import { AuditActions, type AuditEventInput, type AuditService } from "../audit/audit.service";
import type { Actor } from "../organizations/organizations.service";
import { loadProjectWithPolicies } from "../policies/policies.service";
import { lockProject } from "../projects/projects.guards";
import { isBlockedStatus, notBlockedCondition } from "../policies/blocked-statuses";
import type { EndUserViewer } from "./end-user-auth.service";
import { EndUserErrors } from "./end-users.errors";

export interface EndUsersService {
  /** The end user and session behind an access token of `projectId`, if both still stand. */
  findViewer(
    endUserId: string,
    sessionId: string,
    projectId: string,
  ): Promise<EndUserViewer | null>;
  update(
    actor: Actor,
    projectId: string,
    id: string,
    change: { role?: string | null; status?: string | null },
  ): Promise<EndUserRow>;
  delete(actor: Actor, projectId: string, id: string): Promise<void>;
  /** Ends every live session of the end user; returns how many ended. */
  revokeSessions(actor: Actor, projectId: string, id: string): Promise<number>;
}

async function findInProject(tx: Executor, projectId: string, id: string): Promise<EndUserRow> {
  const [row] = await tx
    .select()
    .from(endUsers)
    .where(and(eq(endUsers.id, id), eq(endUsers.projectId, projectId)))
    .for("update");
  // An end user of another project is not found here, exactly like one that does not exist.
  if (!row) throw new AppError(EndUserErrors.NOT_FOUND);
  return row;
}

/** "" clears the value; anything else must be a label the policy allows (when it lists any). */
function checkedValue(
  field: "role" | "status",
  value: string,
  allowed: string[],
  problems: FieldProblem[],
): string | null {
  const trimmed = value.trim();
  if (trimmed === "") return null;
  const problem = checkLabel(field, trimmed);
  if (problem) problems.push(problem);
  else if (allowed.length > 0 && !allowed.includes(trimmed)) {
    problems.push({ field, message: `must be one of: ${allowed.join(", ")}` });
  }
  return trimmed;
}

export function createEndUsersService(deps: {
  db: Database;
  audit: AuditService;
  sessions: SessionService;
  now?: () => Date;
}): EndUsersService {
  const { db, audit } = deps;
  const now = deps.now ?? (() => new Date());

  /** Runs `run` on the end user, with the organization locked and the actor re-checked. */
  async function withEndUser<T>(
    actor: Actor,
    projectId: string,
    id: string,
    run: (tx: Executor, endUser: EndUserRow, common: Omit<AuditEventInput, "action">) => Promise<T>,
  ): Promise<T> {
    return db.transaction(async (tx) => {
      const project = await lockProject(
        tx,
        projectId,
        actor.userId,
        ProjectPermission.MANAGE_END_USERS,
      );
      const endUser = await findInProject(tx, projectId, id);
      return run(tx, endUser, {
        actorUserId: actor.userId,
        organizationId: project.organizationId,
        projectId,
        targetId: id,
        meta: actor.meta,
      });
    });
  }

  return {
    async findViewer(endUserId, sessionId, projectId) {
      const [row] = await db
        .select({ endUser: endUsers, session: sessions })
        .from(sessions)
        .innerJoin(endUsers, eq(endUsers.id, sessions.endUserId))
        .leftJoin(projectPolicies, eq(projectPolicies.projectId, endUsers.projectId))
        .where(
          and(
            eq(sessions.id, sessionId),
            eq(sessions.endUserId, endUserId),
            eq(sessions.projectId, projectId),
            eq(endUsers.projectId, projectId),
            liveSessionCondition(now()),
            // A blocked status refuses the token at once, whatever raced the revocation.
            notBlockedCondition(),
          ),
        );
      return row ?? null;
    },

    async update(actor, projectId, id, change) {
      return withEndUser(actor, projectId, id, async (tx, endUser, common) => {
        const found = await loadProjectWithPolicies(tx, projectId);
        const policy = found?.projectPolicy ?? null;
        const problems: FieldProblem[] = [];
        const role =
          change.role == null
            ? endUser.role
            : checkedValue("role", change.role, policy?.roles ?? [], problems);
        const status =
          change.status == null
            ? endUser.status
            : checkedValue("status", change.status, policy?.statuses ?? [], problems);
        if (problems.length > 0) throw invalidInput(problems);
        if (role === endUser.role && status === endUser.status) return endUser;

        const [updated] = await tx
          .update(endUsers)
          .set({ role, status, updatedAt: now() })
          .where(eq(endUsers.id, id))
          .returning();
        if (!updated) throw new Error("End user vanished under lock");
        const events: AuditEventInput[] = [];
        if (role !== endUser.role) {
          events.push({
            ...common,
            action: AuditActions.END_USER_ROLE_CHANGED,
            metadata: { from: endUser.role, to: role },
          });
        }
        if (status !== endUser.status) {
          // A blocked status ends the end user's sessions now, not when their tokens expire.
          const ended = isBlockedStatus(status, policy)
            ? await deps.sessions.revokeAllOf({ endUserId: id, projectId }, "revoked", {
                executor: tx,
              })
            : [];
          events.push({
            ...common,
            action: AuditActions.END_USER_STATUS_CHANGED,
            metadata: { from: endUser.status, to: status, sessionsEnded: ended.length },
          });
        }
        await audit.recordMany(events, tx);
        return updated;
      });
    },

    async delete(actor, projectId, id) {
      await withEndUser(actor, projectId, id, async (tx, endUser, common) => {
        // Its sessions end here, then go with it (ON DELETE CASCADE).
        const owner = { endUserId: id, projectId };
        await endSessions(tx, { owner }, "end_user_deleted", now());
        await tx.delete(endUsers).where(eq(endUsers.id, id));
        await audit.record(
          {
            ...common,
            action: AuditActions.END_USER_DELETED,
            metadata: { email: endUser.email, phone: endUser.phone },
          },
          tx,
        );
      });
    },

    async revokeSessions(actor, projectId, id) {
      return withEndUser(actor, projectId, id, async (tx, _endUser, common) => {
        const ended = await deps.sessions.revokeAllOf({ endUserId: id, projectId }, "revoked", {
          executor: tx,
        });
        await audit.record(
          {
            ...common,
            action: AuditActions.END_USER_SESSIONS_REVOKED,
            metadata: { sessionsEnded: ended.length },
          },
          tx,
        );
        return ended.length;
      });
    },
  };
}
