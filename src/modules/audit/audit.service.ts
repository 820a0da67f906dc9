import type { Executor } from "../../db/connection";
import { auditEvents } from "../../db/schema/index";

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
  targetId?: string | null;
  metadata?: Record<string, unknown>;
  meta?: RequestMeta;
}

export interface AuditService {
  /** Writes through `executor` so the event commits or rolls back with the change it records. */
  record(event: AuditEventInput, executor?: Executor): Promise<void>;
  recordMany(events: AuditEventInput[], executor?: Executor): Promise<void>;
}

function toRow(event: AuditEventInput): typeof auditEvents.$inferInsert {
  return {
    action: event.action,
    actorUserId: event.actorUserId ?? null,
    targetId: event.targetId ?? null,
    ipAddress: event.meta?.ipAddress ?? null,
    userAgent: event.meta?.userAgent ?? null,
    metadata: event.metadata ?? null,
  };
}

export function createAuditService(db: Executor): AuditService {
  return {
    async record(event, executor = db) {
      await executor.insert(auditEvents).values(toRow(event));
    },
    async recordMany(events, executor = db) {
      if (events.length > 0) await executor.insert(auditEvents).values(events.map(toRow));
    },
  };
}
