import { sql } from "drizzle-orm";
import {
  check,
  foreignKey,
  index,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { endUsers } from "./end-users";
import { projects } from "./tenancy";
import { users } from "./users";

export const accountTokenPurpose = pgEnum("account_token_purpose", [
  "EMAIL_VERIFICATION",
  "PASSWORD_RESET",
  "EMAIL_CHANGE",
]);

/**
 * Single-use tokens mailed to an account: verification, password reset, email change. Only
 * the SHA-256 of the 256-bit token is kept. Like sessions, a row belongs to a platform user or
 * to an end user of one project (the composite key keeps the end user in that project).
 */
export const accountTokens = pgTable(
  "account_tokens",
  {
    id: uuid().primaryKey().defaultRandom(),
    purpose: accountTokenPurpose().notNull(),
    userId: uuid().references(() => users.id, { onDelete: "cascade" }),
    endUserId: uuid(),
    projectId: uuid().references(() => projects.id, { onDelete: "cascade" }),
    tokenHash: text().notNull().unique("account_tokens_token_hash_key"),
    /** The address the token was mailed to: the new address of an email change. */
    email: text().notNull(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    usedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("account_tokens_user_purpose_idx").on(t.userId, t.purpose),
    index("account_tokens_end_user_purpose_idx").on(t.endUserId, t.purpose),
    foreignKey({
      name: "account_tokens_end_user_fk",
      columns: [t.endUserId, t.projectId],
      foreignColumns: [endUsers.id, endUsers.projectId],
    }).onDelete("cascade"),
    check(
      "account_tokens_one_owner",
      sql`(${t.userId} is not null and ${t.endUserId} is null and ${t.projectId} is null) or (${t.userId} is null and ${t.endUserId} is not null and ${t.projectId} is not null)`,
    ),
  ],
);

export type AccountTokenRow = typeof accountTokens.$inferSelect;
export type AccountTokenPurpose = (typeof accountTokenPurpose.enumValues)[number];
