import { allow } from "graphql-shield";
import { OrganizationPermission as P } from "../../auth/permissions";
import { isPlatformUser, organizationRule } from "../../graphql/rules";
import type { Organization, OrganizationMember } from "./organizations.types";

type OrgArgs = { organizationId: string; userId?: string };

const byOrganizationId = (_: unknown, args: OrgArgs) => args.organizationId;
const byId = (_: unknown, args: { id: string }) => args.id;

export const organizationsRules = {
  Query: { organization: isPlatformUser, organizations: isPlatformUser },
  Mutation: {
    createOrganization: isPlatformUser,
    updateOrganization: organizationRule(P.UPDATE, byId),
    deleteOrganization: organizationRule(P.DELETE, byId),
    addOrganizationMember: organizationRule(P.MANAGE_MEMBERS, byOrganizationId),
    updateOrganizationMember: organizationRule(P.MANAGE_MEMBERS, byOrganizationId),
    // Leaving needs only membership; removing someone else needs MANAGE_MEMBERS (and, for an
    // owner, MANAGE_OWNERS, which the service checks under the organization's lock).
    removeOrganizationMember: organizationRule<unknown, OrgArgs>(
      (args, ctx) => (args.userId === ctx.viewer?.user.id ? P.READ : P.MANAGE_MEMBERS),
      byOrganizationId,
    ),
    transferOrganizationOwnership: organizationRule(P.TRANSFER_OWNERSHIP, byOrganizationId),
  },
  // Organizations are only reachable through visible parents; every field checks again anyway.
  Organization: {
    "*": organizationRule<Organization>(P.READ, (organization) => organization.id),
    invitations: organizationRule<Organization>(P.MANAGE_MEMBERS, (o) => o.id),
  },
  OrganizationMember: organizationRule<OrganizationMember>(P.READ, (m) => m.organizationId),
  OrganizationEdge: allow,
  OrganizationConnection: allow,
  OrganizationMemberEdge: allow,
  OrganizationMemberConnection: allow,
  OrganizationMembershipConnection: allow,
};
