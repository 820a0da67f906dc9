import {
  Arg,
  Args,
  ArgsType,
  Ctx,
  Field,
  FieldResolver,
  Info,
  Mutation,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import {
  activeOrganizationRole,
  organizationPermissions,
  type OrganizationRole as Role,
} from "../../auth/permissions";
import { AppError, invalidInput } from "../../errors";
import type { GraphQLResolveInfo } from "graphql";
import type { Context } from "../../graphql/context";
import { MEMBER_USER, selectsPath } from "../../graphql/selection";
import { PageArgs, toConnection } from "../../graphql/connection";
import { EmailAddressScalar, UUIDScalar } from "../../graphql/scalars";
import { actorOf, requireViewer } from "../../graphql/viewer";
import { pageRequest } from "../../pagination";
import { User } from "../users/users.types";
import { OrganizationErrors } from "./organizations.errors";
import {
  MembershipStatus,
  Organization,
  OrganizationConnection,
  OrganizationMember,
  OrganizationMemberConnection,
  OrganizationMembershipConnection,
  OrganizationRole,
} from "./organizations.types";

@ArgsType()
class MembersArgs extends PageArgs {
  @Field(() => OrganizationRole, { nullable: true, description: "Only members with this role" })
  role?: `${OrganizationRole}` | null;
}

@Resolver(() => Organization)
export class OrganizationsResolver {
  @Query(() => Organization, {
    nullable: true,
    description: "An organization you are an active member of, by id or slug; null otherwise",
  })
  async organization(
    @Arg("id", () => UUIDScalar, { nullable: true }) id: string | null,
    @Arg("slug", () => String, { nullable: true }) slug: string | null,
    @Ctx() ctx: Context,
  ): Promise<Organization | null> {
    if ((id == null) === (slug == null)) {
      throw invalidInput(
        [{ field: id == null ? "id" : "slug", message: "give exactly one of id and slug" }],
        "Give exactly one of id and slug",
      );
    }
    return ctx.services.organizations.findVisible(requireViewer(ctx).user.id, { id, slug });
  }

  @Query(() => OrganizationConnection, {
    description: "The organizations you are an active member of",
  })
  async organizations(
    @Args(() => PageArgs) args: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<OrganizationConnection> {
    const page = await ctx.services.organizations.listForUser(
      requireViewer(ctx).user.id,
      pageRequest(args),
    );
    return toConnection(page);
  }

  @Mutation(() => Organization, { description: "Creates an organization with you as its owner" })
  async createOrganization(
    @Arg("name", () => String) name: string,
    @Arg("slug", () => String, { description: "3 to 48 of a-z, 0-9 and -" }) slug: string,
    @Ctx() ctx: Context,
  ): Promise<Organization> {
    return ctx.services.organizations.create(actorOf(ctx), { name, slug });
  }

  @Mutation(() => Organization)
  async updateOrganization(
    @Arg("id", () => UUIDScalar) id: string,
    @Arg("name", () => String, { nullable: true }) name: string | null,
    @Arg("slug", () => String, { nullable: true }) slug: string | null,
    @Ctx() ctx: Context,
  ): Promise<Organization> {
    return ctx.services.organizations.update(actorOf(ctx), id, { name, slug });
  }

  @Mutation(() => Boolean, {
    description: "Deletes the organization with its projects, memberships and invitations",
  })
  async deleteOrganization(
    @Arg("id", () => UUIDScalar) id: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await ctx.services.organizations.delete(actorOf(ctx), id);
    return true;
  }

  @Mutation(() => OrganizationMember, { description: "Adds an existing platform user by email" })
  async addOrganizationMember(
    @Arg("organizationId", () => UUIDScalar) organizationId: string,
    @Arg("email", () => EmailAddressScalar) email: string,
    @Arg("role", () => OrganizationRole) role: Role,
    @Ctx() ctx: Context,
  ): Promise<OrganizationMember> {
    return ctx.services.organizations.addMember(actorOf(ctx), organizationId, email, role);
  }

  @Mutation(() => OrganizationMember)
  async updateOrganizationMember(
    @Arg("organizationId", () => UUIDScalar) organizationId: string,
    @Arg("userId", () => UUIDScalar) userId: string,
    @Arg("role", () => OrganizationRole, { nullable: true }) role: Role | null,
    @Arg("status", () => MembershipStatus, { nullable: true }) status: `${MembershipStatus}` | null,
    @Ctx() ctx: Context,
  ): Promise<OrganizationMember> {
    return ctx.services.organizations.updateMember(actorOf(ctx), organizationId, userId, {
      role,
      status,
    });
  }

  @Mutation(() => Boolean, {
    description: "Removes a member (and their project roles); members may remove themselves",
  })
  async removeOrganizationMember(
    @Arg("organizationId", () => UUIDScalar) organizationId: string,
    @Arg("userId", () => UUIDScalar) userId: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await ctx.services.organizations.removeMember(actorOf(ctx), organizationId, userId);
    return true;
  }

  @Mutation(() => Organization, {
    description: "Makes another active member owner and you admin, in one step",
  })
  async transferOrganizationOwnership(
    @Arg("organizationId", () => UUIDScalar) organizationId: string,
    @Arg("userId", () => UUIDScalar) userId: string,
    @Ctx() ctx: Context,
  ): Promise<Organization> {
    return ctx.services.organizations.transferOwnership(actorOf(ctx), organizationId, userId);
  }

  @FieldResolver(() => OrganizationRole, {
    nullable: true,
    description: "Your role here; null when you are not an active member",
  })
  async viewerRole(@Root() organization: Organization, @Ctx() ctx: Context): Promise<Role | null> {
    return activeOrganizationRole(
      await ctx.loaders.organizations.viewerMembership.load(organization.id),
    );
  }

  @FieldResolver(() => [String], {
    description: "What you may do here, from the permission matrix (see the README)",
  })
  async viewerPermissions(
    @Root() organization: Organization,
    @Ctx() ctx: Context,
  ): Promise<string[]> {
    return organizationPermissions(
      activeOrganizationRole(
        await ctx.loaders.organizations.viewerMembership.load(organization.id),
      ),
    );
  }

  @FieldResolver(() => OrganizationMemberConnection, { description: "Members in joining order" })
  async members(
    @Root() organization: Organization,
    @Args(() => MembersArgs) args: MembersArgs,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<OrganizationMemberConnection> {
    const page = await ctx.loaders.organizations.membersPage.load({
      parentId: organization.id,
      page: pageRequest(args),
      filter: { role: args.role ?? null, withUsers: selectsPath(info, MEMBER_USER) },
    });
    return toConnection(page);
  }

  @FieldResolver(() => OrganizationMember, { nullable: true })
  async member(
    @Root() organization: Organization,
    @Arg("userId", () => UUIDScalar) userId: string,
    @Ctx() ctx: Context,
  ): Promise<OrganizationMember | null> {
    return ctx.loaders.organizations.membership.load(`${organization.id}|${userId}`);
  }
}

@Resolver(() => OrganizationMember)
export class OrganizationMemberResolver {
  @FieldResolver(() => User)
  async user(@Root() member: OrganizationMember, @Ctx() ctx: Context): Promise<User> {
    const user = await ctx.loaders.users.load(member.userId);
    if (!user) throw new AppError(OrganizationErrors.MEMBER_NOT_FOUND);
    return user;
  }

  @FieldResolver(() => Organization)
  async organization(
    @Root() member: OrganizationMember,
    @Ctx() ctx: Context,
  ): Promise<Organization> {
    const organization = await ctx.loaders.organizations.organizations.load(member.organizationId);
    if (!organization) throw new AppError(OrganizationErrors.NOT_FOUND);
    return organization;
  }

  @FieldResolver(() => Date, { description: "When the member joined" })
  joinedAt(@Root() member: OrganizationMember): Date {
    return member.createdAt;
  }
}

@Resolver(() => User)
export class UserOrganizationsResolver {
  @FieldResolver(() => OrganizationMembershipConnection, {
    description: "Your active memberships; only on the viewer",
  })
  async organizations(
    @Root() user: User,
    @Args(() => PageArgs) args: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<OrganizationMembershipConnection> {
    const page = await ctx.loaders.organizations.userMembershipsPage.load({
      parentId: user.id,
      page: pageRequest(args),
      filter: null,
    });
    return toConnection(page);
  }
}
