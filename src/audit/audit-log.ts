/**
 * The audit log's write side: the action names and the recorder every layer writes through,
 * security primitives (sessions) included. It sits below the feature modules, which know it;
 * it knows none of them. Reading the log is the audit module's (src/modules/audit/).
 */
import type { Executor } from "../db/connection";
import { auditEvents } from "../db/schema/index";

/** Every action name the audit log can hold, in one place. */
export const AuditActions = {
  USER_SIGNED_UP: "user.signed_up",
  USER_LOGIN_SUCCEEDED: "user.login.succeeded",
  USER_LOGIN_FAILED: "user.login.failed",
  USER_PASSWORD_CHANGED: "user.password_changed",
  USER_PASSWORD_REHASHED: "user.password_rehashed",
  USER_PROFILE_UPDATED: "user.profile_updated",
  USER_PLATFORM_ROLE_CHANGED: "user.platform_role_changed",
  SESSION_REVOKED: "session.revoked",
  SESSION_REUSE_DETECTED: "session.reuse_detected",
  ORG_CREATED: "org.created",
  ORG_UPDATED: "org.updated",
  ORG_DELETED: "org.deleted",
  ORG_MEMBER_ADDED: "org.member.added",
  ORG_MEMBER_ROLE_CHANGED: "org.member.role_changed",
  ORG_MEMBER_STATUS_CHANGED: "org.member.status_changed",
  ORG_MEMBER_REMOVED: "org.member.removed",
  ORG_OWNERSHIP_TRANSFERRED: "org.ownership_transferred",
  ORG_INVITATION_SENT: "org.invitation.sent",
  ORG_INVITATION_ACCEPTED: "org.invitation.accepted",
  ORG_INVITATION_REVOKED: "org.invitation.revoked",
  PROJECT_CREATED: "project.created",
  PROJECT_UPDATED: "project.updated",
  PROJECT_DELETED: "project.deleted",
  PROJECT_MEMBER_ADDED: "project.member.added",
  PROJECT_MEMBER_ROLE_CHANGED: "project.member.role_changed",
  PROJECT_MEMBER_STATUS_CHANGED: "project.member.status_changed",
  PROJECT_MEMBER_REMOVED: "project.member.removed",
  PASSWORD_POLICY_CREATED: "project.password_policy.created",
  PASSWORD_POLICY_UPDATED: "project.password_policy.updated",
  PASSWORD_POLICY_DELETED: "project.password_policy.deleted",
  PROJECT_POLICY_CREATED: "project.policy.created",
  PROJECT_POLICY_UPDATED: "project.policy.updated",
  PROJECT_POLICY_DELETED: "project.policy.deleted",
  END_USER_SIGNED_UP: "end_user.signed_up",
  END_USER_LOGIN_SUCCEEDED: "end_user.login.succeeded",
  END_USER_LOGIN_FAILED: "end_user.login.failed",
  END_USER_LOGGED_OUT: "end_user.logged_out",
  END_USER_PASSWORD_CHANGED: "end_user.password_changed",
  END_USER_PROFILE_UPDATED: "end_user.profile_updated",
  END_USER_ROLE_CHANGED: "end_user.role_changed",
  END_USER_STATUS_CHANGED: "end_user.status_changed",
  END_USER_SESSIONS_REVOKED: "end_user.sessions_revoked",
  END_USER_DELETED: "end_user.deleted",
  USER_EMAIL_VERIFIED: "user.email_verified",
  USER_PASSWORD_RESET: "user.password_reset",
  USER_EMAIL_CHANGED: "user.email_changed",
  END_USER_EMAIL_VERIFIED: "end_user.email_verified",
  END_USER_PASSWORD_RESET: "end_user.password_reset",
  END_USER_EMAIL_CHANGED: "end_user.email_changed",
} as const;
export type AuditAction = (typeof AuditActions)[keyof typeof AuditActions];

/** Who did it and from where; taken from the request by the resolver. */
export interface RequestMeta {
  ipAddress: string | null;
  userAgent: string | null;
}

export interface AuditEventInput {
  action: AuditAction;
  actorUserId?: string | null;
  actorEndUserId?: string | null;
  organizationId?: string | null;
  projectId?: string | null;
  targetId?: string | null;
  metadata?: Record<string, unknown>;
  meta?: RequestMeta;
}

export interface AuditRecorder {
  /** Writes through `executor` so the event commits or rolls back with the change it records. */
  record(event: AuditEventInput, executor?: Executor): Promise<void>;
  recordMany(events: AuditEventInput[], executor?: Executor): Promise<void>;
}

function toRow(event: AuditEventInput, at: Date): typeof auditEvents.$inferInsert {
  return {
    at,
    action: event.action,
    actorUserId: event.actorUserId ?? null,
    actorEndUserId: event.actorEndUserId ?? null,
    organizationId: event.organizationId ?? null,
    projectId: event.projectId ?? null,
    targetId: event.targetId ?? null,
    ipAddress: event.meta?.ipAddress ?? null,
    userAgent: event.meta?.userAgent ?? null,
    metadata: event.metadata ?? null,
  };
}

export function createAuditRecorder(
  db: Executor,
  now: () => Date = () => new Date(),
): AuditRecorder {
  return {
    async record(event, executor = db) {
      await executor.insert(auditEvents).values(toRow(event, now()));
    },
    async recordMany(events, executor = db) {
      const at = now();
      if (events.length > 0)
        await executor.insert(auditEvents).values(events.map((e) => toRow(e, at)));
    },
  };
}
