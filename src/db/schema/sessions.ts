import { sql } from "drizzle-orm";
import { check, foreignKey, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { endUsers } from "./end-users";
import { projects } from "./tenancy";
import { users } from "./users";

/**
 * A session is one refresh-token family: it starts at log-in and ends at log-out, revocation,
 * reuse detection, or expiry. Its id is the `sid` claim of every access token it mints, so
 * revoking the row refuses those access tokens at once.
 *
 * A session belongs either to a platform user or to an end user of one project, never both:
 * the project is kept on the row so every exchange can check it is used where it was issued,
 * and deleting the end user or the project deletes its sessions (and so refuses its tokens).
 */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid().references(() => users.id, { onDelete: "cascade" }),
    endUserId: uuid(),
    projectId: uuid().references(() => projects.id, { onDelete: "cascade" }),
    // Millisecond precision: sessions are listed with keyset cursors (JavaScript dates).
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    lastUsedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** Absolute end of the family; refreshing never moves it. */
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    /** Sliding end: last use plus the idle lifetime. */
    idleExpiresAt: timestamp({ withTimezone: true }).notNull(),
    revokedAt: timestamp({ withTimezone: true }),
    revokedReason: text(),
    ipAddress: text(),
    userAgent: text(),
  },
  (t) => [
    index("sessions_user_id_created_at_idx").on(t.userId, t.createdAt, t.id),
    index("sessions_end_user_id_created_at_idx").on(t.endUserId, t.createdAt, t.id),
    // An end user's session belongs to that end user's project, as a fact of the database.
    foreignKey({
      name: "sessions_end_user_fk",
      columns: [t.endUserId, t.projectId],
      foreignColumns: [endUsers.id, endUsers.projectId],
    }).onDelete("cascade"),
    check(
      "sessions_one_owner",
      sql`(${t.userId} is not null and ${t.endUserId} is null and ${t.projectId} is null) or (${t.userId} is null and ${t.endUserId} is not null and ${t.projectId} is not null)`,
    ),
    index("sessions_expires_at_idx").on(t.expiresAt),
  ],
);

/**
 * Every refresh token a family has issued, stored only as a SHA-256 hash. A token is live
 * until it is used once; a used token presented again after the grace interval is reuse.
 */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: uuid().primaryKey().defaultRandom(),
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    tokenHash: text().notNull().unique(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** When this token was exchanged for its successor; null while it is the live one. */
    usedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index("refresh_tokens_session_id_idx").on(t.sessionId),
    // A session's live token(s), found on every rotation without walking its used chain.
    index("refresh_tokens_live_by_session_idx")
      .on(t.sessionId)
      .where(sql`${t.usedAt} is null`),
  ],
);

export type SessionRow = typeof sessions.$inferSelect;
