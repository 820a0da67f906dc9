/** Shield rules every module shares. Feature rules live in <feature>.rules.ts beside the feature. */
import { GraphQLError } from "graphql";
import { rule } from "graphql-shield";
import {
  activeOrganizationRole,
  organizationPermissions,
  permissionRefusal,
  projectPermissions,
  type OrganizationPermission,
  type ProjectPermission,
} from "../auth/permissions";
import type { ErrorSpec } from "../errors";
import { OrganizationErrors } from "../modules/organizations/organizations.errors";
import { ProjectErrors } from "../modules/projects/projects.errors";
import type { Context } from "./context";
import { unauthenticated } from "./viewer";

export const FORBIDDEN_ERROR = () =>
  new GraphQLError("You are not allowed to do this", { extensions: { code: "FORBIDDEN" } });

/** A signed-in platform user with a live session. */
export const isPlatformUser = rule({ cache: "contextual" })((_parent, _args, ctx: Context) =>
  ctx.viewer ? true : unauthenticated(ctx.accessExpired),
);

type IdOf<Parent, Args> = (
  parent: Parent,
  args: Args,
  ctx: Context,
) => string | null | undefined | Promise<string | null | undefined>;

/**
 * Whether the viewer's active organization role grants `permission` (from the one matrix).
 * Someone with no active membership learns nothing: the answer is NOT_FOUND, exactly as for an
 * id that does not exist. A member without the permission gets FORBIDDEN.
 */
export async function checkOrganizationPermission(
  ctx: Context,
  organizationId: string | null | undefined,
  permission: OrganizationPermission,
  notFound: ErrorSpec = OrganizationErrors.NOT_FOUND,
): Promise<true | Error> {
  if (!ctx.viewer) return unauthenticated(ctx.accessExpired);
  const membership = organizationId
    ? await ctx.loaders.organizations.viewerMembership.load(organizationId)
    : null;
  const granted = organizationPermissions(activeOrganizationRole(membership));
  return permissionRefusal(granted, permission, notFound) ?? true;
}

/** The same for projects, with the role the viewer acts with there (see effectiveProjectRole). */
export async function checkProjectPermission(
  ctx: Context,
  projectId: string | null | undefined,
  permission: ProjectPermission,
): Promise<true | Error> {
  if (!ctx.viewer) return unauthenticated(ctx.accessExpired);
  const access = projectId ? await ctx.loaders.projects.access.load(projectId) : null;
  const granted = access
    ? projectPermissions(access.organizationMembership, access.projectMembership)
    : [];
  return permissionRefusal(granted, permission, ProjectErrors.NOT_FOUND) ?? true;
}

/** A shield rule over checkOrganizationPermission, for the organization `organizationIdOf` names. */
export function organizationRule<Parent = unknown, Args = Record<string, unknown>>(
  permission: OrganizationPermission | ((args: Args, ctx: Context) => OrganizationPermission),
  organizationIdOf: IdOf<Parent, Args>,
  notFound: ErrorSpec = OrganizationErrors.NOT_FOUND,
) {
  return rule({ cache: "no_cache" })(async (parent: Parent, args: Args, ctx: Context) => {
    const needed = typeof permission === "function" ? permission(args, ctx) : permission;
    return checkOrganizationPermission(
      ctx,
      await organizationIdOf(parent, args, ctx),
      needed,
      notFound,
    );
  });
}

/** A shield rule over checkProjectPermission. */
export function projectRule<Parent = unknown, Args = Record<string, unknown>>(
  permission: ProjectPermission,
  projectIdOf: IdOf<Parent, Args>,
) {
  return rule({ cache: "no_cache" })(async (parent: Parent, args: Args, ctx: Context) =>
    checkProjectPermission(ctx, await projectIdOf(parent, args, ctx), permission),
  );
}
