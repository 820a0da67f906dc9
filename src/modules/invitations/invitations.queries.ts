import { and, eq, isNull } from "drizzle-orm";
import type { Executor } from "../../db/connection";
import { organizationInvitations, users } from "../../db/schema/index";
import { normaliseEmail } from "../../validation";

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
    .where(
      and(
        eq(organizationInvitations.organizationId, organizationId),
        eq(organizationInvitations.email, normaliseEmail(user.email)),
        isNull(organizationInvitations.acceptedAt),
        isNull(organizationInvitations.revokedAt),
      ),
    )
    .returning({ id: organizationInvitations.id });
  return revoked.map((row) => row.id);
}
