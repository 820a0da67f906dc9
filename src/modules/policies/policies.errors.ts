import type { ErrorSpec } from "../../errors";

export const PolicyErrors = {
  PASSWORD_POLICY_EXISTS: {
    code: "CONFLICT",
    message: "This project already has a password policy; update it instead",
  },
  PROJECT_POLICY_EXISTS: {
    code: "CONFLICT",
    message: "This project already has a project policy; update it instead",
  },
  NO_PASSWORD_POLICY: { code: "NOT_FOUND", message: "This project has no password policy" },
  NO_PROJECT_POLICY: { code: "NOT_FOUND", message: "This project has no project policy" },
  PASSWORD_POLICY_NEEDED: {
    code: "FAILED_PRECONDITION",
    message: "Create the project's password policy first: a project policy references it",
  },
  PASSWORD_POLICY_IN_USE: {
    code: "FAILED_PRECONDITION",
    message: "The project policy references this password policy; delete the project policy first",
  },
} as const satisfies Record<string, ErrorSpec>;
