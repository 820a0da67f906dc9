/**
 * Schema assembly: type-graphql builds the schema from the resolvers, graphql-shield wraps it
 * with the rules of every module. A field nobody wrote a rule for is closed (fallbackRule deny).
 */
import "reflect-metadata";
import type { GraphQLArgument, GraphQLFieldResolver, GraphQLSchema } from "graphql";
import { AppError } from "../errors";
import { applyMiddleware } from "graphql-middleware";
import { allow, deny, shield, type IRules } from "graphql-shield";
import { buildSchema } from "type-graphql";
import { AccountsResolver } from "../modules/accounts/accounts.resolver";
import { accountsRules } from "../modules/accounts/accounts.rules";
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
  AccountsResolver,
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
  accountsRules,
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
    const pathOf = inputPaths(field.args);
    field.resolve = async (parent, args, context, info) => {
      try {
        const result: unknown = await resolve(parent, args, context, info);
        // Shield hands a resolver's error back as the field's value rather than throwing it.
        if (result instanceof AppError && result.fields) throw withInputPaths(result, pathOf);
        return result;
      } catch (error) {
        throw error instanceof AppError && error.fields ? withInputPaths(error, pathOf) : error;
      } finally {
        context.loaders.clearAll();
      }
    };
  }
  return shielded;
}

/**
 * Where each name a service may report in `fields` sits among a mutation's arguments: an
 * argument is its own name, a field of an input-object argument is `argument.field`. Services
 * name the fields of what they were given; clients get the same paths graphql's own coercion
 * errors use ("input.email"), so a form places every error the same way.
 */
function inputPaths(args: readonly GraphQLArgument[]): Map<string, string> {
  const paths = new Map<string, string>();
  for (const arg of args) {
    let type: unknown = arg.type;
    while (type && typeof type === "object" && "ofType" in type) type = type.ofType;
    // Input objects by shape (no getInterfaces), for the realm reason in resolversOf.
    if (type && typeof type === "object" && "getFields" in type && !("getInterfaces" in type)) {
      const fields = (type as { getFields(): Record<string, unknown> }).getFields();
      for (const name of Object.keys(fields)) {
        if (!paths.has(name)) paths.set(name, `${arg.name}.${name}`);
      }
    }
  }
  for (const arg of args) paths.set(arg.name, arg.name);
  return paths;
}

function withInputPaths(error: AppError, pathOf: Map<string, string>): AppError {
  const fields = error.fields?.map((problem) => ({
    ...problem,
    field: pathOf.get(problem.field) ?? problem.field,
  }));
  return new AppError(
    { code: error.code, message: error.message },
    { fields, details: error.details },
  );
}

export async function buildGatehouseSchema(): Promise<GraphQLSchema> {
  return applyPermissions(await buildBareSchema(), gatehouseRules);
}
