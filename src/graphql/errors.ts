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
import { inputErrorFields } from "./input-errors";

/** By shape: graphql's CommonJS and ESM builds are both loaded (see visibleCode). */
function isGraphQLError(error: unknown): error is GraphQLError {
  return error instanceof Error && "positions" in error && "extensions" in error;
}

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

/**
 * The code a client may see, or null when the error is unexpected and must be masked.
 * Apollo labels every unexpected throw INTERNAL_SERVER_ERROR but keeps its message (SQL text,
 * driver details), so that code never passes through with its message. (Codes are read from the
 * formatted error, not by instanceof: graphql's CommonJS and ESM builds are both loaded.)
 */
function visibleCode(code: unknown, error: unknown): ErrorCode | null {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) return original.code;
  if (typeof code !== "string" || code === "INTERNAL_SERVER_ERROR") return null;
  return APOLLO_CODES[code] ?? knownCode(code);
}

/** True for errors a client is meant to see; everything else is a bug and gets masked. */
export function isExpectedError(error: unknown): boolean {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return visibleCode(code, error) !== null;
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
  const reportedCode = formatted.extensions?.code;
  const code = visibleCode(reportedCode, error);
  if (code === null) {
    return {
      ...base,
      message: "Internal server error",
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    };
  }
  const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
  const reason = reportedCode !== code ? { reason: reportedCode } : {};
  const fields = isGraphQLError(error)
    ? inputErrorFields(reportedCode, formatted.message, error)
    : null;
  return {
    ...base,
    message: formatted.message,
    extensions: { ...extensions, code, ...reason, ...(fields ? { fields } : {}) },
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
            const requestId = (contextValue as Context | undefined)?.requestId;
            logger.error(
              { err: unwrapResolverError(error), ...(requestId ? { requestId } : {}) },
              "Unexpected error in GraphQL request",
            );
          }
        },
      };
    },
  };
}
