import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/** Append-only record of security-relevant actions. Ids are kept as plain values, not foreign
 * keys, so the trail survives the deletion of what it mentions. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: uuid().primaryKey().defaultRandom(),
    // Millisecond precision, like every column a keyset cursor carries.
    at: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    action: text().notNull(),
    actorUserId: uuid(),
    actorEndUserId: uuid(),
    organizationId: uuid(),
    projectId: uuid(),
    targetId: uuid(),
    ipAddress: text(),
    userAgent: text(),
    metadata: jsonb().$type<Record<string, unknown>>(),
  },
  (t) => [
    index("audit_events_actor_user_id_at_idx").on(t.actorUserId, t.at),
    index("audit_events_target_id_at_idx").on(t.targetId, t.at),
    index("audit_events_action_at_idx").on(t.action, t.at),
    index("audit_events_organization_id_at_idx").on(t.organizationId, t.at, t.id),
    index("audit_events_project_id_at_idx").on(t.projectId, t.at, t.id),
  ],
);

export type AuditEventRow = typeof auditEvents.$inferSelect;
