import { allow, rule } from "graphql-shield";
import { ProjectPermission as P } from "../../auth/permissions";
import type { Context } from "../../graphql/context";
import { checkProjectPermission, projectRule } from "../../graphql/rules";
import { unauthenticated } from "../../graphql/viewer";
import type { EndUser } from "./end-users.types";

const byProjectId = (_: unknown, args: { projectId: string }) => args.projectId;

/** Signed in as an end user of the project the arguments name. A platform token, or another
 * project's, is not: each project is its own token audience. */
export const isEndUserOfProject = rule({ cache: "no_cache" })(
  async (_parent, args: { projectId: string }, ctx: Context) =>
    (await ctx.endUser(args.projectId))
      ? true
      : unauthenticated(await ctx.endUserAccessExpired(args.projectId)),
);

/** The end user themself, or platform users who may read the project (VIEWER and up). */
async function selfOrStaff(endUser: EndUser, ctx: Context): Promise<true | Error> {
  const self = await ctx.endUser(endUser.projectId);
  if (self?.endUser.id === endUser.id) return true;
  return checkProjectPermission(ctx, endUser.projectId, P.READ);
}

const mayReadEndUser = rule({ cache: "no_cache" })((endUser: EndUser, _args, ctx: Context) =>
  selfOrStaff(endUser, ctx),
);

/** The same, or a request that has just redeemed a link mailed to this end user (verification,
 * email change): it sees the account it confirmed, not its phone, sessions or project. */
const mayReadEndUserProfile = rule({ cache: "no_cache" })(
  (endUser: EndUser, _args, ctx: Context) =>
    ctx.provenEndUserIds.has(endUser.id) ? true : selfOrStaff(endUser, ctx),
);

const manage = projectRule(P.MANAGE_END_USERS, byProjectId);

export const endUsersRules = {
  Query: { endUserMe: allow },
  Mutation: {
    // Anyone may try to sign up or in; the project's policies and the rate limits guard these.
    endUserSignUp: allow,
    endUserLogIn: allow,
    endUserRefreshSession: allow,
    endUserLogOut: allow,
    updateEndUserProfile: isEndUserOfProject,
    endUserChangePassword: isEndUserOfProject,
    updateEndUser: manage,
    deleteEndUser: manage,
    revokeEndUserSessions: manage,
  },
  EndUser: {
    "*": mayReadEndUserProfile,
    phone: mayReadEndUser,
    sessions: mayReadEndUser,
    project: mayReadEndUser,
  },
  EndUserEdge: allow,
  EndUserConnection: allow,
  EndUserAuthPayload: allow,
};
