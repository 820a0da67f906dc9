import type { ErrorSpec } from "../../errors";

export const AuthErrors = {
  // One message for unknown email and wrong password: the answer must not tell them apart.
  INVALID_CREDENTIALS: { code: "UNAUTHENTICATED", message: "Invalid email or password" },
  EMAIL_TAKEN: { code: "CONFLICT", message: "An account with this email already exists" },
  ACCOUNT_LOCKED: {
    code: "FORBIDDEN",
    message: "This account is locked; contact an administrator",
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
