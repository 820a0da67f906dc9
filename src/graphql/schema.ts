/**
 * Schema assembly: type-graphql builds the schema from the resolvers, graphql-shield wraps it
 * with the rules of every module. A field nobody wrote a rule for is closed (fallbackRule deny).
 */
import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { applyMiddleware } from "graphql-middleware";
import { deny, shield, type IRules } from "graphql-shield";
import { buildSchema } from "type-graphql";
import { AuthResolver } from "../modules/auth/auth.resolver";
import { authRules } from "../modules/auth/auth.rules";
import { SessionsResolver } from "../modules/sessions/sessions.resolver";
import { sessionsRules } from "../modules/sessions/sessions.rules";
import { UsersResolver } from "../modules/users/users.resolver";
import { usersRules } from "../modules/users/users.rules";
import { FORBIDDEN_ERROR } from "./rules";
import { DateTimeScalar } from "./scalars";

const resolvers = [AuthResolver, UsersResolver, SessionsResolver] as const;

type RuleMap = Record<string, Record<string, unknown> | unknown>;

/** Merges per-module rule maps type by type (Query and Mutation appear in several). */
export function mergeRules(...maps: RuleMap[]): IRules {
  const merged: Record<string, unknown> = {};
  for (const map of maps) {
    for (const [type, rules] of Object.entries(map)) {
      const existing = merged[type];
      if (
        existing &&
        typeof existing === "object" &&
        typeof rules === "object" &&
        !("resolve" in (rules as object))
      ) {
        const overlap = Object.keys(rules as object).filter((k) => k in (existing as object));
        if (overlap.length > 0)
          throw new Error(`Shield rules defined twice: ${type}.${overlap.join(", ")}`);
        merged[type] = { ...(existing as object), ...(rules as object) };
      } else {
        if (existing) throw new Error(`Shield rules defined twice for type ${type}`);
        merged[type] = rules;
      }
    }
  }
  return merged as IRules;
}

/** Shield with the options that make it safe: closed by default, our error codes passed through. */
export function createPermissions(rules: IRules) {
  return shield(rules, {
    fallbackRule: deny,
    allowExternalErrors: true,
    fallbackError: FORBIDDEN_ERROR(),
  });
}

export const gatehouseRules = mergeRules(authRules, usersRules, sessionsRules);

/** The schema without authorization: what is printed to schema/schema.graphql. */
export function buildBareSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...resolvers],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: false,
  });
}

export async function buildGatehouseSchema(): Promise<GraphQLSchema> {
  return applyMiddleware(await buildBareSchema(), createPermissions(gatehouseRules));
}
