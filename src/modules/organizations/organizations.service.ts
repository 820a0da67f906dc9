/**
 * Organizations and their members: creation, settings, membership changes and ownership
 * transfer. Every change locks the organization's row and re-checks the actor under the lock
 * (organizations.guards.ts), so "keeps one active owner" holds under concurrency.
 */
import { and, eq, inArray } from "drizzle-orm";
import type { Database } from "../../db/connection";
import { isUniqueViolation } from "../../db/errors";
import { keysetPage } from "../../db/keyset";
import {
  organizationMembers,
  organizations,
  projectMembers,
  projects,
  type OrganizationMemberRow,
  type OrganizationRow,
} from "../../db/schema/index";
import { AppError, invalidInput, type FieldProblem } from "../../errors";
import {
  OrganizationPermission,
  type MembershipStatus,
  type OrganizationRole,
} from "../../auth/permissions";
import type { Page, PageRequest } from "../../pagination";
import { checkName, checkSlug, normaliseEmail } from "../../validation";
import {
  AuditActions,
  membershipChangeEvents,
  type AuditEventInput,
  type AuditService,
  type RequestMeta,
} from "../audit/audit.service";
import type { UsersService } from "../users/users.service";
import { revokeOpenInvitationOf } from "../invitations/invitations.queries";
import { OrganizationErrors } from "./organizations.errors";
import {
  assertAnotherActiveOwner,
  assertMayTouch,
  authorizeInOrganization,
  findMembership,
  lockOrganization,
} from "./organizations.guards";
import { endSessions } from "../../auth/sessions";

/** Who is acting, and from where (for the audit trail). */
export interface Actor {
  userId: string;
  meta: RequestMeta;
}

export interface MemberChange {
  role?: OrganizationRole | null;
  status?: MembershipStatus | null;
}

export interface OrganizationsService {
  create(actor: Actor, input: { name: string; slug: string }): Promise<OrganizationRow>;
  update(
    actor: Actor,
    id: string,
    input: { name?: string | null; slug?: string | null },
  ): Promise<OrganizationRow>;
  delete(actor: Actor, id: string): Promise<void>;
  /** The organization if `viewerId` holds an active membership in it; null otherwise. */
  findVisible(
    viewerId: string,
    by: { id?: string | null; slug?: string | null },
  ): Promise<OrganizationRow | null>;
  /** Organizations where the user is an active member, oldest first. */
  listForUser(userId: string, page: PageRequest): Promise<Page<OrganizationRow>>;
  addMember(
    actor: Actor,
    organizationId: string,
    email: string,
    role: OrganizationRole,
  ): Promise<OrganizationMemberRow>;
  updateMember(
    actor: Actor,
    organizationId: string,
    userId: string,
    change: MemberChange,
  ): Promise<OrganizationMemberRow>;
  removeMember(actor: Actor, organizationId: string, userId: string): Promise<void>;
  transferOwnership(actor: Actor, organizationId: string, userId: string): Promise<OrganizationRow>;
}

function validateOrganization(input: {
  name?: string | null;
  slug?: string | null;
}): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (input.name !== undefined && input.name !== null) {
    const problem = checkName("name", input.name);
    if (problem) problems.push(problem);
  }
  if (input.slug !== undefined && input.slug !== null) {
    const problem = checkSlug("slug", input.slug);
    if (problem) problems.push(problem);
  }
  return problems;
}

function invitationClosed(
  actor: Actor,
  organizationId: string,
  invitationId: string,
  reason: string,
): AuditEventInput {
  return {
    action: AuditActions.ORG_INVITATION_REVOKED,
    actorUserId: actor.userId,
    organizationId,
    targetId: invitationId,
    metadata: { reason },
    meta: actor.meta,
  };
}

