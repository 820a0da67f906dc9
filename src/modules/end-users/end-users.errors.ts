import type { ErrorSpec } from "../../errors";

export const EndUserErrors = {
  NOT_FOUND: { code: "NOT_FOUND", message: "End user not found" },
  // One message for an unknown identifier and a wrong password: the answer must not tell them apart.
  INVALID_CREDENTIALS: { code: "UNAUTHENTICATED", message: "Invalid credentials" },
  BLOCKED: { code: "FORBIDDEN", message: "This account cannot sign in; contact the application" },
  EMAIL_TAKEN: {
    code: "CONFLICT",
    message: "An account with this email already exists in this project",
  },
  PHONE_TAKEN: {
    code: "CONFLICT",
    message: "An account with this phone number already exists in this project",
  },
  NO_PASSWORD_POLICY: {
    code: "FAILED_PRECONDITION",
    message:
      "This project is not open for sign-up: it has no password policy yet (its staff create " +
      "a password policy, then a project policy)",
  },
  NO_PROJECT_POLICY: {
    code: "FAILED_PRECONDITION",
    message:
      "This project is not open for sign-up or log-in: it has no project policy yet (its " +
      "staff create one; the password policy comes first)",
  },
  PASSWORD_CHANGED_CONCURRENTLY: {
    code: "CONFLICT",
    message: "The password was changed by another request; sign in again",
  },
  WRONG_CURRENT_PASSWORD: {
    code: "BAD_USER_INPUT",
    message: "The current password is not correct",
  },
} as const satisfies Record<string, ErrorSpec>;
