/**
 * Input rules shared by every module. Each check returns a field problem or nothing, so a
 * service can report every broken rule of one input at once.
 */
import type { FieldProblem } from "./errors";
import { codePointLength, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./auth/passwords";
import { commonPasswordProblem } from "./auth/common-passwords";

export const FULL_NAME_MAX_LENGTH = 200;
export const EMAIL_MAX_LENGTH = 254;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const E164 = /^\+[1-9]\d{1,14}$/;

export const NAME_MAX_LENGTH = 100;
export const DESCRIPTION_MAX_LENGTH = 1000;
/** 3 to 48 of a-z, 0-9 and "-", starting and ending with a letter or digit (no "---"). */
export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,46}[a-z0-9]$/;

/** A display name: trimmed, not empty, at most `max` characters, no control characters. */
export function checkName(
  field: string,
  value: string,
  max = NAME_MAX_LENGTH,
): FieldProblem | null {
  const trimmed = value.trim();
  if (trimmed.length === 0) return { field, message: "must not be empty" };
  if (codePointLength(trimmed) > max)
    return { field, message: `must be at most ${max} characters` };
  if (CONTROL_CHARACTERS.test(trimmed))
    return { field, message: "must not contain control characters" };
  return null;
}

export function checkFullName(field: string, value: string): FieldProblem | null {
  return checkName(field, value, FULL_NAME_MAX_LENGTH);
}

/** Free text such as a description: newlines are fine, other control characters are not. */
export function checkDescription(field: string, value: string): FieldProblem | null {
  if (codePointLength(value) > DESCRIPTION_MAX_LENGTH) {
    return { field, message: `must be at most ${DESCRIPTION_MAX_LENGTH} characters` };
  }
  if (CONTROL_CHARACTERS.test(value.replace(/[\n\r\t]/g, "")))
    return { field, message: "must not contain control characters other than line breaks" };
  return null;
}

export function checkSlug(field: string, value: string): FieldProblem | null {
  return SLUG_PATTERN.test(value)
    ? null
    : {
        field,
        message:
          "must be 3 to 48 lowercase letters, digits and hyphens, starting and ending with a letter or digit",
      };
}

export function checkEmail(field: string, value: string): FieldProblem | null {
  if (value.length > EMAIL_MAX_LENGTH) {
    return { field, message: `must be at most ${EMAIL_MAX_LENGTH} characters` };
  }
  return null;
}

export function checkPhone(field: string, value: string): FieldProblem | null {
  return E164.test(value) ? null : { field, message: "must be in E.164 form, like +14155550123" };
}

/** Only the upper bound: enough to refuse oversized input before any hashing. */
export function checkPasswordLength(field: string, password: string): FieldProblem | null {
  return codePointLength(password) > PASSWORD_MAX_LENGTH
    ? { field, message: `must be at most ${PASSWORD_MAX_LENGTH} characters` }
    : null;
}

/**
 * Platform passwords: length (NIST 800-63B), not the account's own email, and not easy to guess
 * (a common password, or one built from the email or `fullName`: src/auth/common-passwords.ts).
 * One problem at most, the first of these that applies.
 */
export function checkPlatformPassword(
  field: string,
  password: string,
  email: string,
  fullName?: string | null,
): FieldProblem[] {
  const length = codePointLength(password);
  if (length < PASSWORD_MIN_LENGTH) {
    return [{ field, message: `must be at least ${PASSWORD_MIN_LENGTH} characters` }];
  }
  const tooLong = checkPasswordLength(field, password);
  if (tooLong) return [tooLong];
  if (password.trim().toLowerCase() === email.trim().toLowerCase()) {
    return [{ field, message: "must not be your email address" }];
  }
  const guessable = commonPasswordProblem(field, password, { email, fullName });
  return guessable ? [guessable] : [];
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** End-user roles and statuses are the project's own words: short, plain labels. */
const LABEL = /^[A-Za-z0-9_.:-]{1,64}$/;
export const LABEL_LIST_MAX = 50;

export function checkLabel(field: string, value: string): FieldProblem | null {
  return LABEL.test(value)
    ? null
    : { field, message: "must be 1 to 64 letters, digits, dots, colons, hyphens or underscores" };
}
