import { allow, rule } from "graphql-shield";
import { FORBIDDEN_ERROR, isPlatformUser } from "../../graphql/rules";
import type { Context } from "../../graphql/context";
import type { User } from "./users.types";

const isSelfUser = (user: User, ctx: Context) => ctx.viewer?.user.id === user.id;

/** Fields only the user themself may read: their sessions and memberships. */
const isSelf = rule({ cache: "no_cache" })((parent: User, _args, ctx: Context) =>
  isSelfUser(parent, ctx) ? true : FORBIDDEN_ERROR(),
);

/** Private details: fellow members see a name, an email, the platform role and security
 * status, not these. (Nullable, so a refusal blanks the field, not the member list.) */
const isSelfOrPlatformAdmin = rule({ cache: "no_cache" })((parent: User, _args, ctx: Context) =>
  isSelfUser(parent, ctx) || ctx.viewer?.user.platformRole === "ADMIN" ? true : FORBIDDEN_ERROR(),
);

export const usersRules = {
  Query: { me: allow },
  Mutation: { updateProfile: isPlatformUser },
  User: {
    "*": allow,
    sessions: isSelf,
    organizations: isSelf,
    phone: isSelfOrPlatformAdmin,
  },
  PageInfo: allow,
};
