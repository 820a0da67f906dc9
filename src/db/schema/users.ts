import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

export const platformRole = pgEnum("platform_role", ["USER", "ADMIN"]);

/** Platform users: the operator's team. End users live in their own per-project tables. */
export const users = pgTable(
  "users",
  {
    id: uuid().primaryKey().defaultRandom(),
    email: text().notNull(),
    fullName: text().notNull(),
    phone: text(),
    passwordHash: text().notNull(),
    platformRole: platformRole().notNull().default("USER"),
    emailVerified: boolean().notNull().default(false),
    mfaEnabled: boolean().notNull().default(false),
    avatarKey: text(),
    lockedAt: timestamp({ withTimezone: true }),
    failedLogInCount: integer().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Emails are unique case-insensitively; the index is what makes concurrent sign-ups race-free.
    uniqueIndex("users_email_lower_key").on(sql`lower(${t.email})`),
    index("users_created_at_idx").on(t.createdAt, t.id),
  ],
);

export type UserRow = typeof users.$inferSelect;
