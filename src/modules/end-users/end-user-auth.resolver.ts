import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import { AppError } from "../../errors";
import { SessionErrors } from "../../auth/sessions";
import type { Context } from "../../graphql/context";
import { unauthenticated } from "../../graphql/viewer";
import { UUIDScalar } from "../../graphql/scalars";
import { toSession, toTokens } from "../sessions/sessions.mapper";
import type { EndUserAuthResult, EndUserViewer } from "./end-user-auth.service";
import {
  EndUser,
  EndUserAuthPayload,
  EndUserLogInInput,
  EndUserLogInResult,
  EndUserSignUpInput,
} from "./end-users.types";

/** Shield has already refused callers without an end-user session here; this narrows the type. */
export async function requireEndUser(ctx: Context, projectId: string): Promise<EndUserViewer> {
  const viewer = await ctx.endUser(projectId);
  if (!viewer) throw unauthenticated(await ctx.endUserAccessExpired(projectId));
  return viewer;
}

/** Sets the project's cookies and shapes the payload, as the platform flows do. */
function deliver(
  ctx: Context,
  projectId: string,
  result: EndUserAuthResult,
  returnRefreshToken: boolean | null | undefined,
): EndUserAuthPayload {
  ctx.setEndUserCookies(projectId, result);
  ctx.actAsEndUser(projectId, { endUser: result.endUser, session: result.session });
  return {
    endUser: result.endUser,
    session: toSession(result.session, result.session.id),
    tokens: toTokens(result, returnRefreshToken),
  };
}

@Resolver()
export class EndUserAuthResolver {
  @Query(() => EndUser, {
    nullable: true,
    description:
      "The signed-in end user of this project (bearer token or its cookie), or null without " +
      "credentials. UNAUTHENTICATED with extensions.reason ACCESS_TOKEN_EXPIRED when the access " +
      "token has expired (or only the refresh cookie is left): refresh, then ask again.",
  })
  async endUserMe(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Ctx() ctx: Context,
  ): Promise<EndUser | null> {
    const viewer = await ctx.endUser(projectId);
    if (viewer) return viewer.endUser;
    if (await ctx.endUserAccessExpired(projectId)) throw unauthenticated(true);
    return null;
  }

  @Mutation(() => EndUserAuthPayload, {
    description:
      "Create an end user in this project and sign in, under its policies (FAILED_PRECONDITION " +
      "until the project has a password policy and a project policy)",
  })
  async endUserSignUp(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("input", () => EndUserSignUpInput) input: EndUserSignUpInput,
    @Ctx() ctx: Context,
  ): Promise<EndUserAuthPayload> {
    const result = await ctx.services.endUserAuth.signUp(projectId, input, ctx.meta);
    return deliver(ctx, projectId, result, input.returnRefreshToken);
  }

  @Mutation(() => EndUserLogInResult)
  async endUserLogIn(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("input", () => EndUserLogInInput) input: EndUserLogInInput,
    @Ctx() ctx: Context,
  ): Promise<typeof EndUserLogInResult> {
    const result = await ctx.services.endUserAuth.logIn(projectId, input, ctx.meta);
    return deliver(ctx, projectId, result, input.returnRefreshToken);
  }

  @Mutation(() => EndUserAuthPayload, {
    description: "Exchange this project's refresh token (argument, else its cookie) for new tokens",
  })
  async endUserRefreshSession(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("refreshToken", () => String, { nullable: true }) refreshToken: string | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<EndUserAuthPayload> {
    const token = refreshToken ?? ctx.endUserRefreshCookie(projectId);
    if (!token) throw new AppError(SessionErrors.INVALID_REFRESH_TOKEN);
    try {
      const result = await ctx.services.endUserAuth.refresh(projectId, token, ctx.meta);
      return deliver(ctx, projectId, result, Boolean(refreshToken));
    } catch (error) {
      // A dead refresh cookie is useless to the browser: clear it so it stops being sent.
      if (!refreshToken && error instanceof AppError && error.code !== "SERVICE_UNAVAILABLE") {
        ctx.clearEndUserCookies(projectId);
      }
      throw error;
    }
  }

  @Mutation(() => Boolean, {
    description:
      "End this project's current end-user session (access token, else refresh cookie). " +
      "False when none was live.",
  })
  async endUserLogOut(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    ctx.clearEndUserCookies(projectId);
    const viewer = await ctx.endUser(projectId);
    if (viewer) return ctx.services.endUserAuth.logOut(viewer.session, ctx.meta);
    const cookie = ctx.endUserRefreshCookie(projectId);
    if (cookie) {
      const session = await ctx.services.sessions.findLiveByRefreshToken(cookie, { projectId });
      if (session) return ctx.services.endUserAuth.logOut(session, ctx.meta);
    }
    return false;
  }

  @Mutation(() => EndUser, { description: "An empty phone clears it (where the policy allows)" })
  async updateEndUserProfile(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("fullName", () => String, { nullable: true }) fullName: string | null,
    @Arg("phone", () => String, { nullable: true }) phone: string | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<EndUser> {
    const viewer = await requireEndUser(ctx, projectId);
    return ctx.services.endUserAuth.updateProfile(viewer, { fullName, phone }, ctx.meta);
  }

  @Mutation(() => Boolean, {
    description: "Checked against the project's password policy; every other session ends",
  })
  async endUserChangePassword(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("currentPassword", () => String) currentPassword: string,
    @Arg("newPassword", () => String) newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const viewer = await requireEndUser(ctx, projectId);
    await ctx.services.endUserAuth.changePassword(
      viewer,
      { currentPassword, newPassword },
      ctx.meta,
    );
    return true;
  }
}
