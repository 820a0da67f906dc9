/**
 * Invitations to an organization: a single-use token mailed to an address, stored only as a
 * SHA-256 hash, valid for a week. Re-inviting an address replaces its open invitation (and so
 * its token); accepting needs a signed-in user with that address. The message goes through the
 * outbox, written in the invitation's own transaction: it exists exactly when the invitation does.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/connection";
import {
  organizationInvitations,
  organizationMembers,
  users,
  type OrganizationInvitationRow,
  type OrganizationMemberRow,
  type UserRow,
} from "../../db/schema/index";
import { AppError } from "../../errors";
import { generateOpaqueToken, hashToken } from "../../auth/secrets";
import {
  activeOrganizationRole,
  hasOrganizationPermission,
  OrganizationPermission,
  type OrganizationRole,
} from "../../auth/permissions";
import type { RateLimits } from "../../auth/rate-limits";
import type { MailOutbox } from "../../mail/outbox";
import { normaliseEmail } from "../../validation";
import { AuditActions, type AuditService } from "../audit/audit.service";
import {
  assertMayTouch,
  authorizeInOrganization,
  findMembership,
  lockOrganization,
} from "../organizations/organizations.guards";
import type { Actor } from "../organizations/organizations.service";
import { InvitationErrors } from "./invitations.errors";
import { lockInvitation, openInvitationOf } from "./invitations.queries";

/** Invitations are the platform's mail, under its own name. */
const PRODUCT_NAME = "Gatehouse";
/** The longest an invitation's answer waits for its message's first delivery attempt. */
const INVITATION_SEND_WAIT_MS = 3_000;

export type InvitationStatus = "PENDING" | "ACCEPTED" | "REVOKED" | "EXPIRED";

export function invitationStatus(
  row: Pick<OrganizationInvitationRow, "acceptedAt" | "revokedAt" | "expiresAt">,
  at: Date,
): InvitationStatus {
  if (row.acceptedAt) return "ACCEPTED";
  if (row.revokedAt) return "REVOKED";
  return row.expiresAt <= at ? "EXPIRED" : "PENDING";
}

export interface InvitationsService {
  invite(
    actor: Actor,
    organizationId: string,
    email: string,
    role: OrganizationRole,
  ): Promise<OrganizationInvitationRow>;
  accept(viewer: UserRow, token: string, actor: Actor): Promise<OrganizationMemberRow>;
  revoke(actor: Actor, id: string): Promise<void>;
}

