/**
 * The one list of error codes a client can see, and the domain error services throw.
 * Services know nothing of GraphQL: the API edge (src/graphql/errors.ts) turns an AppError
 * into a GraphQLError with `extensions.code` (and `extensions.fields` for input problems).
 */
export const ERROR_CODES = [
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "CONFLICT",
  "FAILED_PRECONDITION",
  "RATE_LIMITED",
  "MFA_REQUIRED",
  "SERVICE_UNAVAILABLE",
  "INTERNAL_SERVER_ERROR",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldProblem {
  field: string;
  message: string;
}

export interface ErrorSpec {
  code: ErrorCode;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly fields: FieldProblem[] | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    spec: ErrorSpec,
    options: { fields?: FieldProblem[]; details?: Record<string, unknown> } = {},
  ) {
    super(spec.message);
    this.name = "AppError";
    this.code = spec.code;
    this.fields = options.fields;
    this.details = options.details;
  }
}

/** The problems of a list of checks, where null is a check that passed. */
export function presentProblems(checks: readonly (FieldProblem | null)[]): FieldProblem[] {
  return checks.filter((p): p is FieldProblem => p !== null);
}

/** Input problems collected field by field, thrown together as one BAD_USER_INPUT. */
export function invalidInput(fields: FieldProblem[], message = "The input is not valid"): AppError {
  return new AppError({ code: "BAD_USER_INPUT", message }, { fields });
}

/** Errors every module may throw. Feature modules declare their own next to their code. */
export const CommonErrors = {
  UNAUTHENTICATED: { code: "UNAUTHENTICATED", message: "You must be signed in" },
  FORBIDDEN: { code: "FORBIDDEN", message: "You are not allowed to do this" },
  BUSY: {
    code: "SERVICE_UNAVAILABLE",
    message: "The server is busy; retry in a moment",
  },
} as const satisfies Record<string, ErrorSpec>;
