/**
 * Operation limits: a query's estimated cost (graphql-query-complexity; list fields count once
 * per requested item) and the number of root fields in a mutation (each may hash a password).
 * Without them, one request of a thousand aliases does a thousand requests' work.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import {
  GraphQLError,
  Kind,
  visit,
  type DocumentNode,
  type GraphQLOutputType,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";
import { createRequire } from "node:module";
import type * as QueryComplexity from "graphql-query-complexity";
import { DEFAULT_PAGE_SIZE } from "../pagination";

// Loaded through require so it shares graphql's CommonJS build with the schema graphql-shield
// wraps; the ESM build would bring graphql's ESM build, whose realm check refuses those types.
const { getComplexity, simpleEstimator } = createRequire(import.meta.url)(
  "graphql-query-complexity",
) as typeof QueryComplexity;
type ComplexityEstimator = QueryComplexity.ComplexityEstimator;

export interface OperationLimits {
  maxComplexity: number;
  maxMutationFields: number;
}

export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxComplexity: 100_000,
  maxMutationFields: 10,
};

/** Unwraps lists and non-nulls by shape: graphql's own helpers would check the type's realm, and
 * the schema here comes from graphql's CommonJS build (see above). */
function namedTypeName(type: GraphQLOutputType): string {
  let current: unknown = type;
  while (typeof current === "object" && current !== null && "ofType" in current) {
    current = (current as { ofType: unknown }).ofType;
  }
  return (current as { name: string }).name;
}

/** A connection's children are paid for once per item it may return (`first`, or the default). */
const connectionEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (!namedTypeName(field.type).endsWith("Connection")) return undefined;
  const first = typeof args.first === "number" ? args.first : DEFAULT_PAGE_SIZE;
  return 1 + Math.max(first, 1) * childComplexity;
};

/** Root fields of a selection, through inline fragments and named fragment spreads alike. */
function rootFieldCount(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, SelectionSetNode>,
  seen: Set<string> = new Set(),
): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) count += selection.name.value === "__typename" ? 0 : 1;
    else if (selection.kind === Kind.INLINE_FRAGMENT)
      count += rootFieldCount(selection.selectionSet, fragments, seen);
    else if (selection.kind === Kind.FRAGMENT_SPREAD && !seen.has(selection.name.value)) {
      // Each fragment counts once, as execution merges repeated spreads (and cycles are invalid).
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) count += rootFieldCount(fragment, fragments, seen);
    }
  }
  return count;
}

function tooBig(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: "BAD_USER_INPUT", http: { status: 400 } },
  });
}

/** A mutation's root fields, through its fragments. */
function mutationFields(document: DocumentNode, operation: OperationDefinitionNode): number {
  const fragments = new Map(
    document.definitions.flatMap((definition) =>
      definition.kind === Kind.FRAGMENT_DEFINITION
        ? [[definition.name.value, definition.selectionSet] as const]
        : [],
    ),
  );
  return rootFieldCount(operation.selectionSet, fragments);
}

/**
 * The names of the variables an operation's cost depends on: those given to a `first` argument
 * (the connection estimator reads it) or to @include/@skip. Other variables (emails, passwords,
 * ids) leave the cost unchanged, so they are never part of a cache key.
 */
function costVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(argument) {
      if (argument.value.kind === Kind.VARIABLE && argument.name.value === "first") {
        names.add(argument.value.name.value);
      }
    },
    Directive(directive) {
      if (directive.name.value !== "include" && directive.name.value !== "skip") return;
      for (const argument of directive.arguments ?? []) {
        if (argument.value.kind === Kind.VARIABLE) names.add(argument.value.name.value);
      }
    },
  });
  return [...names];
}

/** What is worked out once per parsed document and operation name, and the costs seen. */
interface Analysis {
  mutationFields: number;
  costVariables: string[];
  costs: Map<string, number>;
}

/** Costs kept per analysis: one per distinct set of page sizes a client sends. */
const MAX_COSTS_PER_OPERATION = 64;

export function operationLimitsPlugin<T extends object>(
  limits: OperationLimits = DEFAULT_OPERATION_LIMITS,
): ApolloServerPlugin<T> {
  // Apollo hands the same DocumentNode for a query it has parsed before (its document store), so
  // a document's analysis lives as long as Apollo keeps the document.
  const analyses = new WeakMap<DocumentNode, Map<string, Analysis>>();

  function analyse(
    document: DocumentNode,
    operationName: string,
    operation: OperationDefinitionNode | undefined,
  ) {
    let byOperation = analyses.get(document);
    if (!byOperation) {
      byOperation = new Map();
      analyses.set(document, byOperation);
    }
    let analysis = byOperation.get(operationName);
    if (!analysis) {
      analysis = {
        mutationFields:
          operation?.operation === "mutation" ? mutationFields(document, operation) : 0,
        costVariables: costVariables(document),
        costs: new Map(),
      };
      byOperation.set(operationName, analysis);
    }
    return analysis;
  }

  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operation }) {
          const analysis = analyse(document, request.operationName ?? "", operation);
          if (analysis.mutationFields > limits.maxMutationFields) {
            throw tooBig(
              `A request may run at most ${limits.maxMutationFields} mutations (it has ${analysis.mutationFields})`,
            );
          }
          const variables = request.variables ?? {};
          const key = JSON.stringify(analysis.costVariables.map((name) => variables[name] ?? null));
          let complexity = analysis.costs.get(key);
          if (complexity === undefined) {
            try {
              complexity = getComplexity({
                schema,
                query: document,
                variables,
                operationName: request.operationName ?? undefined,
                estimators: [connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
              });
            } catch {
              // Variables that do not coerce: execution refuses them next, with BAD_USER_INPUT.
              return;
            }
            if (analysis.costs.size >= MAX_COSTS_PER_OPERATION) analysis.costs.clear();
            analysis.costs.set(key, complexity);
          }
          if (complexity > limits.maxComplexity) {
            throw tooBig(
              `The operation is too large (cost ${complexity}, limit ${limits.maxComplexity})`,
            );
          }
        },
      };
    },
  };
}
