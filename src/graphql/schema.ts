/**
 * Schema assembly: type-graphql builds the schema from the resolvers, graphql-shield wraps it
 * with the rules of every module. A field nobody wrote a rule for is closed (fallbackRule deny).
 */
import "reflect-metadata";
import type { GraphQLFieldResolver, GraphQLSchema } from "graphql";
import { applyMiddleware } from "graphql-middleware";
import { allow, deny, shield, type IRules } from "graphql-shield";
import { buildSchema } from "type-graphql";
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

type RuleMap = Record<string, Record<string, unknown> | unknown>;

/** A type's entry in a rule map is either one rule for every field or a map of field rules;
 * shield's rules are the objects with `resolve`. */
function isFieldRules(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !("resolve" in value);
}

/** Merges per-module rule maps type by type (Query and Mutation appear in several). */
export function mergeRules(...maps: RuleMap[]): IRules {
  const merged: Record<string, unknown> = {};
  for (const map of maps) {
    for (const [type, rules] of Object.entries(map)) {
      const existing = merged[type];
      if (existing && typeof existing === "object" && isFieldRules(rules)) {
        const overlap = Object.keys(rules).filter((k) => k in existing);
        if (overlap.length > 0)
          throw new Error(`Shield rules defined twice: ${type}.${overlap.join(", ")}`);
        merged[type] = { ...existing, ...rules };
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
    validate: false,
  });
}

type Resolver = GraphQLFieldResolver<unknown, Context> | undefined;

/** Every object type's field resolvers, by type and field (undefined: graphql's default). */
function resolversOf(schema: GraphQLSchema): Map<string, Map<string, Resolver>> {
  const found = new Map<string, Map<string, Resolver>>();
  for (const type of Object.values(schema.getTypeMap())) {
    // Object types and interfaces, by shape: graphql's isObjectType checks the realm (see limits.ts).
    if (type.name.startsWith("__") || !("getFields" in type && "getInterfaces" in type)) continue;
    const fields = new Map<string, Resolver>();
    for (const field of Object.values(type.getFields())) {
      fields.set(field.name, (field as { resolve?: Resolver }).resolve);
    }
    found.set(type.name, fields);
  }
  return found;
}

/** The rule shield applies to `type.field`: the type's rule, the field's, its "*", or the fallback. */
function ruleFor(rules: IRules, type: string, field: string): unknown {
  const typeRules = (rules as Record<string, unknown>)[type];
  if (typeRules === undefined) return deny;
  if (!isFieldRules(typeRules)) return typeRules;
  return typeRules[field] ?? typeRules["*"] ?? deny;
}

/**
 * Shield with two costs taken off the hot path, without changing what is allowed:
 * - A field whose rule is `allow` gets its own resolver back (for most fields graphql's default,
 *   synchronous): shield's wrapper there would only run a rule that always passes. Every other
 *   field keeps its wrapper, so a field nobody wrote a rule for is still closed.
 * - The request's loaders forget what they cached after each mutation field, so its result
 *   fields, later mutations and their rules read the state it left, not the one before. Only
 *   Mutation's fields are wrapped for that, not every field of every query.
 */
export function applyPermissions(bare: GraphQLSchema, rules: IRules): GraphQLSchema {
  const original = resolversOf(bare);
  const shielded = applyMiddleware(bare, createPermissions(rules));
  for (const [typeName, fields] of original) {
    const type = shielded.getType(typeName);
    if (!type || !("getFields" in type)) continue;
    const shieldedFields = type.getFields() as Record<string, { resolve?: Resolver }>;
    for (const [fieldName, resolve] of fields) {
      const field = shieldedFields[fieldName];
      if (field && ruleFor(rules, typeName, fieldName) === allow) field.resolve = resolve;
    }
  }
  const mutation = shielded.getMutationType();
  for (const field of Object.values(mutation?.getFields() ?? {})) {
    const resolve = field.resolve as GraphQLFieldResolver<unknown, Context>;
    field.resolve = async (parent, args, context, info) => {
      try {
        return await resolve(parent, args, context, info);
      } finally {
        context.loaders.clearAll();
      }
    };
  }
  return shielded;
}

export async function buildGatehouseSchema(): Promise<GraphQLSchema> {
  return applyPermissions(await buildBareSchema(), gatehouseRules);
}
