import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { AppError } from "../../errors";
import { SessionErrors } from "../../auth/sessions";
import type { Context } from "../../graphql/context";
import { requireViewer } from "../../graphql/viewer";
import { toSession, toTokens } from "../sessions/sessions.mapper";
import type { AuthResult } from "./auth.service";
import {
  AuthPayload,
  ChangePasswordInput,
  LogInInput,
  LogInResult,
  SignUpInput,
} from "./auth.types";

/** Sets the cookies and shapes the payload; the refresh token enters the body only on request. */
function deliver(
  ctx: Context,
  result: AuthResult,
  returnRefreshToken: boolean | null | undefined,
): AuthPayload {
  ctx.setSessionCookies(result);
  ctx.actAs({ user: result.user, session: result.session });
  return {
    user: result.user,
    session: toSession(result.session, result.session.id),
    tokens: toTokens(result, returnRefreshToken),
  };
}

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: "Create a platform account and sign in" })
  async signUp(
    @Arg("input", () => SignUpInput) input: SignUpInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    const result = await ctx.services.auth.signUp(input, ctx.meta);
    return deliver(ctx, result, input.returnRefreshToken);
  }

  @Mutation(() => LogInResult)
  async logIn(
    @Arg("input", () => LogInInput) input: LogInInput,
    @Ctx() ctx: Context,
  ): Promise<typeof LogInResult> {
    const result = await ctx.services.auth.logIn(input, ctx.meta);
    return deliver(ctx, result, input.returnRefreshToken);
  }

  @Mutation(() => AuthPayload, {
    description:
      "Exchange a refresh token (argument, else the cookie) for new tokens. Pass the token " +
      "as an argument to receive the next one in the body.",
  })
  async refreshSession(
    @Arg("refreshToken", () => String, { nullable: true }) refreshToken: string | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    const token = refreshToken ?? ctx.refreshCookie;
    if (!token) throw new AppError(SessionErrors.INVALID_REFRESH_TOKEN);
    try {
      const result = await ctx.services.auth.refresh(token, ctx.meta);
      return deliver(ctx, result, Boolean(refreshToken));
    } catch (error) {
      // A dead refresh cookie is useless to the browser: clear it so it stops being sent.
      if (!refreshToken && error instanceof AppError && error.code === "UNAUTHENTICATED") {
        ctx.clearSessionCookies();
      }
      throw error;
    }
  }

  @Mutation(() => Boolean, {
    description:
      "End the current session (from the access token, else the refresh cookie). False when none was live.",
  })
  async logOut(@Ctx() ctx: Context): Promise<boolean> {
    ctx.clearSessionCookies();
    if (ctx.viewer) {
      return ctx.services.auth.logOut(ctx.viewer.session.id, ctx.viewer.user.id, ctx.meta);
    }
    if (ctx.refreshCookie) {
      const session = await ctx.services.sessions.findLiveByRefreshToken(
        ctx.refreshCookie,
        "platform",
      );
      if (session?.userId) return ctx.services.auth.logOut(session.id, session.userId, ctx.meta);
    }
    return false;
  }

  @Mutation(() => Boolean, { description: "Change the password; every other session ends" })
  async changePassword(
    @Arg("input", () => ChangePasswordInput) input: ChangePasswordInput,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await ctx.services.auth.changePassword(requireViewer(ctx), input, ctx.meta);
    return true;
  }
}
