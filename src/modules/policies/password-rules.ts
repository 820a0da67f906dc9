/**
 * A project's password policy applied to one password. Each broken rule is reported on its own
 * (one `extensions.fields` entry each), so a form can show every rule the password misses.
 * The composition flags are enforced exactly as set: nothing is required that the policy does
 * not ask for. `rejectCommonPasswords` adds the guessability check of
 * src/auth/common-passwords.ts (a common password, or one built from the account's email or name
 * when the caller passes the account).
 */
import type { FieldProblem } from "../../errors";
import { codePointLength, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../../auth/passwords";
import { commonPasswordProblem, type PasswordAccount } from "../../auth/common-passwords";

export type { PasswordAccount } from "../../auth/common-passwords";

export interface PasswordRules {
  minLength: number;
  maxLength: number;
  requireNumbers: boolean;
  requireUppercase: boolean;
  requireSpecialChars: boolean;
  /** Refuse common passwords and ones built from the account; absent counts as true. */
  rejectCommonPasswords?: boolean;
}

/** What applies where a project has no password policy (only reachable once it was deleted). */
export const DEFAULT_PASSWORD_RULES: PasswordRules = {
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  requireNumbers: false,
  requireUppercase: false,
  requireSpecialChars: false,
  rejectCommonPasswords: true,
};

const DIGIT = /\p{Nd}/u;
const UPPERCASE = /\p{Lu}/u;
/** Punctuation, symbols (emoji among them) and spaces; not combining marks or control and
 * format characters, which a user does not type as "a special character". */
const SPECIAL = /[\p{P}\p{S}\p{Zs}]/u;

/**
 * Every rule `password` breaks. `account` (the end user's email and name, as far as known) lets
 * the common-password check also refuse passwords built from them; without it only the list
 * applies. That check runs only on a password within the policy's lengths: a too-short or
 * too-long one is refused already, and the extra entry would be noise.
 */
export function checkPasswordRules(
  field: string,
  password: string,
  rules: PasswordRules,
  account?: PasswordAccount,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const length = codePointLength(password);
  if (length < rules.minLength) {
    problems.push({ field, message: `must be at least ${rules.minLength} characters` });
  }
  if (length > rules.maxLength) {
    problems.push({ field, message: `must be at most ${rules.maxLength} characters` });
  }
  if (rules.requireNumbers && !DIGIT.test(password)) {
    problems.push({ field, message: "must contain a number" });
  }
  if (rules.requireUppercase && !UPPERCASE.test(password)) {
    problems.push({ field, message: "must contain an uppercase letter" });
  }
  if (rules.requireSpecialChars && !SPECIAL.test(password)) {
    problems.push({
      field,
      message: "must contain a special character (punctuation, a symbol or a space)",
    });
  }
  if (
    rules.rejectCommonPasswords !== false &&
    length >= rules.minLength &&
    length <= Math.min(rules.maxLength, PASSWORD_MAX_LENGTH)
  ) {
    const guessable = commonPasswordProblem(field, password, account);
    if (guessable) problems.push(guessable);
  }
  return problems;
}
