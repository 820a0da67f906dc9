/** Per-request batch loaders for organizations, their members and invitations. */
import DataLoader from "dataloader";
import { anyId } from "../../db/any-id";
import { and, eq } from "drizzle-orm";
import type { Executor } from "../../db/connection";
import { keysetPagesByParent } from "../../db/keyset";
import {
  organizationInvitations,
  organizationMembers,
  organizations,
  type OrganizationInvitationRow,
  type OrganizationMemberRow,
  type OrganizationRow,
} from "../../db/schema/index";
import type { OrganizationRole } from "../../auth/permissions";

import { createByIdLoader, createPageLoader, type LoadUsersOf } from "../../graphql/page-loader";

export function createOrganizationLoaders(
  db: Executor,
  viewerId: string | null,
  loadUsersOf: LoadUsersOf,
) {
  return {
    organizations: createByIdLoader<OrganizationRow>((ids) =>
      db.select().from(organizations).where(anyId(organizations.id, ids)),
    ),

    /** The viewer's own membership in each organization (suspended ones included). */
    viewerMembership: new DataLoader<string, OrganizationMemberRow | null>(async (ids) => {
      if (!viewerId) return ids.map(() => null);
      const rows = await db
        .select()
        .from(organizationMembers)
        .where(
          and(
            eq(organizationMembers.userId, viewerId),
            anyId(organizationMembers.organizationId, ids),
          ),
        );
      const byOrganization = new Map(rows.map((row) => [row.organizationId, row]));
      return ids.map((id) => byOrganization.get(id) ?? null);
    }),

    /** Anyone's membership, keyed by "organizationId|userId". */
    membership: new DataLoader<string, OrganizationMemberRow | null>(async (keys) => {
      const pairs = keys.map((key) => key.split("|") as [string, string]);
      const rows = await db
        .select()
        .from(organizationMembers)
        .where(
          and(
            anyId(organizationMembers.organizationId, new Set(pairs.map(([o]) => o))),
            anyId(organizationMembers.userId, new Set(pairs.map(([, u]) => u))),
          ),
        );
      const byKey = new Map(rows.map((row) => [`${row.organizationId}|${row.userId}`, row]));
      return keys.map((key) => byKey.get(key) ?? null);
    }),

    membersPage: createPageLoader<
      OrganizationMemberRow,
      { role: OrganizationRole | null; withUsers: boolean }
    >(async (ids, page, filter) => {
      const pages = await keysetPagesByParent<OrganizationMemberRow>(
        db,
        {
          table: organizationMembers,
          parent: organizationMembers.organizationId,
          at: organizationMembers.createdAt,
          id: organizationMembers.id,
        },
        ids,
        filter.role ? eq(organizationMembers.role, filter.role) : undefined,
        page,
        (row) => row.organizationId,
      );
      return filter.withUsers ? loadUsersOf(pages) : pages;
    }),

    /** A user's own active memberships (User.organizations), in joining order. */
    userMembershipsPage: createPageLoader<OrganizationMemberRow>((ids, page) =>
      keysetPagesByParent<OrganizationMemberRow>(
        db,
        {
          table: organizationMembers,
          parent: organizationMembers.userId,
          at: organizationMembers.createdAt,
          id: organizationMembers.id,
        },
        ids,
        eq(organizationMembers.status, "ACTIVE"),
        page,
        (row) => row.userId,
      ),
    ),

    invitationsPage: createPageLoader<OrganizationInvitationRow>((ids, page) =>
      keysetPagesByParent<OrganizationInvitationRow>(
        db,
        {
          table: organizationInvitations,
          parent: organizationInvitations.organizationId,
          at: organizationInvitations.createdAt,
          id: organizationInvitations.id,
          direction: "desc",
        },
        ids,
        undefined,
        page,
        (row) => row.organizationId,
      ),
    ),

    invitations: createByIdLoader<OrganizationInvitationRow>((ids) =>
      db.select().from(organizationInvitations).where(anyId(organizationInvitations.id, ids)),
    ),
  };
}
