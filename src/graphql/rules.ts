/** Shield rules every module shares. Feature rules live in <feature>.rules.ts beside the feature. */
import { GraphQLError } from "graphql";
import { rule } from "graphql-shield";
import type { Context } from "./context";

export const UNAUTHENTICATED_ERROR = () =>
  new GraphQLError("You must be signed in", { extensions: { code: "UNAUTHENTICATED" } });
export const FORBIDDEN_ERROR = () =>
  new GraphQLError("You are not allowed to do this", { extensions: { code: "FORBIDDEN" } });

/** A signed-in platform user with a live session. */
export const isPlatformUser = rule({ cache: "contextual" })((_parent, _args, ctx: Context) =>
  ctx.viewer ? true : UNAUTHENTICATED_ERROR(),
);
