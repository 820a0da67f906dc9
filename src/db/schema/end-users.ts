import { sql } from "drizzle-orm";
import {
  boolean,
  check,
  foreignKey,
  index,
  integer,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { projects } from "./tenancy";

// Millisecond precision wherever a keyset cursor may carry the value (see tenancy.ts).
const moment = () => timestamp({ withTimezone: true, precision: 3 });

export const authType = pgEnum("auth_type", ["PASSWORD", "OAUTH", "TWO_FACTOR"]);
export const authMethod = pgEnum("auth_method", ["EMAIL", "PHONE", "GOOGLE", "GITHUB"]);

/** The password rules of one project's end users; at most one per project. */
export const passwordPolicies = pgTable(
  "password_policies",
  {
    id: uuid().primaryKey().defaultRandom(),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" })
      .unique("password_policies_project_id_key"),
    minLength: integer().notNull(),
    maxLength: integer().notNull(),
    requireNumbers: boolean().notNull(),
    requireUppercase: boolean().notNull(),
    requireSpecialChars: boolean().notNull(),
    /** Refuse the most common passwords and ones built from the account's email or name. */
    rejectCommonPasswords: boolean().notNull().default(true),
    createdAt: moment().notNull().defaultNow(),
    updatedAt: moment().notNull().defaultNow(),
  },
  (t) => [
    check("password_policies_lengths", sql`${t.minLength} <= ${t.maxLength}`),
    // The target of project_policies' (password policy, project) key.
    unique("password_policies_id_project_key").on(t.id, t.projectId),
  ],
);

/**
 * How one project's end users sign up and log in. It references the project's password policy
 * (NO ACTION, checked at the end of each statement: the policy cannot go while this row names
 * it, yet deleting the project removes both), which is what makes the setup order
 * "password policy, then project policy" a fact of the database, not only of the service.
 */
export const projectPolicies = pgTable(
  "project_policies",
  {
    id: uuid().primaryKey().defaultRandom(),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" })
      .unique("project_policies_project_id_key"),
    passwordPolicyId: uuid().notNull(),
    authRequired: boolean().notNull(),
    authType: authType().notNull(),
    authMethods: authMethod().array().notNull(),
    phoneRequired: boolean().notNull(),
    /** Allowed end-user roles and statuses; empty means any. */
    roles: text().array().notNull(),
    statuses: text().array().notNull(),
    /** What end users may choose for themselves at sign-up (subsets of the above). */
    selfAssignableRoles: text().array().notNull(),
    selfAssignableStatuses: text().array().notNull(),
    /** Statuses that cannot log in; setting one on an end user ends their sessions. */
    blockedStatuses: text().array().notNull(),
    defaultRole: text(),
    defaultStatus: text(),
    /** An unverified email cannot log in (FAILED_PRECONDITION, reason EMAIL_NOT_VERIFIED). */
    requireVerifiedEmail: boolean().notNull().default(false),
    createdAt: moment().notNull().defaultNow(),
    updatedAt: moment().notNull().defaultNow(),
  },
  (t) => [
    // The password policy of the same project: a policy can only reference its own project's.
    foreignKey({
      name: "project_policies_password_policy_fk",
      columns: [t.passwordPolicyId, t.projectId],
      foreignColumns: [passwordPolicies.id, passwordPolicies.projectId],
    }).onDelete("no action"),
  ],
);

/** A project's customers: one pool per project, never mixed with platform users. */
export const endUsers = pgTable(
  "end_users",
  {
    id: uuid().primaryKey().defaultRandom(),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    email: text(),
    /** E.164. */
    phone: text(),
    fullName: text().notNull(),
    passwordHash: text().notNull(),
    emailVerified: boolean().notNull().default(false),
    mfaEnabled: boolean().notNull().default(false),
    avatarKey: text(),
    role: text(),
    status: text(),
    lastLogInAt: moment(),
    createdAt: moment().notNull().defaultNow(),
    updatedAt: moment().notNull().defaultNow(),
  },
  (t) => [
    // Uniqueness per project, case-insensitive for email: these make concurrent sign-ups race-free.
    uniqueIndex("end_users_project_email_key")
      .on(t.projectId, sql`lower(${t.email})`)
      .where(sql`${t.email} is not null`),
    uniqueIndex("end_users_project_phone_key")
      .on(t.projectId, t.phone)
      .where(sql`${t.phone} is not null`),
    index("end_users_project_created_at_idx").on(t.projectId, t.createdAt, t.id),
    check("end_users_identifier", sql`${t.email} is not null or ${t.phone} is not null`),
    // The target of sessions' (end user, project) key.
    unique("end_users_id_project_key").on(t.id, t.projectId),
  ],
);

export type PasswordPolicyRow = typeof passwordPolicies.$inferSelect;
export type ProjectPolicyRow = typeof projectPolicies.$inferSelect;
export type EndUserRow = typeof endUsers.$inferSelect;
export type AuthTypeValue = (typeof authType.enumValues)[number];
export type AuthMethodValue = (typeof authMethod.enumValues)[number];
