import type { ErrorSpec } from "../../errors";

export const ProjectErrors = {
  NOT_FOUND: { code: "NOT_FOUND", message: "Project not found" },
  MEMBER_NOT_FOUND: { code: "NOT_FOUND", message: "This user has no role in the project" },
  ALREADY_MEMBER: { code: "CONFLICT", message: "This user already has a role in the project" },
  SELF_SUSPENSION: {
    code: "FAILED_PRECONDITION",
    message: "You cannot suspend your own project role; remove it instead",
  },
  NOT_IN_ORGANIZATION: {
    code: "FAILED_PRECONDITION",
    message: "Only active members of the project's organization can get a project role",
  },
} as const satisfies Record<string, ErrorSpec>;
