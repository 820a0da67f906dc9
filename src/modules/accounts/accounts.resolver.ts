/**
 * The two doors onto the account flows: the platform's mutations and each project's end-user
 * twins (`endUser…`, scoped by `projectId`). Each picks its pool and calls the same flow.
 */
import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import type { Context } from "../../graphql/context";
import { EmailAddressScalar, UUIDScalar } from "../../graphql/scalars";
import { requireViewer } from "../../graphql/viewer";
import { requireEndUser } from "../end-users/end-user-auth.resolver";
import { EndUser } from "../end-users/end-users.types";
import { User } from "../users/users.types";
import { loadProjectPool } from "./account-pool";

const platformPool = (ctx: Context) => ctx.services.platformPool;
const projectPool = (ctx: Context, projectId: string) =>
  loadProjectPool(ctx.services.db, projectId);

@Resolver()
export class AccountsResolver {
  @Mutation(() => Boolean, {
    description:
      "Mail the signed-in user a new verification link (rate-limited); false when already verified",
  })
  async requestEmailVerification(@Ctx() ctx: Context): Promise<boolean> {
    const { user } = requireViewer(ctx);
    return ctx.services.accountFlows.requestEmailVerification(platformPool(ctx), user, ctx.meta);
  }

  @Mutation(() => User, {
    description: "Mark the address a verification link was sent to as verified",
  })
  async verifyEmail(@Arg("token", () => String) token: string, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.accountFlows.verifyEmail(platformPool(ctx), token, ctx.meta);
  }

  @Mutation(() => Boolean, {
    description:
      "Mail a password-reset link. True whether or not the address has an account (and in " +
      "about the same time)",
  })
  async requestPasswordReset(
    @Arg("email", () => EmailAddressScalar) email: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.accountFlows.requestPasswordReset(platformPool(ctx), email, ctx.meta);
  }

  @Mutation(() => Boolean, {
    description:
      "Set a new password with a reset link's token; ends every session of the account and " +
      "marks its email verified",
  })
  async resetPassword(
    @Arg("token", () => String) token: string,
    @Arg("newPassword", () => String) newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.accountFlows.resetPassword(
      platformPool(ctx),
      { token, newPassword },
      ctx.meta,
    );
  }

  @Mutation(() => Boolean, {
    description:
      "Mail a confirmation link to a new address; the current one stays until it is confirmed",
  })
  async requestEmailChange(
    @Arg("newEmail", () => EmailAddressScalar) newEmail: string,
    @Arg("currentPassword", () => String) currentPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const { user, session } = requireViewer(ctx);
    return ctx.services.accountFlows.requestEmailChange(
      platformPool(ctx),
      { account: user, session },
      { newEmail, currentPassword },
      ctx.meta,
    );
  }

  @Mutation(() => User, {
    description:
      "Switch to the address the link was sent to; notifies the old one and ends the account's " +
      "other sessions",
  })
  async confirmEmailChange(
    @Arg("token", () => String) token: string,
    @Ctx() ctx: Context,
  ): Promise<User> {
    return ctx.services.accountFlows.confirmEmailChange(
      platformPool(ctx),
      token,
      ctx.viewer?.session.id ?? null,
      ctx.meta,
    );
  }

  @Mutation(() => Boolean, {
    description:
      "Mail the signed-in end user a new verification link (rate-limited); false when already verified",
  })
  async endUserRequestEmailVerification(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const { endUser } = await requireEndUser(ctx, projectId);
    return ctx.services.accountFlows.requestEmailVerification(
      await projectPool(ctx, projectId),
      endUser,
      ctx.meta,
    );
  }

  @Mutation(() => EndUser)
  async endUserVerifyEmail(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("token", () => String) token: string,
    @Ctx() ctx: Context,
  ): Promise<EndUser> {
    const endUser = await ctx.services.accountFlows.verifyEmail(
      await projectPool(ctx, projectId),
      token,
      ctx.meta,
    );
    // Whoever holds the mailed token may read the account it proved.
    ctx.provenEndUserIds.add(endUser.id);
    return endUser;
  }

  @Mutation(() => Boolean, {
    description: "True whether or not the address has an account in this project",
  })
  async endUserRequestPasswordReset(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("email", () => EmailAddressScalar) email: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.accountFlows.requestPasswordReset(
      await projectPool(ctx, projectId),
      email,
      ctx.meta,
    );
  }

  @Mutation(() => Boolean, { description: "Ends every session of the end user" })
  async endUserResetPassword(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("token", () => String) token: string,
    @Arg("newPassword", () => String) newPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.accountFlows.resetPassword(
      await projectPool(ctx, projectId),
      { token, newPassword },
      ctx.meta,
    );
  }

  @Mutation(() => Boolean)
  async endUserRequestEmailChange(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("newEmail", () => EmailAddressScalar) newEmail: string,
    @Arg("currentPassword", () => String) currentPassword: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const { endUser, session } = await requireEndUser(ctx, projectId);
    return ctx.services.accountFlows.requestEmailChange(
      await projectPool(ctx, projectId),
      { account: endUser, session },
      { newEmail, currentPassword },
      ctx.meta,
    );
  }

  @Mutation(() => EndUser)
  async endUserConfirmEmailChange(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Arg("token", () => String) token: string,
    @Ctx() ctx: Context,
  ): Promise<EndUser> {
    const viewer = await ctx.endUser(projectId);
    const endUser = await ctx.services.accountFlows.confirmEmailChange(
      await projectPool(ctx, projectId),
      token,
      viewer?.session.id ?? null,
      ctx.meta,
    );
    ctx.provenEndUserIds.add(endUser.id);
    return endUser;
  }
}
