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
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The library also accepts braces and URNs ("{…}", "urn:uuid:…"), leaving some of them on the
 * value: only the 36-character form may pass, or one id would have several spellings (cookie
 * names, rate-limit keys) that PostgreSQL all reads as the same uuid. */
function canonical(value: string): string {
  const lower = value.toLowerCase();
  if (!CANONICAL_UUID.test(lower)) {
    throw new TypeError(`Value is not a UUID in its 36-character form: ${value.slice(0, 64)}`);
  }
  return lower;
}

const UUIDScalar = new GraphQLScalarType({
  ...UUIDResolver.toConfig(),
  parseValue: (value: unknown) => canonical(UUIDResolver.parseValue(value) as string),
  parseLiteral: (ast: ValueNode, variables?: Record<string, unknown> | null) =>
    canonical(UUIDResolver.parseLiteral(ast, variables) as string),
});

export {
  DateTimeResolver as DateTimeScalar,
  EmailAddressResolver as EmailAddressScalar,
  UUIDScalar,
};
