import type { GraphQLResolveInfo } from "graphql";
import { Arg, Args, Ctx, FieldResolver, Info, Mutation, Query, Resolver, Root } from "type-graphql";
import {
  effectiveProjectRole,
  projectPermissions,
  type MembershipStatus as Status,
  type ProjectRole as Role,
} from "../../auth/permissions";
import { AppError } from "../../errors";
import type { Context } from "../../graphql/context";
import { MEMBER_USER, selectsPath } from "../../graphql/selection";
import { PageArgs, toConnection } from "../../graphql/connection";
import { UUIDScalar } from "../../graphql/scalars";
import { actorOf } from "../../graphql/viewer";
import { pageRequest } from "../../pagination";
import { OrganizationErrors } from "../organizations/organizations.errors";
import { MembershipStatus, Organization } from "../organizations/organizations.types";
import { User } from "../users/users.types";
import { ProjectErrors } from "./projects.errors";
import {
  Project,
  ProjectConnection,
  ProjectMember,
  ProjectMemberConnection,
  ProjectRole,
} from "./projects.types";

const APP_URL_RULE =
  "Where links in end users' mail point: an absolute https URL, a path prefix allowed, no " +
  "credentials, query or fragment (http://localhost and http://127.0.0.1 outside production)";

@Resolver(() => Project)
export class ProjectsResolver {
  @Query(() => Project, {
    nullable: true,
    description:
      "A project you have a role in (or manage through the organization); null otherwise",
  })
  async project(
    @Arg("id", () => UUIDScalar) id: string,
    @Ctx() ctx: Context,
  ): Promise<Project | null> {
    const access = await ctx.loaders.projects.access.load(id);
    if (!access) return null;
    const role = effectiveProjectRole(access.organizationMembership, access.projectMembership);
    return role ? access.project : null;
  }

  @Mutation(() => Project, { description: "Creates a project with you as its manager" })
  async createProject(
    @Arg("organizationId", () => UUIDScalar) organizationId: string,
    @Arg("name", () => String) name: string,
    @Arg("description", () => String, { nullable: true }) description: string | null,
    @Arg("appUrl", () => String, { nullable: true, description: APP_URL_RULE })
    appUrl: string | null,
    @Ctx() ctx: Context,
  ): Promise<Project> {
    return ctx.services.projects.create(actorOf(ctx), organizationId, {
      name,
      description,
      appUrl,
    });
  }

  @Mutation(() => Project)
  async updateProject(
    @Arg("id", () => UUIDScalar) id: string,
    @Arg("name", () => String, { nullable: true }) name: string | null,
    @Arg("description", () => String, {
      nullable: true,
      description: "An empty string clears it",
    })
    description: string | null,
    @Arg("appUrl", () => String, {
      nullable: true,
      description: `${APP_URL_RULE}. An empty string clears it`,
    })
    appUrl: string | null,
    @Ctx() ctx: Context,
  ): Promise<Project> {
    // Omitted leaves the description and app URL alone; only an explicit value (or "") changes them.
    return ctx.services.projects.update(actorOf(ctx), id, {
      name,
      description: description ?? undefined,
      appUrl: appUrl ?? undefined,
    });
  }

  @Mutation(() => Boolean, { description: "Deletes the project and everything in it" })
  async deleteProject(@Arg("id", () => UUIDScalar) id: string, @Ctx() ctx: Context) {
    await ctx.services.projects.delete(actorOf(ctx), id);
    return true;
  }

  @Mutation(() => ProjectMember, {
    description: "Gives an active member of the organization a role in the project",
  })
  async addProjectMember(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("userId", () => UUIDScalar) userId: string,
    @Arg("role", () => ProjectRole) role: Role,
    @Ctx() ctx: Context,
  ): Promise<ProjectMember> {
    return ctx.services.projects.addMember(actorOf(ctx), projectId, userId, role);
  }

  @Mutation(() => ProjectMember)
  async updateProjectMember(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("userId", () => UUIDScalar) userId: string,
    @Arg("role", () => ProjectRole, { nullable: true }) role: Role | null,
    @Arg("status", () => MembershipStatus, { nullable: true }) status: Status | null,
    @Ctx() ctx: Context,
  ): Promise<ProjectMember> {
    return ctx.services.projects.updateMember(actorOf(ctx), projectId, userId, { role, status });
  }

  @Mutation(() => Boolean)
  async removeProjectMember(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("userId", () => UUIDScalar) userId: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await ctx.services.projects.removeMember(actorOf(ctx), projectId, userId);
    return true;
  }

  @FieldResolver(() => Organization)
  async organization(@Root() project: Project, @Ctx() ctx: Context): Promise<Organization> {
    const organization = await ctx.loaders.organizations.organizations.load(project.organizationId);
    if (!organization) throw new AppError(OrganizationErrors.NOT_FOUND);
    return organization;
  }

  @FieldResolver(() => ProjectRole, {
    nullable: true,
    description: "The role you act with here (MANAGER for organization owners and admins)",
  })
  async viewerRole(@Root() project: Project, @Ctx() ctx: Context): Promise<Role | null> {
    const access = await ctx.loaders.projects.access.load(project.id);
    return access
      ? effectiveProjectRole(access.organizationMembership, access.projectMembership)
      : null;
  }

  @FieldResolver(() => [String], {
    description: "What you may do here, from the permission matrix (see the README)",
  })
  async viewerPermissions(@Root() project: Project, @Ctx() ctx: Context): Promise<string[]> {
    const access = await ctx.loaders.projects.access.load(project.id);
    return access
      ? projectPermissions(access.organizationMembership, access.projectMembership)
      : [];
  }

  @FieldResolver(() => ProjectMemberConnection, {
    description: "Platform users with a role in this project, in joining order",
  })
  async members(
    @Root() project: Project,
    @Args(() => PageArgs) args: PageArgs,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ProjectMemberConnection> {
    const page = await ctx.loaders.projects.membersPage.load({
      parentId: project.id,
      page: pageRequest(args),
      filter: { withUsers: selectsPath(info, MEMBER_USER) },
    });
    return toConnection(page);
  }
}

@Resolver(() => ProjectMember)
export class ProjectMemberResolver {
  @FieldResolver(() => User)
  async user(@Root() member: ProjectMember, @Ctx() ctx: Context): Promise<User> {
    const user = await ctx.loaders.users.load(member.userId);
    if (!user) throw new AppError(ProjectErrors.MEMBER_NOT_FOUND);
    return user;
  }

  @FieldResolver(() => Project)
  async project(@Root() member: ProjectMember, @Ctx() ctx: Context): Promise<Project> {
    const access = await ctx.loaders.projects.access.load(member.projectId);
    if (!access) throw new AppError(ProjectErrors.NOT_FOUND);
    return access.project;
  }

  @FieldResolver(() => Date, { description: "When the member got a role in the project" })
  joinedAt(@Root() member: ProjectMember): Date {
    return member.createdAt;
  }
}

@Resolver(() => Organization)
export class OrganizationProjectsResolver {
  @FieldResolver(() => ProjectConnection, {
    description:
      "Every project for owners and admins; for members, the projects where they hold a role",
  })
  async projects(
    @Root() organization: Organization,
    @Args(() => PageArgs) args: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<ProjectConnection> {
    const page = await ctx.loaders.projects.organizationProjectsPage.load({
      parentId: organization.id,
      page: pageRequest(args),
      filter: null,
    });
    return toConnection(page);
  }
}
