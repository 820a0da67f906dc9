import { createRequire } from "node:module";
import type * as GraphQL from "graphql";
import type { ValueNode } from "graphql";
import { DateTimeResolver, EmailAddressResolver, UUIDResolver } from "graphql-scalars";

// The class type-graphql and graphql-scalars use: graphql's CommonJS build, which is what Node
// loads for "graphql" (the test runner would pick the ESM build for our own files; see limits.ts).
const { GraphQLScalarType } = createRequire(import.meta.url)("graphql") as typeof GraphQL;

/**
 * UUIDs in their canonical lowercase form. PostgreSQL compares uuids regardless of letter case
 * but JavaScript compares strings exactly, so an id in capitals must never reach the services
 * as a different string from the same id read from the database.
 */
const UUIDScalar = new GraphQLScalarType({
  ...UUIDResolver.toConfig(),
  parseValue: (value: unknown) => (UUIDResolver.parseValue(value) as string).toLowerCase(),
  parseLiteral: (ast: ValueNode, variables?: Record<string, unknown> | null) =>
    (UUIDResolver.parseLiteral(ast, variables) as string).toLowerCase(),
});

export {
  DateTimeResolver as DateTimeScalar,
  EmailAddressResolver as EmailAddressScalar,
  UUIDScalar,
};
