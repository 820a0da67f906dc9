import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

/**
 * A session is one refresh-token family: it starts at log-in and ends at log-out, revocation,
 * reuse detection, or expiry. Its id is the `sid` claim of every access token it mints, so
 * revoking the row refuses those access tokens at once.
 */
export const sessions = pgTable(
  "sessions",
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
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
  (t) => [index("refresh_tokens_session_id_idx").on(t.sessionId)],
);

export type SessionRow = typeof sessions.$inferSelect;
