import { OrganizationPermission as P } from "../../auth/permissions";
import { isPlatformUser, organizationRule } from "../../graphql/rules";
import { allow } from "graphql-shield";
import type { Context } from "../../graphql/context";
import { InvitationErrors } from "./invitations.errors";
import type { OrganizationInvitation } from "./invitations.types";

/** The organization an invitation id belongs to; an unknown id is "not found" like a hidden one. */
async function invitationOrganization(_: unknown, args: { id: string }, ctx: Context) {
  return (await ctx.loaders.organizations.invitations.load(args.id))?.organizationId;
}

export const invitationsRules = {
  Mutation: {
    inviteOrganizationMember: organizationRule<unknown, { organizationId: string }>(
      P.MANAGE_MEMBERS,
      (_, args) => args.organizationId,
    ),
    // Whoever holds the token may try; the service checks the signed-in email against it.
    acceptOrganizationInvitation: isPlatformUser,
    revokeOrganizationInvitation: organizationRule(
      P.MANAGE_MEMBERS,
      invitationOrganization,
      InvitationErrors.NOT_FOUND,
    ),
  },
  OrganizationInvitation: organizationRule<OrganizationInvitation>(
    P.MANAGE_MEMBERS,
    (invitation) => invitation.organizationId,
  ),
  OrganizationInvitationEdge: allow,
  OrganizationInvitationConnection: allow,
};
