/**
 * What every tenancy change does first, inside its transaction: lock the organization's row
 * (so changes to one organization happen one at a time), then re-read the actor's membership
 * under that lock and check it against the permission matrix. Shield has already checked the
 * same permission before the transaction, but a change that committed while this one waited
 * for the lock (the actor demoted, suspended, removed) must count.
 */
import { and, eq, ne, sql } from "drizzle-orm";
import type { Executor } from "../../db/connection";
import {
  organizationMembers,
  organizations,
  projectMembers,
  type OrganizationMemberRow,
  type OrganizationRow,
  type ProjectRow,
} from "../../db/schema/index";
import { AppError } from "../../errors";
import {
  activeOrganizationRole,
  hasOrganizationPermission,
  OrganizationPermission,
  organizationPermissions,
  permissionRefusal,
  projectPermissions,
  touchesOwner,
  type OrganizationRole,
  type ProjectPermission,
} from "../../auth/permissions";
import { ProjectErrors } from "../projects/projects.errors";
import { OrganizationErrors } from "./organizations.errors";

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

/** The actor's active role, if it grants `permission`: NOT_FOUND without one, FORBIDDEN without
 * the permission (the same answers shield gives). Call under the organization's lock. */
export async function authorizeInOrganization(
  tx: Executor,
  organizationId: string,
  actorId: string,
  permission: OrganizationPermission,
): Promise<OrganizationRole> {
  const role = activeOrganizationRole(await findMembership(tx, organizationId, actorId));
  const refusal = permissionRefusal(
    organizationPermissions(role),
    permission,
    OrganizationErrors.NOT_FOUND,
  );
  if (refusal) throw refusal;
  return role as OrganizationRole; // no role grants nothing, which is a refusal
}

/** Changes that touch an owner (from or to OWNER) need MANAGE_OWNERS as well. */
export function assertMayTouch(
  actorRole: OrganizationRole,
  from: OrganizationRole | null,
  to: OrganizationRole | null,
): void {
  if (
    touchesOwner(from, to) &&
    !hasOrganizationPermission(actorRole, OrganizationPermission.MANAGE_OWNERS)
  ) {
    throw new AppError(OrganizationErrors.OWNERS_ONLY);
  }
}

/** Refuses a change that would leave no active owner besides `exceptUserId`. */
export async function assertAnotherActiveOwner(
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

/** The project-level check, under the organization's lock: the role the actor acts with on
 * `project` must grant `permission` (NOT_FOUND when it has none there). */
export async function authorizeInProject(
  tx: Executor,
  project: ProjectRow,
  actorId: string,
  permission: ProjectPermission,
): Promise<void> {
  const organizationMembership = await findMembership(tx, project.organizationId, actorId);
  const [projectMembership] = await tx
    .select()
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, project.id), eq(projectMembers.userId, actorId)));
  const granted = projectPermissions(organizationMembership, projectMembership ?? null);
  const refusal = permissionRefusal(granted, permission, ProjectErrors.NOT_FOUND);
  if (refusal) throw refusal;
}
