import type { ErrorSpec } from "../../errors";

export const InvitationErrors = {
  NOT_FOUND: { code: "NOT_FOUND", message: "Invitation not found" },
  EXPIRED: {
    code: "FAILED_PRECONDITION",
    message: "This invitation has expired; ask for a new one",
  },
  USED: { code: "FAILED_PRECONDITION", message: "This invitation has already been used" },
  LAPSED: {
    code: "FAILED_PRECONDITION",
    message: "Whoever sent this invitation can no longer grant this role; ask for a new one",
  },
  OTHER_EMAIL: {
    code: "FORBIDDEN",
    message: "This invitation was sent to another email address; sign in with that address",
  },
  ALREADY_MEMBER: {
    code: "CONFLICT",
    message: "This person is already a member of the organization",
  },
} as const satisfies Record<string, ErrorSpec>;
