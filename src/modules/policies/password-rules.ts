/**
 * A project's password policy applied to one password. Each broken rule is reported on its own
 * (one `extensions.fields` entry each), so a form can show every rule the password misses.
 * The composition flags are enforced exactly as set: nothing is required that the policy does
 * not ask for.
 */
import type { FieldProblem } from "../../errors";
import { codePointLength, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../../auth/passwords";

export interface PasswordRules {
  minLength: number;
  maxLength: number;
  requireNumbers: boolean;
  requireUppercase: boolean;
  requireSpecialChars: boolean;
}

/** What applies where a project has no password policy (only reachable once it was deleted). */
export const DEFAULT_PASSWORD_RULES: PasswordRules = {
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  requireNumbers: false,
  requireUppercase: false,
  requireSpecialChars: false,
};

const DIGIT = /\p{Nd}/u;
const UPPERCASE = /\p{Lu}/u;
/** Punctuation, symbols (emoji among them) and spaces; not combining marks or control and
 * format characters, which a user does not type as "a special character". */
const SPECIAL = /[\p{P}\p{S}\p{Zs}]/u;

export function checkPasswordRules(
  field: string,
  password: string,
  rules: PasswordRules,
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
  return problems;
}
