/**
 * The API edge for errors: domain errors become GraphQL errors with `extensions.code` from the
 * one list (src/errors.ts); anything unexpected is logged with the request id and masked.
 */
import { unwrapResolverError } from "@apollo/server/errors";
import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { AppError, ERROR_CODES, type ErrorCode } from "../errors";
import type { Logger } from "../logger";
import type { Context } from "./context";

/** Apollo's own codes, mapped into ours so clients meet one list. */
const APOLLO_CODES: Record<string, ErrorCode> = {
  GRAPHQL_PARSE_FAILED: "BAD_USER_INPUT",
  GRAPHQL_VALIDATION_FAILED: "BAD_USER_INPUT",
  BAD_REQUEST: "BAD_USER_INPUT",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  OPERATION_RESOLUTION_FAILURE: "BAD_USER_INPUT",
  PERSISTED_QUERY_NOT_FOUND: "BAD_USER_INPUT",
  PERSISTED_QUERY_NOT_SUPPORTED: "BAD_USER_INPUT",
};

export function appErrorToGraphQL(error: AppError): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: {
      code: error.code,
      ...(error.fields ? { fields: error.fields } : {}),
      ...(error.details ?? {}),
    },
  });
}

function knownCode(value: unknown): ErrorCode | null {
  return typeof value === "string" && (ERROR_CODES as readonly string[]).includes(value)
    ? (value as ErrorCode)
    : null;
}

/** True for errors a client is meant to see; everything else is a bug and gets masked. */
export function isExpectedError(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) return true;
  if (original instanceof GraphQLError) {
    const code = original.extensions?.code;
    return knownCode(code) !== null || (typeof code === "string" && code in APOLLO_CODES);
  }
  return false;
}

export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const base = { locations: formatted.locations, path: formatted.path };
  if (original instanceof AppError) {
    const { message, extensions } = appErrorToGraphQL(original);
    return { ...base, message, extensions };
  }
  const code = formatted.extensions?.code;
  const ours = knownCode(code);
  if (ours) {
    const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
    return { ...base, message: formatted.message, extensions: { ...extensions, code: ours } };
  }
  if (typeof code === "string" && APOLLO_CODES[code]) {
    return {
      ...base,
      message: formatted.message,
      extensions: { code: APOLLO_CODES[code], reason: code },
    };
  }
  return {
    ...base,
    message: "Internal server error",
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  };
}

/** Logs unexpected errors with the request id, so a masked error can be found in the log. */
export function errorLoggingPlugin(logger: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            if (isExpectedError(error)) continue;
            // The context may be missing when building it was what failed.
            const log = (contextValue as Context | undefined)?.logger ?? logger;
            log.error({ err: unwrapResolverError(error) }, "Unexpected error in GraphQL request");
          }
        },
      };
    },
  };
}
