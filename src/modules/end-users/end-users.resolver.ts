import { Arg, Args, Ctx, FieldResolver, Int, Mutation, Resolver, Root } from "type-graphql";
import { AppError } from "../../errors";
import type { Context } from "../../graphql/context";
import { PageArgs, toConnection } from "../../graphql/connection";
import { UUIDScalar } from "../../graphql/scalars";
import { actorOf } from "../../graphql/viewer";
import { pageRequest } from "../../pagination";
import { ProjectErrors } from "../projects/projects.errors";
import { Project } from "../projects/projects.types";
import { toSession } from "../sessions/sessions.mapper";
import { SessionConnection } from "../sessions/sessions.types";
import { endUserFilter } from "./end-users.loaders";
import { EndUser, EndUserConnection, EndUserListArgs } from "./end-users.types";

@Resolver(() => EndUser)
export class EndUsersResolver {
  @Mutation(() => EndUser, {
    description:
      "Set an end user's role and status (within the project policy's lists; an empty string " +
      "clears). A blocked status ends their sessions at once.",
  })
  async updateEndUser(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("id", () => UUIDScalar) id: string,
    @Arg("role", () => String, { nullable: true }) role: string | null,
    @Arg("status", () => String, { nullable: true }) status: string | null,
    @Ctx() ctx: Context,
  ): Promise<EndUser> {
    return ctx.services.endUsers.update(actorOf(ctx), projectId, id, { role, status });
  }

  @Mutation(() => Boolean, { description: "Deletes the end user; their sessions end at once" })
  async deleteEndUser(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("id", () => UUIDScalar) id: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await ctx.services.endUsers.delete(actorOf(ctx), projectId, id);
    return true;
  }

  @Mutation(() => Int, { description: "Ends every session of the end user; returns how many" })
  async revokeEndUserSessions(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("id", () => UUIDScalar) id: string,
    @Ctx() ctx: Context,
  ): Promise<number> {
    return ctx.services.endUsers.revokeSessions(actorOf(ctx), projectId, id);
  }

  @FieldResolver(() => Project, { description: "Readable by project staff, not by end users" })
  async project(@Root() endUser: EndUser, @Ctx() ctx: Context): Promise<Project> {
    const access = await ctx.loaders.projects.access.load(endUser.projectId);
    if (!access) throw new AppError(ProjectErrors.NOT_FOUND);
    return access.project;
  }

  @FieldResolver(() => SessionConnection, { description: "Live sessions, newest first" })
  async sessions(
    @Root() endUser: EndUser,
    @Args(() => PageArgs) args: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<SessionConnection> {
    const self = await ctx.endUser(endUser.projectId);
    const page = await ctx.services.sessions.listLive(
      { endUserId: endUser.id, projectId: endUser.projectId },
      pageRequest(args),
    );
    const current = self?.endUser.id === endUser.id ? self.session.id : null;
    return toConnection({ ...page, rows: page.rows.map((row) => toSession(row, current)) });
  }
}

@Resolver(() => Project)
export class ProjectEndUsersResolver {
  @FieldResolver(() => EndUserConnection, {
    description: "The project's end users, oldest first; search matches email or name",
  })
  async endUsers(
    @Root() project: Project,
    @Args(() => EndUserListArgs) args: EndUserListArgs,
    @Ctx() ctx: Context,
  ): Promise<EndUserConnection> {
    const page = await ctx.loaders.endUsers.projectPage.load({
      parentId: project.id,
      page: pageRequest(args),
      filter: endUserFilter(args),
    });
    return toConnection(page);
  }

  @FieldResolver(() => EndUser, { nullable: true, description: "Null unless it is this project's" })
  async endUser(
    @Root() project: Project,
    @Arg("id", () => UUIDScalar) id: string,
    @Ctx() ctx: Context,
  ): Promise<EndUser | null> {
    const row = await ctx.loaders.endUsers.byId.load(id);
    return row?.projectId === project.id ? row : null;
  }
}
