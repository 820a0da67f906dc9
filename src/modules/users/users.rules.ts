import { allow, rule } from "graphql-shield";
import { FORBIDDEN_ERROR, isPlatformUser } from "../../graphql/rules";
import type { Context } from "../../graphql/context";
import type { User } from "./users.types";

/** Fields only the user themself may read (their sessions and memberships). */
const isSelf = rule({ cache: "strict" })((parent: User, _args, ctx: Context) =>
  ctx.viewer?.user.id === parent.id ? true : FORBIDDEN_ERROR(),
);

export const usersRules = {
  Query: { me: allow },
  Mutation: { updateProfile: isPlatformUser },
  User: { "*": allow, sessions: isSelf, organizations: isSelf },
  PageInfo: allow,
};
