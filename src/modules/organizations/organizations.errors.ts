import type { ErrorSpec } from "../../errors";

export const OrganizationErrors = {
  NOT_FOUND: { code: "NOT_FOUND", message: "Organization not found" },
  SLUG_TAKEN: { code: "CONFLICT", message: "An organization with this slug already exists" },
  LAST_OWNER: {
    code: "FAILED_PRECONDITION",
    message: "An organization must keep at least one active owner; make someone else owner first",
  },
  USER_NOT_FOUND: {
    code: "NOT_FOUND",
    message: "No platform user has this email; invite them instead",
  },
  EMAIL_NOT_VERIFIED: {
    code: "FAILED_PRECONDITION",
    message: "This user has not verified their email address yet; invite them instead",
  },
  ALREADY_MEMBER: {
    code: "CONFLICT",
    message: "This user is already a member of the organization",
  },
  MEMBER_NOT_FOUND: { code: "NOT_FOUND", message: "This user is not a member of the organization" },
  OWNERS_ONLY: { code: "FORBIDDEN", message: "Only an owner can add, change or remove owners" },
  SELF_SUSPENSION: {
    code: "FAILED_PRECONDITION",
    message: "You cannot suspend yourself; leave the organization instead",
  },
  TRANSFER_TARGET: {
    code: "FAILED_PRECONDITION",
    message: "Ownership can only pass to another active member of the organization",
  },
} as const satisfies Record<string, ErrorSpec>;
