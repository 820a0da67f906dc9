/**
 * Organizations and their members: creation, settings, membership changes and ownership
 * transfer. Every membership change locks the organization's row first, so changes to one
 * organization happen one at a time and "keeps one active owner" holds under concurrency.
 */
import { and, eq, inArray, ne, sql } from "drizzle-orm";
import type { Database, Executor } from "../../db/connection";
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
  activeOrganizationRole,
  hasOrganizationPermission,
  OrganizationPermission,
  touchesOwner,
  type MembershipStatus,
  type OrganizationRole,
} from "../../auth/permissions";
import type { Page, PageRequest } from "../../pagination";
import { checkName, checkSlug, normaliseEmail } from "../../validation";
import { AuditActions, type AuditService, type RequestMeta } from "../audit/audit.service";
import type { UsersService } from "../users/users.service";
import { OrganizationErrors } from "./organizations.errors";

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
  /** The user's active memberships, oldest first. */
  listMembershipsForUser(userId: string, page: PageRequest): Promise<Page<OrganizationMemberRow>>;
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

/** Locks the organization row: every membership change of one organization queues here. */
export async function lockOrganization(tx: Executor, id: string): Promise<OrganizationRow> {
  const [row] = await tx.select().from(organizations).where(eq(organizations.id, id)).for("update");
  if (!row) throw new AppError(OrganizationErrors.NOT_FOUND);
  return row;
}

export async function findMembership(
  tx: Executor,
  organizationId: string,
  userId: string,
): Promise<OrganizationMemberRow | null> {
  const [row] = await tx
    .select()
    .from(organizationMembers)
    .where(
      and(
        eq(organizationMembers.organizationId, organizationId),
        eq(organizationMembers.userId, userId),
      ),
    );
  return row ?? null;
}

/**
 * The actor's role, read under the organization lock; owner-touching changes need an owner.
 * (Shield has already checked the coarse permission; this is the part that depends on data.)
 */
export async function assertMayTouch(
  tx: Executor,
  organizationId: string,
  actorId: string,
  from: OrganizationRole | null,
  to: OrganizationRole | null,
): Promise<void> {
  if (!touchesOwner(from, to)) return;
  const actorRole = activeOrganizationRole(await findMembership(tx, organizationId, actorId));
  if (!hasOrganizationPermission(actorRole, OrganizationPermission.MANAGE_OWNERS)) {
    throw new AppError(OrganizationErrors.OWNERS_ONLY);
  }
}

/** Refuses a change that would leave no active owner besides `exceptUserId`. */
async function assertAnotherActiveOwner(
  tx: Executor,
  organizationId: string,
  exceptUserId: string,
): Promise<void> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(organizationMembers)
    .where(
      and(
        eq(organizationMembers.organizationId, organizationId),
        eq(organizationMembers.role, "OWNER"),
        eq(organizationMembers.status, "ACTIVE"),
        ne(organizationMembers.userId, exceptUserId),
      ),
    );
  if ((row?.n ?? 0) === 0) throw new AppError(OrganizationErrors.LAST_OWNER);
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

export function createOrganizationsService(deps: {
  db: Database;
  audit: AuditService;
  users: UsersService;
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
      if (input.name === undefined) problems.push({ field: "name", message: "is required" });
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
        // Projects, memberships and invitations go with it (ON DELETE CASCADE), in this
        // transaction; the audit trail keeps plain ids and survives.
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

    async listMembershipsForUser(userId, page) {
      return keysetPage<OrganizationMemberRow>(
        db,
        {
          table: organizationMembers,
          at: organizationMembers.createdAt,
          id: organizationMembers.id,
        },
        and(eq(organizationMembers.userId, userId), eq(organizationMembers.status, "ACTIVE")),
        page,
      );
    },

    async addMember(actor, organizationId, email, role) {
      const user = await users.findByEmail(normaliseEmail(email));
      return db.transaction(async (tx) => {
        await lockOrganization(tx, organizationId);
        await assertMayTouch(tx, organizationId, actor.userId, null, role);
        if (!user) throw new AppError(OrganizationErrors.USER_NOT_FOUND);
        if (await findMembership(tx, organizationId, user.id)) {
          throw new AppError(OrganizationErrors.ALREADY_MEMBER);
        }
        const at = now();
        const [member] = await tx
          .insert(organizationMembers)
          .values({ organizationId, userId: user.id, role, createdAt: at, updatedAt: at })
          .returning();
        if (!member) throw new Error("Membership insert returned nothing");
        await audit.record(
          {
            action: AuditActions.ORG_MEMBER_ADDED,
            actorUserId: actor.userId,
            organizationId,
            targetId: user.id,
            metadata: { role, via: "add" },
            meta: actor.meta,
          },
          tx,
        );
        return member;
      });
    },

    async updateMember(actor, organizationId, userId, change) {
      return db.transaction(async (tx) => {
        await lockOrganization(tx, organizationId);
        const member = await findMembership(tx, organizationId, userId);
        if (!member) throw new AppError(OrganizationErrors.MEMBER_NOT_FOUND);
        const role = change.role ?? member.role;
        const status = change.status ?? member.status;
        if (role === member.role && status === member.status) return member;

        await assertMayTouch(tx, organizationId, actor.userId, member.role, role);
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
        const events = [];
        if (role !== member.role) {
          events.push({
            action: AuditActions.ORG_MEMBER_ROLE_CHANGED,
            metadata: { from: member.role, to: role },
          });
        }
        if (status !== member.status) {
          events.push({
            action: AuditActions.ORG_MEMBER_STATUS_CHANGED,
            metadata: { from: member.status, to: status },
          });
        }
        await audit.recordMany(
          events.map((event) => ({
            ...event,
            actorUserId: actor.userId,
            organizationId,
            targetId: userId,
            meta: actor.meta,
          })),
          tx,
        );
        return updated;
      });
    },

    async removeMember(actor, organizationId, userId) {
      await db.transaction(async (tx) => {
        await lockOrganization(tx, organizationId);
        const member = await findMembership(tx, organizationId, userId);
        if (!member) throw new AppError(OrganizationErrors.MEMBER_NOT_FOUND);
        // Leaving is always allowed (last owner aside); removing an owner needs an owner.
        if (userId !== actor.userId) {
          await assertMayTouch(tx, organizationId, actor.userId, member.role, null);
        }
        if (member.role === "OWNER" && member.status === "ACTIVE") {
          await assertAnotherActiveOwner(tx, organizationId, userId);
        }
        await tx.delete(organizationMembers).where(eq(organizationMembers.id, member.id));
        // Project roles in this organization end with the membership.
        await tx
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
          );
        await audit.record(
          {
            action: AuditActions.ORG_MEMBER_REMOVED,
            actorUserId: actor.userId,
            organizationId,
            targetId: userId,
            metadata: { role: member.role, left: userId === actor.userId },
            meta: actor.meta,
          },
          tx,
        );
      });
    },

    async transferOwnership(actor, organizationId, userId) {
      return db.transaction(async (tx) => {
        const organization = await lockOrganization(tx, organizationId);
        const actorMember = await findMembership(tx, organizationId, actor.userId);
        if (activeOrganizationRole(actorMember) !== "OWNER") {
          throw new AppError(OrganizationErrors.OWNERS_ONLY);
        }
        const target = await findMembership(tx, organizationId, userId);
        if (!target || target.status !== "ACTIVE" || userId === actor.userId) {
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
