import { and, eq, type SQL } from "drizzle-orm";
import type { Executor } from "../../db/connection";
import { keysetPage } from "../../db/keyset";
import { auditEvents, type AuditEventRow } from "../../db/schema/index";
import type { Page, PageRequest } from "../../pagination";
import {
  createAuditRecorder,
  type AuditAction,
  type AuditEventInput,
  type AuditRecorder,
} from "../../audit/audit-log";

export {
  AuditActions,
  type AuditAction,
  type AuditEventInput,
  type RequestMeta,
} from "../../audit/audit-log";

export interface AuditService extends AuditRecorder {
  /** Newest first. Exactly the events of one organization (its projects' included) or project;
   * with neither, every event. Who may read which is decided by the caller's rules. */
  list(
    filter: { organizationId?: string | null; projectId?: string | null; action?: string | null },
    page: PageRequest,
  ): Promise<Page<AuditEventRow>>;
}

export function createAuditService(db: Executor, now: () => Date = () => new Date()): AuditService {
  return {
    ...createAuditRecorder(db, now),
    async list(filter, page) {
      const conditions: SQL[] = [];
      if (filter.organizationId)
        conditions.push(eq(auditEvents.organizationId, filter.organizationId));
      if (filter.projectId) conditions.push(eq(auditEvents.projectId, filter.projectId));
      if (filter.action) conditions.push(eq(auditEvents.action, filter.action));
      return keysetPage<AuditEventRow>(
        db,
        { table: auditEvents, at: auditEvents.at, id: auditEvents.id, direction: "desc" },
        and(...conditions),
        page,
      );
    },
  };
}

/** The audit events of a membership change: one for the role, one for the status, as changed,
 * each with the same actor, scope and target (`common`). */
export function membershipChangeEvents(
  actions: { role: AuditAction; status: AuditAction },
  before: { role: string; status: string },
  after: { role: string; status: string },
  common: Omit<AuditEventInput, "action" | "metadata">,
): AuditEventInput[] {
  const events: AuditEventInput[] = [];
  if (after.role !== before.role) {
    events.push({
      ...common,
      action: actions.role,
      metadata: { from: before.role, to: after.role },
    });
  }
  if (after.status !== before.status) {
    events.push({
      ...common,
      action: actions.status,
      metadata: { from: before.status, to: after.status },
    });
  }
  return events;
}
