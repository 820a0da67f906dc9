/**
 * Schema assembly: type-graphql builds the schema from the resolvers, graphql-shield wraps it
 * with the rules of every module. A field nobody wrote a rule for is closed (fallbackRule deny).
 */
import "reflect-metadata";
import type { GraphQLSchema } from "graphql";
import { applyMiddleware } from "graphql-middleware";
import { deny, shield, type IRules } from "graphql-shield";
import { buildSchema, type MiddlewareFn } from "type-graphql";
import { AuditResolver } from "../modules/audit/audit.resolver";
import { auditRules } from "../modules/audit/audit.rules";
import { AuthResolver } from "../modules/auth/auth.resolver";
import { EndUserAuthResolver } from "../modules/end-users/end-user-auth.resolver";
import { EndUsersResolver, ProjectEndUsersResolver } from "../modules/end-users/end-users.resolver";
import { endUsersRules } from "../modules/end-users/end-users.rules";
import { PoliciesResolver, ProjectPoliciesResolver } from "../modules/policies/policies.resolver";
import { policiesRules } from "../modules/policies/policies.rules";
import { authRules } from "../modules/auth/auth.rules";
import {
  InvitationsResolver,
  OrganizationInvitationsResolver,
} from "../modules/invitations/invitations.resolver";
import { invitationsRules } from "../modules/invitations/invitations.rules";
import {
  OrganizationMemberResolver,
  OrganizationsResolver,
  UserOrganizationsResolver,
} from "../modules/organizations/organizations.resolver";
import { organizationsRules } from "../modules/organizations/organizations.rules";
import {
  OrganizationProjectsResolver,
  ProjectMemberResolver,
  ProjectsResolver,
} from "../modules/projects/projects.resolver";
import { projectsRules } from "../modules/projects/projects.rules";
import { SessionsResolver } from "../modules/sessions/sessions.resolver";
import { sessionsRules } from "../modules/sessions/sessions.rules";
import { UsersResolver } from "../modules/users/users.resolver";
import { usersRules } from "../modules/users/users.rules";
import type { Context } from "./context";
import { FORBIDDEN_ERROR } from "./rules";
import { DateTimeScalar } from "./scalars";

const resolvers = [
  AuthResolver,
  UsersResolver,
  SessionsResolver,
  OrganizationsResolver,
  OrganizationMemberResolver,
  UserOrganizationsResolver,
  InvitationsResolver,
  OrganizationInvitationsResolver,
  ProjectsResolver,
  ProjectMemberResolver,
  OrganizationProjectsResolver,
  PoliciesResolver,
  ProjectPoliciesResolver,
  EndUserAuthResolver,
  EndUsersResolver,
  ProjectEndUsersResolver,
  AuditResolver,
] as const;

/**
 * After each mutation the request's loaders forget what they cached, so the mutation's result
 * fields, later mutations and their shield rules read the state it left, not the one before.
 */
const clearLoadersAfterMutations: MiddlewareFn<Context> = async ({ context, info }, next) => {
  if (info.parentType.name !== "Mutation") return next();
  try {
    return await next();
  } finally {
    context.loaders.clearAll();
  }
};

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

export const gatehouseRules = mergeRules(
  authRules,
  usersRules,
  sessionsRules,
  organizationsRules,
  invitationsRules,
  projectsRules,
  policiesRules,
  endUsersRules,
  auditRules,
);

/** The schema without authorization: what is printed to schema/schema.graphql. */
export function buildBareSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [...resolvers],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    globalMiddlewares: [clearLoadersAfterMutations],
    validate: false,
  });
}

export async function buildGatehouseSchema(): Promise<GraphQLSchema> {
  return applyMiddleware(await buildBareSchema(), createPermissions(gatehouseRules));
}
