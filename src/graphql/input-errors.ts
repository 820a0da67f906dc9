/**
 * Field paths for graphql's own input errors, so that a form can place them like the rules
 * services check: a variable or argument literal that fails its type (EmailAddress, UUID,
 * DateTime, a missing or unknown input field) answers `extensions.fields: [{ field, message }]`
 * with the path graphql reports — `input.email` for `$input`'s email, `input.tags[1]` in a list.
 * graphql-js says where only in its messages (Apollo reads them the same way) and, for
 * literals, in the error's position in the document.
 */
import { Kind, parse, visit, type ASTNode, type GraphQLError, type Source } from "graphql";
import type { FieldProblem } from "../errors";

const VARIABLE_VALUE = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" got invalid value /;
const VARIABLE_MISSING =
  /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" of (?:required|non-null) type "[^"]+" (?:was not provided|must not be null)\.$/;
const AT_PATH = / at "([^"]+)"$/;
/** graphql's reasons that name a field below the path: missing and unknown input fields. */
const MISSING_FIELD =
  /^Field "(?:[_A-Za-z][_0-9A-Za-z]*\.)?([_A-Za-z][_0-9A-Za-z]*)" (?:of required type |is not defined by type )/;
const LITERAL_PREFIX = /^Expected value of type "[^"]+", found .*?; /s;

const VALUE_KINDS = new Set<string>([
  Kind.INT,
  Kind.FLOAT,
  Kind.STRING,
  Kind.BOOLEAN,
  Kind.NULL,
  Kind.ENUM,
  Kind.LIST,
  Kind.OBJECT,
  Kind.OBJECT_FIELD,
]);

/** A missing or unknown field's reason is about the object at `path`; the problem is the
 * field in it (unless `path` already ends at that field, as a literal's unknown field does). */
function problem(path: string, reason: string, atField = false): FieldProblem {
  const named = atField ? null : MISSING_FIELD.exec(reason);
  return { field: named ? `${path}.${named[1]}` : path, message: reason };
}

/** The message of the error graphql wrapped (the scalar's own), when the message ends with it. */
function innerReason(message: string, error: GraphQLError): string | null {
  const inner = (error.originalError as { message?: unknown } | undefined)?.message;
  return typeof inner === "string" && inner !== message && message.endsWith(`; ${inner}`)
    ? inner
    : null;
}

function variableProblem(message: string, error: GraphQLError): FieldProblem | null {
  const missing = VARIABLE_MISSING.exec(message);
  if (missing) return { field: missing[1]!, message: "is required" };
  const invalid = VARIABLE_VALUE.exec(message);
  if (!invalid) return null;
  const name = invalid[1]!;
  const inner = innerReason(message, error);
  // Without a wrapped error, graphql's own reason follows the last "; " (it contains none).
  const cut = inner !== null ? message.length - inner.length - 2 : message.lastIndexOf("; ");
  if (cut < 0) return null;
  const reason = inner ?? message.slice(cut + 2);
  const at = AT_PATH.exec(message.slice(0, cut));
  return problem(at ? at[1]! : name, reason);
}

/** The argument path of the value node at `position` of the document, e.g. `input.emails[0]`. */
function literalPath(source: Source, position: number): { path: string; atField: boolean } | null {
  let found: { path: string; atField: boolean } | null = null;
  // The body, not the Source: graphql refuses a Source from its other build (CommonJS or ESM).
  visit(parse(source.body), {
    enter(node, _key, parent, _path, ancestors) {
      if (found !== null) return false;
      if (node.loc?.start !== position || !VALUE_KINDS.has(node.kind)) return undefined;
      // graphql's ancestors stop before the parent.
      const chain = [...ancestors, parent, node] as (ASTNode | readonly ASTNode[])[];
      const parts: string[] = [];
      let inArgument = false;
      chain.forEach((step, i) => {
        if (Array.isArray(step)) {
          const owner = chain[i - 1] as ASTNode | undefined;
          if (owner?.kind === Kind.LIST) parts.push(`[${step.indexOf(chain[i + 1])}]`);
          return;
        }
        const at = step as ASTNode;
        if (at.kind === Kind.ARGUMENT) {
          inArgument = true;
          parts.push(at.name.value);
        } else if (at.kind === Kind.OBJECT_FIELD) {
          parts.push(`.${at.name.value}`);
        }
      });
      found = inArgument
        ? { path: parts.join(""), atField: node.kind === Kind.OBJECT_FIELD }
        : null;
      return false;
    },
  });
  return found;
}

function literalProblem(message: string, error: GraphQLError): FieldProblem | null {
  const [position] = error.positions ?? [];
  if (!error.source || position === undefined) return null;
  let found: ReturnType<typeof literalPath>;
  try {
    found = literalPath(error.source, position);
  } catch {
    return null;
  }
  if (found === null) return null;
  const reason = innerReason(message, error) ?? message.replace(LITERAL_PREFIX, "");
  return problem(found.path, reason, found.atField);
}

/** The field problem graphql's input error describes, or null for any other error. */
export function inputErrorFields(
  reportedCode: unknown,
  message: string,
  error: GraphQLError,
): FieldProblem[] | null {
  const found =
    reportedCode === "BAD_USER_INPUT"
      ? variableProblem(message, error)
      : reportedCode === "GRAPHQL_VALIDATION_FAILED"
        ? literalProblem(message, error)
        : null;
  return found ? [found] : null;
}