export function createInvitationsService(deps: {
  db: Database;
  audit: AuditService;
  mailOutbox: MailOutbox;
  rateLimits: RateLimits;
  appUrl: string;
  ttlSeconds: number;
  now?: () => Date;
}): InvitationsService {
  const { db, audit, mailOutbox, rateLimits, appUrl, ttlSeconds } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async invite(actor, organizationId, rawEmail, role) {
      const email = normaliseEmail(rawEmail);
      const token = generateOpaqueToken();
      const at = now();
      const expiresAt = new Date(at.getTime() + ttlSeconds * 1000);

      const link = `${appUrl}/accept-invitation?token=${encodeURIComponent(token)}`;

      const invitation = await db.transaction(async (tx) => {
        const organization = await lockOrganization(tx, organizationId);
        const actorRole = await authorizeInOrganization(
          tx,
          organizationId,
          actor.userId,
          OrganizationPermission.MANAGE_MEMBERS,
        );
        // Replacing an open invitation changes it: an owner's invitation stays an owner's matter.
        const [open] = await tx
          .select({ role: organizationInvitations.role })
          .from(organizationInvitations)
          .where(openInvitationOf(organizationId, email))
          .for("update");
        assertMayTouch(actorRole, open?.role ?? null, role);
        const [existing] = await tx
          .select({ id: organizationMembers.id })
          .from(organizationMembers)
          .innerJoin(users, eq(users.id, organizationMembers.userId))
          .where(
            and(
              eq(organizationMembers.organizationId, organizationId),
              eq(sql`lower(${users.email})`, email),
            ),
          );
        if (existing) throw new AppError(InvitationErrors.ALREADY_MEMBER);
        // Counted only for invitations that will be sent, not for refused attempts.
        await rateLimits.consumeInvitation(actor.userId);

        // One open invitation per address: a new one replaces the token, role and expiry.
        const [row] = await tx
          .insert(organizationInvitations)
          .values({
            organizationId,
            email,
            role,
            tokenHash: hashToken(token),
            invitedByUserId: actor.userId,
            expiresAt,
            createdAt: at,
          })
          .onConflictDoUpdate({
            target: [organizationInvitations.organizationId, organizationInvitations.email],
            targetWhere: sql`${organizationInvitations.acceptedAt} is null and ${organizationInvitations.revokedAt} is null`,
            set: {
              role,
              tokenHash: hashToken(token),
              invitedByUserId: actor.userId,
              expiresAt,
            },
          })
          .returning();
        if (!row) throw new Error("Invitation upsert returned nothing");
        await audit.record(
          {
            action: AuditActions.ORG_INVITATION_SENT,
            actorUserId: actor.userId,
            organizationId,
            targetId: row.id,
            metadata: { email, role },
            meta: actor.meta,
          },
          tx,
        );
        const [inviter] = await tx
          .select({ fullName: users.fullName })
          .from(users)
          .where(eq(users.id, actor.userId));
        await mailOutbox.enqueue(tx, {
          to: email,
          template: "invitation",
          data: {
            organizationName: organization.name,
            inviterName: inviter?.fullName ?? "Someone",
            role,
            link,
            expiresAt,
          },
          brand: { productName: PRODUCT_NAME },
        });
        return row;
      });

      // Delivered after the commit. The answer waits, briefly, for the first attempt, as it
      // did when invitations were sent inline: the message has gone (or is being retried) by the
      // time the inviter hears back, and with the log transport its link is in the log.
      await mailOutbox.flush(INVITATION_SEND_WAIT_MS);
      return invitation;
    },

    async accept(viewer, token, actor) {
      return db.transaction(async (tx) => {
        const invitation = await lockInvitation(
          tx,
          eq(organizationInvitations.tokenHash, hashToken(token)),
        );
        if (invitation.revokedAt) throw new AppError(InvitationErrors.NOT_FOUND);
        if (invitation.acceptedAt) throw new AppError(InvitationErrors.USED);
        const at = now();
        if (invitation.expiresAt <= at) throw new AppError(InvitationErrors.EXPIRED);
        if (normaliseEmail(viewer.email) !== invitation.email) {
          throw new AppError(InvitationErrors.OTHER_EMAIL);
        }
        // An invitation carries its inviter's authority, so it lapses when that authority does.
        const inviterRole = activeOrganizationRole(
          await findMembership(tx, invitation.organizationId, invitation.invitedByUserId),
        );
        const stillEntitled =
          hasOrganizationPermission(inviterRole, OrganizationPermission.MANAGE_MEMBERS) &&
          (invitation.role !== "OWNER" ||
            hasOrganizationPermission(inviterRole, OrganizationPermission.MANAGE_OWNERS));
        if (!stillEntitled) throw new AppError(InvitationErrors.LAPSED);
        const [existing] = await tx
          .select({ id: organizationMembers.id })
          .from(organizationMembers)
          .where(
            and(
              eq(organizationMembers.organizationId, invitation.organizationId),
              eq(organizationMembers.userId, viewer.id),
            ),
          );
        if (existing) throw new AppError(InvitationErrors.ALREADY_MEMBER);

        const [member] = await tx
          .insert(organizationMembers)
          .values({
            organizationId: invitation.organizationId,
            userId: viewer.id,
            role: invitation.role,
            createdAt: at,
            updatedAt: at,
          })
          .returning();
        if (!member) throw new Error("Membership insert returned nothing");
        await tx
          .update(organizationInvitations)
          .set({ acceptedAt: at, acceptedByUserId: viewer.id })
          .where(eq(organizationInvitations.id, invitation.id));
        // The token came by mail to this address (checked above): the address is verified.
        if (!viewer.emailVerified) {
          await tx
            .update(users)
            .set({ emailVerified: true, updatedAt: at })
            .where(and(eq(users.id, viewer.id), eq(sql`lower(${users.email})`, invitation.email)));
          await audit.record(
            {
              action: AuditActions.USER_EMAIL_VERIFIED,
              actorUserId: viewer.id,
              targetId: viewer.id,
              metadata: { email: invitation.email, via: "invitation" },
              meta: actor.meta,
            },
            tx,
          );
        }
        await audit.recordMany(
          [
            {
              action: AuditActions.ORG_INVITATION_ACCEPTED,
              actorUserId: viewer.id,
              organizationId: invitation.organizationId,
              targetId: invitation.id,
              metadata: { role: invitation.role },
              meta: actor.meta,
            },
            {
              action: AuditActions.ORG_MEMBER_ADDED,
              actorUserId: viewer.id,
              organizationId: invitation.organizationId,
              targetId: viewer.id,
              metadata: { role: invitation.role, via: "invitation", invitationId: invitation.id },
              meta: actor.meta,
            },
          ],
          tx,
        );
        return member;
      });
    },

    async revoke(actor, id) {
      await db.transaction(async (tx) => {
        const invitation = await lockInvitation(tx, eq(organizationInvitations.id, id));
        const actorRole = await authorizeInOrganization(
          tx,
          invitation.organizationId,
          actor.userId,
          OrganizationPermission.MANAGE_MEMBERS,
        );
        assertMayTouch(actorRole, invitation.role, null);
        if (invitation.acceptedAt) throw new AppError(InvitationErrors.USED);
        if (invitation.revokedAt) return;
        await tx
          .update(organizationInvitations)
          .set({ revokedAt: now() })
          .where(
            and(eq(organizationInvitations.id, id), isNull(organizationInvitations.revokedAt)),
          );
        await audit.record(
          {
            action: AuditActions.ORG_INVITATION_REVOKED,
            actorUserId: actor.userId,
            organizationId: invitation.organizationId,
            targetId: id,
            metadata: { email: invitation.email, role: invitation.role },
            meta: actor.meta,
          },
          tx,
        );
      });
    },
  };
}
