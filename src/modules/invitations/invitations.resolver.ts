import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import type { OrganizationRole as Role } from "../../auth/permissions";
import type { Context } from "../../graphql/context";
import { PageArgs, toConnection } from "../../graphql/connection";
import { EmailAddressScalar, UUIDScalar } from "../../graphql/scalars";
import { actorOf, requireViewer } from "../../graphql/viewer";
import { pageRequest } from "../../pagination";
import {
  Organization,
  OrganizationMember,
  OrganizationRole,
} from "../organizations/organizations.types";
import { User } from "../users/users.types";
import { invitationStatus } from "./invitations.service";
import {
  InvitationStatus,
  OrganizationInvitation,
  OrganizationInvitationConnection,
} from "./invitations.types";

@Resolver(() => OrganizationInvitation)
export class InvitationsResolver {
  @Mutation(() => OrganizationInvitation, {
    description:
      "Emails a single-use invitation (valid 7 days); re-inviting an address replaces its token",
  })
  async inviteOrganizationMember(
    @Arg("organizationId", () => UUIDScalar) organizationId: string,
    @Arg("email", () => EmailAddressScalar) email: string,
    @Arg("role", () => OrganizationRole) role: Role,
    @Ctx() ctx: Context,
  ): Promise<OrganizationInvitation> {
    return ctx.services.invitations.invite(actorOf(ctx), organizationId, email, role);
  }

  @Mutation(() => OrganizationMember, {
    description: "Joins the organization; you must be signed in with the invited email address",
  })
  async acceptOrganizationInvitation(
    @Arg("token", () => String) token: string,
    @Ctx() ctx: Context,
  ): Promise<OrganizationMember> {
    return ctx.services.invitations.accept(requireViewer(ctx).user, token, actorOf(ctx));
  }

  @Mutation(() => Boolean)
  async revokeOrganizationInvitation(
    @Arg("id", () => UUIDScalar) id: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await ctx.services.invitations.revoke(actorOf(ctx), id);
    return true;
  }

  @FieldResolver(() => User)
  async invitedBy(@Root() invitation: OrganizationInvitation, @Ctx() ctx: Context): Promise<User> {
    const user = await ctx.loaders.users.load(invitation.invitedByUserId);
    // The inviter's row cannot go while the invitation stands (ON DELETE CASCADE).
    if (!user) throw new Error(`Inviter ${invitation.invitedByUserId} not found`);
    return user;
  }

  @FieldResolver(() => InvitationStatus)
  status(@Root() invitation: OrganizationInvitation, @Ctx() ctx: Context): InvitationStatus {
    return invitationStatus(invitation, ctx.services.clock()) as InvitationStatus;
  }
}

@Resolver(() => Organization)
export class OrganizationInvitationsResolver {
  @FieldResolver(() => OrganizationInvitationConnection, {
    description: "Every invitation, newest first, with its status",
  })
  async invitations(
    @Root() organization: Organization,
    @Args(() => PageArgs) args: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<OrganizationInvitationConnection> {
    const page = await ctx.loaders.organizations.invitationsPage.load({
      parentId: organization.id,
      page: pageRequest(args),
      filter: null,
    });
    return toConnection(page);
  }
}