export function createOrganizationsService(deps: {
  db: Database;
  audit: AuditService;
  users: UsersService;
  /** REQUIRE_VERIFIED_EMAIL: members are added by address only once it is verified. */
  requireVerifiedEmail?: boolean;
  now?: () => Date;
}): OrganizationsService {
  const { db, audit, users } = deps;
  const now = deps.now ?? (() => new Date());

  /** Runs `fn`, turning a taken slug into CONFLICT. */
  async function slugSafe<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (isUniqueViolation(error, "organizations_slug_key")) {
        throw new AppError(OrganizationErrors.SLUG_TAKEN, {
          fields: [{ field: "slug", message: "is taken" }],
        });
      }
      throw error;
    }
  }

  return {
    async create(actor, input) {
      const problems = validateOrganization(input);
      if (problems.length > 0) throw invalidInput(problems);
      const at = now();
      return slugSafe(() =>
        db.transaction(async (tx) => {
          const [organization] = await tx
            .insert(organizations)
            .values({ name: input.name.trim(), slug: input.slug, createdAt: at, updatedAt: at })
            .returning();
          if (!organization) throw new Error("Organization insert returned nothing");
          await tx.insert(organizationMembers).values({
            organizationId: organization.id,
            userId: actor.userId,
            role: "OWNER",
            createdAt: at,
            updatedAt: at,
          });
          await audit.record(
            {
              action: AuditActions.ORG_CREATED,
              actorUserId: actor.userId,
              organizationId: organization.id,
              targetId: organization.id,
              metadata: { name: organization.name, slug: organization.slug },
              meta: actor.meta,
            },
            tx,
          );
          return organization;
        }),
      );
    },

    async update(actor, id, input) {
      const problems = validateOrganization(input);
      if (problems.length > 0) throw invalidInput(problems);
      const changes: Partial<OrganizationRow> = {};
      if (input.name != null) changes.name = input.name.trim();
      if (input.slug != null) changes.slug = input.slug;
      return slugSafe(() =>
        db.transaction(async (tx) => {
          const current = await lockOrganization(tx, id);
          await authorizeInOrganization(tx, id, actor.userId, OrganizationPermission.UPDATE);
          if (Object.keys(changes).length === 0) return current;
          const [updated] = await tx
            .update(organizations)
            .set({ ...changes, updatedAt: now() })
            .where(eq(organizations.id, id))
            .returning();
          if (!updated) throw new AppError(OrganizationErrors.NOT_FOUND);
          await audit.record(
            {
              action: AuditActions.ORG_UPDATED,
              actorUserId: actor.userId,
              organizationId: id,
              targetId: id,
              metadata: { changes, previous: { name: current.name, slug: current.slug } },
              meta: actor.meta,
            },
            tx,
          );
          return updated;
        }),
      );
    },

    async delete(actor, id) {
      await db.transaction(async (tx) => {
        const organization = await lockOrganization(tx, id);
        await authorizeInOrganization(tx, id, actor.userId, OrganizationPermission.DELETE);
        // Its projects' end-user sessions end here; projects, memberships and invitations go with
        // it (ON DELETE CASCADE), in this transaction; the audit trail keeps plain ids and survives.
        await endSessions(tx, { organizationId: id }, "organization_deleted", now());
        await tx.delete(organizations).where(eq(organizations.id, id));
        await audit.record(
          {
            action: AuditActions.ORG_DELETED,
            actorUserId: actor.userId,
            organizationId: id,
            targetId: id,
            metadata: { name: organization.name, slug: organization.slug },
            meta: actor.meta,
          },
          tx,
        );
      });
    },

    async findVisible(viewerId, by) {
      const match = by.id
        ? eq(organizations.id, by.id)
        : eq(organizations.slug, (by.slug ?? "").trim().toLowerCase());
      const [row] = await db
        .select({ organization: organizations })
        .from(organizations)
        .innerJoin(
          organizationMembers,
          and(
            eq(organizationMembers.organizationId, organizations.id),
            eq(organizationMembers.userId, viewerId),
            eq(organizationMembers.status, "ACTIVE"),
          ),
        )
        .where(match);
      return row?.organization ?? null;
    },

    async listForUser(userId, page) {
      const mine = db
        .select({ id: organizationMembers.organizationId })
        .from(organizationMembers)
        .where(
          and(eq(organizationMembers.userId, userId), eq(organizationMembers.status, "ACTIVE")),
        );
      return keysetPage<OrganizationRow>(
        db,
        { table: organizations, at: organizations.createdAt, id: organizations.id },
        inArray(organizations.id, mine),
        page,
      );
    },

    async addMember(actor, organizationId, email, role) {
      const user = await users.findByEmail(normaliseEmail(email));
      return db.transaction(async (tx) => {
        await lockOrganization(tx, organizationId);
        const actorRole = await authorizeInOrganization(
          tx,
          organizationId,
          actor.userId,
          OrganizationPermission.MANAGE_MEMBERS,
        );
        assertMayTouch(actorRole, null, role);
        if (!user) throw new AppError(OrganizationErrors.USER_NOT_FOUND);
        // An unverified address may belong to someone else than who signed up with it.
        if (deps.requireVerifiedEmail && !user.emailVerified) {
          throw new AppError(OrganizationErrors.EMAIL_NOT_VERIFIED);
        }
        if (await findMembership(tx, organizationId, user.id)) {
          throw new AppError(OrganizationErrors.ALREADY_MEMBER);
        }
        const at = now();
        const [member] = await tx
          .insert(organizationMembers)
          .values({ organizationId, userId: user.id, role, createdAt: at, updatedAt: at })
          .returning();
        if (!member) throw new Error("Membership insert returned nothing");
        const revoked = await revokeOpenInvitationOf(tx, organizationId, user.id, at);
        await audit.recordMany(
          [
            {
              action: AuditActions.ORG_MEMBER_ADDED,
              actorUserId: actor.userId,
              organizationId,
              targetId: user.id,
              metadata: { role, via: "add" },
              meta: actor.meta,
            },
            ...revoked.map((id) => invitationClosed(actor, organizationId, id, "member added")),
          ],
          tx,
        );
        return member;
      });
    },

    async updateMember(actor, organizationId, userId, change) {
      return db.transaction(async (tx) => {
        await lockOrganization(tx, organizationId);
        const actorRole = await authorizeInOrganization(
          tx,
          organizationId,
          actor.userId,
          OrganizationPermission.MANAGE_MEMBERS,
        );
        const member = await findMembership(tx, organizationId, userId);
        if (!member) throw new AppError(OrganizationErrors.MEMBER_NOT_FOUND);
        const role = change.role ?? member.role;
        const status = change.status ?? member.status;
        if (role === member.role && status === member.status) return member;

        assertMayTouch(actorRole, member.role, role);
        // Suspending yourself would lock you out mid-request; leaving is the way out.
        if (member.userId === actor.userId && status === "SUSPENDED") {
          throw new AppError(OrganizationErrors.SELF_SUSPENSION);
        }
        const wasActiveOwner = member.role === "OWNER" && member.status === "ACTIVE";
        const staysActiveOwner = role === "OWNER" && status === "ACTIVE";
        if (wasActiveOwner && !staysActiveOwner) {
          await assertAnotherActiveOwner(tx, organizationId, userId);
        }

        const [updated] = await tx
          .update(organizationMembers)
          .set({ role, status, updatedAt: now() })
          .where(eq(organizationMembers.id, member.id))
          .returning();
        if (!updated) throw new Error("Membership vanished under lock");
        await audit.recordMany(
          membershipChangeEvents(
            {
              role: AuditActions.ORG_MEMBER_ROLE_CHANGED,
              status: AuditActions.ORG_MEMBER_STATUS_CHANGED,
            },
            member,
            { role, status },
            {
              actorUserId: actor.userId,
              organizationId,
              targetId: userId,
              meta: actor.meta,
            },
          ),
          tx,
        );
        return updated;
      });
    },

    async removeMember(actor, organizationId, userId) {
      await db.transaction(async (tx) => {
        await lockOrganization(tx, organizationId);
        // Leaving needs only membership (the last owner aside); removing an owner needs an owner.
        const leaving = userId === actor.userId;
        const actorRole = await authorizeInOrganization(
          tx,
          organizationId,
          actor.userId,
          leaving ? OrganizationPermission.READ : OrganizationPermission.MANAGE_MEMBERS,
        );
        const member = await findMembership(tx, organizationId, userId);
        if (!member) throw new AppError(OrganizationErrors.MEMBER_NOT_FOUND);
        if (!leaving) assertMayTouch(actorRole, member.role, null);
        if (member.role === "OWNER" && member.status === "ACTIVE") {
          await assertAnotherActiveOwner(tx, organizationId, userId);
        }
        await tx.delete(organizationMembers).where(eq(organizationMembers.id, member.id));
        const revoked = await revokeOpenInvitationOf(tx, organizationId, userId, now());
        // Project roles in this organization end with the membership, each in its project's log.
        const endedRoles = await tx
          .delete(projectMembers)
          .where(
            and(
              eq(projectMembers.userId, userId),
              inArray(
                projectMembers.projectId,
                tx
                  .select({ id: projects.id })
                  .from(projects)
                  .where(eq(projects.organizationId, organizationId)),
              ),
            ),
          )
          .returning();
        await audit.recordMany(
          [
            {
              action: AuditActions.ORG_MEMBER_REMOVED,
              actorUserId: actor.userId,
              organizationId,
              targetId: userId,
              metadata: { role: member.role, left: leaving },
              meta: actor.meta,
            },
            ...revoked.map((id) => invitationClosed(actor, organizationId, id, "member removed")),
            ...endedRoles.map((ended) => ({
              action: AuditActions.PROJECT_MEMBER_REMOVED,
              actorUserId: actor.userId,
              organizationId,
              projectId: ended.projectId,
              targetId: userId,
              metadata: { role: ended.role, via: "organization" },
              meta: actor.meta,
            })),
          ],
          tx,
        );
      });
    },

    async transferOwnership(actor, organizationId, userId) {
      return db.transaction(async (tx) => {
        const organization = await lockOrganization(tx, organizationId);
        await authorizeInOrganization(
          tx,
          organizationId,
          actor.userId,
          OrganizationPermission.TRANSFER_OWNERSHIP,
        );
        const actorMember = await findMembership(tx, organizationId, actor.userId);
        const target = await findMembership(tx, organizationId, userId);
        if (!target || target.status !== "ACTIVE" || target.userId === actor.userId) {
          throw new AppError(OrganizationErrors.TRANSFER_TARGET);
        }
        const at = now();
        await tx
          .update(organizationMembers)
          .set({ role: "OWNER", updatedAt: at })
          .where(eq(organizationMembers.id, target.id));
        await tx
          .update(organizationMembers)
          .set({ role: "ADMIN", updatedAt: at })
          .where(eq(organizationMembers.id, actorMember!.id));
        await audit.record(
          {
            action: AuditActions.ORG_OWNERSHIP_TRANSFERRED,
            actorUserId: actor.userId,
            organizationId,
            targetId: userId,
            metadata: { from: actor.userId, to: userId, previousRole: target.role },
            meta: actor.meta,
          },
          tx,
        );
        return organization;
      });
    },
  };
}
