import { allow, rule } from "graphql-shield";
import { OrganizationPermission, ProjectPermission } from "../../auth/permissions";
import type { Context } from "../../graphql/context";
import {
  checkOrganizationPermission,
  checkProjectPermission,
  FORBIDDEN_ERROR,
} from "../../graphql/rules";
import { unauthenticated } from "../../graphql/viewer";

interface AuditArgs {
  organizationId?: string | null;
  projectId?: string | null;
}

/** A project's log for its managers, an organization's for its owners and admins, all of it
 * for platform admins. With both ids, the project decides (and the list keeps to both). */
const canReadAudit = rule({ cache: "no_cache" })(async (_parent, args: AuditArgs, ctx: Context) => {
  if (!ctx.viewer) return unauthenticated(ctx.accessExpired);
  if (args.projectId) {
    return checkProjectPermission(ctx, args.projectId, ProjectPermission.READ_AUDIT);
  }
  if (args.organizationId) {
    return checkOrganizationPermission(ctx, args.organizationId, OrganizationPermission.READ_AUDIT);
  }
  return ctx.viewer.user.platformRole === "ADMIN" ? true : FORBIDDEN_ERROR();
});

export const auditRules = {
  Query: { auditEvents: canReadAudit },
  AuditEvent: allow,
  AuditEventEdge: allow,
  AuditEventConnection: allow,
};
