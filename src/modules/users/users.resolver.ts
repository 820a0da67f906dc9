import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from "type-graphql";
import type { Context } from "../../graphql/context";
import { PageArgs, toConnection } from "../../graphql/connection";
import { requireViewer, unauthenticated } from "../../graphql/viewer";
import { pageRequest } from "../../pagination";
import { toSession } from "../sessions/sessions.mapper";
import { SessionConnection } from "../sessions/sessions.types";
import { UpdateProfileInput, User } from "./users.types";

@Resolver(() => User)
export class UsersResolver {
  @Query(() => User, {
    nullable: true,
    description:
      "The signed-in platform user, or null without credentials. UNAUTHENTICATED with " +
      "extensions.reason ACCESS_TOKEN_EXPIRED when the access token has expired (or only the " +
      "refresh cookie is left): refresh, then ask again.",
  })
  me(@Ctx() ctx: Context): User | null {
    if (ctx.viewer) return ctx.viewer.user;
    if (ctx.accessExpired) throw unauthenticated(true);
    return null;
  }

  @Mutation(() => User)
  async updateProfile(
    @Arg("input", () => UpdateProfileInput) input: UpdateProfileInput,
    @Ctx() ctx: Context,
  ): Promise<User> {
    return ctx.services.users.updateProfile(requireViewer(ctx).user, input, ctx.meta);
  }

  @FieldResolver(() => SessionConnection, { description: "Live sessions; only on the viewer" })
  async sessions(
    @Root() user: User,
    @Args(() => PageArgs) args: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<SessionConnection> {
    const viewer = requireViewer(ctx);
    const page = await ctx.services.sessions.listLive({ userId: user.id }, pageRequest(args));
    return toConnection({
      ...page,
      rows: page.rows.map((row) => toSession(row, viewer.session.id)),
    });
  }
}
