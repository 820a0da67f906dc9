import { and, eq, isNull, type SQL } from "drizzle-orm";
import type { Executor } from "../../db/connection";
import {
  organizationInvitations,
  users,
  type OrganizationInvitationRow,
} from "../../db/schema/index";
import { AppError } from "../../errors";
import { normaliseEmail } from "../../validation";
import { lockOrganization } from "../organizations/organizations.guards";
import { InvitationErrors } from "./invitations.errors";

/** The open (neither accepted nor revoked) invitation of an address to an organization. */
export function openInvitationOf(organizationId: string, email: string): SQL | undefined {
  return and(
    eq(organizationInvitations.organizationId, organizationId),
    eq(organizationInvitations.email, email),
    isNull(organizationInvitations.acceptedAt),
    isNull(organizationInvitations.revokedAt),
  );
}

/**
 * The invitation `match` finds, read again after its organization is locked (the lock order of
 * every tenancy change: the organization first, then its rows). NOT_FOUND when there is none.
 */
export async function lockInvitation(tx: Executor, match: SQL): Promise<OrganizationInvitationRow> {
  const [found] = await tx
    .select({ organizationId: organizationInvitations.organizationId })
    .from(organizationInvitations)
    .where(match);
  if (!found) throw new AppError(InvitationErrors.NOT_FOUND);
  await lockOrganization(tx, found.organizationId);
  const [invitation] = await tx.select().from(organizationInvitations).where(match).for("update");
  if (!invitation) throw new AppError(InvitationErrors.NOT_FOUND);
  return invitation;
}

/**
 * Revokes the open invitation (there is at most one) of `userId`'s address to an organization:
 * once someone is added or removed directly, an old link must not bring them back in with the
 * role it once offered. Returns the revoked invitations' ids.
 */
export async function revokeOpenInvitationOf(
  tx: Executor,
  organizationId: string,
  userId: string,
  at: Date,
): Promise<string[]> {
  const [user] = await tx.select({ email: users.email }).from(users).where(eq(users.id, userId));
  if (!user) return [];
  const revoked = await tx
    .update(organizationInvitations)
    .set({ revokedAt: at })
    .where(openInvitationOf(organizationId, normaliseEmail(user.email)))
    .returning({ id: organizationInvitations.id });
  return revoked.map((row) => row.id);
}
