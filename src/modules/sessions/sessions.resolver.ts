import { Arg, Ctx, Int, Mutation, Resolver } from "type-graphql";
import { AppError } from "../../errors";
import { SessionErrors } from "../../auth/sessions";
import type { Context } from "../../graphql/context";
import { UUIDScalar } from "../../graphql/scalars";
import { requireViewer } from "../../graphql/viewer";

@Resolver()
export class SessionsResolver {
  @Mutation(() => Boolean, { description: "End one of your own sessions" })
  async revokeSession(
    @Arg("id", () => UUIDScalar) id: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const viewer = requireViewer(ctx);
    const ended = await ctx.services.sessions.revokeOwn(viewer.user.id, id, ctx.meta);
    if (!ended) throw new AppError(SessionErrors.SESSION_NOT_FOUND);
    if (id === viewer.session.id) ctx.clearSessionCookies();
    return true;
  }

  @Mutation(() => Int, {
    description: "End all your sessions (or all but this one); returns how many ended",
  })
  async revokeAllSessions(
    @Arg("keepCurrent", () => Boolean, { nullable: true, defaultValue: false })
    keepCurrent: boolean | null,
    @Ctx() ctx: Context,
  ): Promise<number> {
    const viewer = requireViewer(ctx);
    const ended = await ctx.services.sessions.revokeAllOwn(
      viewer.user.id,
      keepCurrent ? viewer.session.id : null,
      ctx.meta,
    );
    if (!keepCurrent) ctx.clearSessionCookies();
    return ended;
  }
}
