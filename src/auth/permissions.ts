/**
 * The permission matrix: the one place that says what each organization and project role may
 * do. Shield rules, the services' ownership checks and the `viewerPermissions` fields all read
 * it, so what the API enforces and what it tells a UI cannot disagree.
 */
import { AppError, CommonErrors, type ErrorSpec } from "../errors";

export const OrganizationPermission = {
  READ: "organization.read",
  UPDATE: "organization.update",
  DELETE: "organization.delete",
  TRANSFER_OWNERSHIP: "organization.transfer_ownership",
  /** Add, change, suspend and remove members and invitations that are not owners. */
  MANAGE_MEMBERS: "organization.members.manage",
  /** The same for owners (and for making someone an owner). */
  MANAGE_OWNERS: "organization.owners.manage",
  CREATE_PROJECT: "organization.projects.create",
  /** See every project, not only those where one holds a role. */
  READ_ALL_PROJECTS: "organization.projects.read_all",
  READ_AUDIT: "organization.audit.read",
} as const;
export type OrganizationPermission =
  (typeof OrganizationPermission)[keyof typeof OrganizationPermission];

export const ProjectPermission = {
  READ: "project.read",
  UPDATE: "project.update",
  MANAGE_MEMBERS: "project.members.manage",
  /** Create, change and delete the password policy and the project policy. */
  MANAGE_POLICIES: "project.policies.manage",
  /** Change end users' role and status, end their sessions, delete them. */
  MANAGE_END_USERS: "project.end_users.manage",
  DELETE: "project.delete",
  READ_AUDIT: "project.audit.read",
} as const;
export type ProjectPermission = (typeof ProjectPermission)[keyof typeof ProjectPermission];

export type OrganizationRole = "OWNER" | "ADMIN" | "MEMBER";
export type ProjectRole = "MANAGER" | "CONTRIBUTOR" | "VIEWER";
export type MembershipStatus = "ACTIVE" | "SUSPENDED";

export interface Membership<Role> {
  role: Role;
  status: MembershipStatus;
}

const O = OrganizationPermission;
const ORGANIZATION_MATRIX: Record<OrganizationRole, readonly OrganizationPermission[]> = {
  OWNER: [
    O.READ,
    O.UPDATE,
    O.DELETE,
    O.TRANSFER_OWNERSHIP,
    O.MANAGE_MEMBERS,
    O.MANAGE_OWNERS,
    O.CREATE_PROJECT,
    O.READ_ALL_PROJECTS,
    O.READ_AUDIT,
  ],
  ADMIN: [O.READ, O.UPDATE, O.MANAGE_MEMBERS, O.CREATE_PROJECT, O.READ_ALL_PROJECTS, O.READ_AUDIT],
  MEMBER: [O.READ],
};

const P = ProjectPermission;
const PROJECT_MATRIX: Record<ProjectRole, readonly ProjectPermission[]> = {
  MANAGER: [
    P.READ,
    P.UPDATE,
    P.MANAGE_POLICIES,
    P.MANAGE_END_USERS,
    P.MANAGE_MEMBERS,
    P.READ_AUDIT,
  ],
  CONTRIBUTOR: [P.READ, P.UPDATE, P.MANAGE_POLICIES, P.MANAGE_END_USERS],
  VIEWER: [P.READ],
};

/** The organization role a membership grants: a suspended membership grants nothing. */
export function activeOrganizationRole(
  membership: Membership<OrganizationRole> | null | undefined,
): OrganizationRole | null {
  return membership?.status === "ACTIVE" ? membership.role : null;
}

export function organizationPermissions(role: OrganizationRole | null): OrganizationPermission[] {
  return role ? [...ORGANIZATION_MATRIX[role]] : [];
}

export function hasOrganizationPermission(
  role: OrganizationRole | null,
  permission: OrganizationPermission,
): boolean {
  return role !== null && ORGANIZATION_MATRIX[role].includes(permission);
}

/**
 * The role someone acts with on a project: organization owners and admins act as managers of
 * every project; anyone else needs an active project role, and an active organization
 * membership, since leaving or being suspended from the organization ends access to its
 * projects.
 */
export function effectiveProjectRole(
  organization: Membership<OrganizationRole> | null | undefined,
  project: Membership<ProjectRole> | null | undefined,
): ProjectRole | null {
  const organizationRole = activeOrganizationRole(organization);
  if (organizationRole === null) return null;
  if (organizationRole === "OWNER" || organizationRole === "ADMIN") return "MANAGER";
  return project?.status === "ACTIVE" ? project.role : null;
}

/** Deleting a project belongs to the organization's owners alone, whatever their project role. */
export function projectPermissions(
  organization: Membership<OrganizationRole> | null | undefined,
  project: Membership<ProjectRole> | null | undefined,
): ProjectPermission[] {
  const role = effectiveProjectRole(organization, project);
  if (role === null) return [];
  const granted: ProjectPermission[] = [...PROJECT_MATRIX[role]];
  if (activeOrganizationRole(organization) === "OWNER") granted.push(P.DELETE);
  return granted;
}

/**
 * The one verdict for every check against the matrix, in shield and in the services alike:
 * null when `granted` holds `permission`; `notFound` when it holds nothing (someone outside
 * learns nothing, as for an id that does not exist); FORBIDDEN for a member without it.
 */
export function permissionRefusal(
  granted: readonly string[],
  permission: OrganizationPermission | ProjectPermission,
  notFound: ErrorSpec,
): AppError | null {
  if (granted.length === 0) return new AppError(notFound);
  return granted.includes(permission) ? null : new AppError(CommonErrors.FORBIDDEN);
}

/** Whether changing a member from `from` to `to` touches an owner (and needs MANAGE_OWNERS). */
export function touchesOwner(from: OrganizationRole | null, to: OrganizationRole | null): boolean {
  return from === "OWNER" || to === "OWNER";
}
