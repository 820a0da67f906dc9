import { sql } from "drizzle-orm";
import { index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

export const organizationRole = pgEnum("organization_role", ["OWNER", "ADMIN", "MEMBER"]);
export const projectRole = pgEnum("project_role", ["MANAGER", "CONTRIBUTOR", "VIEWER"]);
export const membershipStatus = pgEnum("membership_status", ["ACTIVE", "SUSPENDED"]);

// Millisecond precision: keyset cursors carry JavaScript dates, which hold milliseconds, so a
// stored microsecond would make the row after a cursor compare equal to the cursor itself.
const moment = () => timestamp({ withTimezone: true, precision: 3 });

export const organizations = pgTable("organizations", {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull(),
  /** Lowercase [a-z0-9-], 3 to 48 characters; the constraint makes concurrent creates race-free. */
  slug: text().notNull().unique("organizations_slug_key"),
  createdAt: moment().notNull().defaultNow(),
  updatedAt: moment().notNull().defaultNow(),
});

export const organizationMembers = pgTable(
  "organization_members",
  {
    id: uuid().primaryKey().defaultRandom(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: organizationRole().notNull(),
    status: membershipStatus().notNull().default("ACTIVE"),
    /** When the user joined: the order members are listed in. */
    createdAt: moment().notNull().defaultNow(),
    updatedAt: moment().notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("organization_members_organization_user_key").on(t.organizationId, t.userId),
    index("organization_members_organization_created_at_idx").on(
      t.organizationId,
      t.createdAt,
      t.id,
    ),
    index("organization_members_user_id_idx").on(t.userId),
  ],
);

/** Pending, accepted and revoked invitations; the token is stored only as a SHA-256 hash. */
export const organizationInvitations = pgTable(
  "organization_invitations",
  {
    id: uuid().primaryKey().defaultRandom(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /** Stored lowercased: the address is matched case-insensitively. */
    email: text().notNull(),
    role: organizationRole().notNull(),
    tokenHash: text().notNull().unique("organization_invitations_token_hash_key"),
    invitedByUserId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: moment().notNull(),
    acceptedAt: moment(),
    acceptedByUserId: uuid().references(() => users.id, { onDelete: "set null" }),
    revokedAt: moment(),
    createdAt: moment().notNull().defaultNow(),
  },
  (t) => [
    // One open invitation per address and organization: re-inviting replaces its token.
    uniqueIndex("organization_invitations_pending_key")
      .on(t.organizationId, t.email)
      .where(sql`${t.acceptedAt} is null and ${t.revokedAt} is null`),
    index("organization_invitations_organization_created_at_idx").on(
      t.organizationId,
      t.createdAt,
      t.id,
    ),
  ],
);

export const projects = pgTable(
  "projects",
  {
    id: uuid().primaryKey().defaultRandom(),
    organizationId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text().notNull(),
    description: text(),
    /** The project's own app, where its end users' mail links point; required to send mail. */
    appUrl: text(),
    createdAt: moment().notNull().defaultNow(),
    updatedAt: moment().notNull().defaultNow(),
  },
  (t) => [index("projects_organization_created_at_idx").on(t.organizationId, t.createdAt, t.id)],
);

export const projectMembers = pgTable(
  "project_members",
  {
    id: uuid().primaryKey().defaultRandom(),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: projectRole().notNull(),
    status: membershipStatus().notNull().default("ACTIVE"),
    createdAt: moment().notNull().defaultNow(),
    updatedAt: moment().notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("project_members_project_user_key").on(t.projectId, t.userId),
    index("project_members_project_created_at_idx").on(t.projectId, t.createdAt, t.id),
    index("project_members_user_id_idx").on(t.userId),
  ],
);

export type OrganizationRow = typeof organizations.$inferSelect;
export type OrganizationMemberRow = typeof organizationMembers.$inferSelect;
export type OrganizationInvitationRow = typeof organizationInvitations.$inferSelect;
export type ProjectRow = typeof projects.$inferSelect;
export type ProjectMemberRow = typeof projectMembers.$inferSelect;
export type OrganizationRoleValue = (typeof organizationRole.enumValues)[number];
export type ProjectRoleValue = (typeof projectRole.enumValues)[number];
export type MembershipStatusValue = (typeof membershipStatus.enumValues)[number];
