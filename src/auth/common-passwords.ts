/**
 * Refuses passwords an attacker tries first: the most common ones (an offline list of about
 * 49,000, `@zxcvbn-ts/language-common`'s `passwords-common`, loaded once on first use), with or
 * without a little padding, and ones built from the account's own email address or name.
 *
 * The rules, all case-insensitive (and on NFKC-normalised text, so full-width or composed forms
 * match their plain spelling); "separators" are spaces, dots, hyphens and underscores:
 *
 * 1. **A common password** ("is one of the most common passwords"): the password, or its core
 *    (the password with the digits, symbols and spaces at its two ends taken off, or only the
 *    symbols and spaces), with or without its separators, is on the list, and what was taken off
 *    the ends is predictable (below). So `Password123!`, `!!qwerty!!`, `pass-word-2024`,
 *    `12345678` and `i love you` are refused, while `dragon83719472` is not: eight digits that
 *    follow no pattern are the strength there. A passphrase that merely contains a common word
 *    (`monkey dragon sunshine castle`) is never refused by this rule, since its core is the whole
 *    phrase.
 * 2. **Built from the account** ("is too close to your email address" / "… your name"): the
 *    password contains the whole email address, its local part (also without a `+tag` or its
 *    separators), a piece of the local part of at least 3 characters, a part of the name of at
 *    least 3 characters or the whole name without spaces, and what is left once every such part
 *    is taken out (and the separators) is predictable. So for Ada Lovelace, ada@example.com:
 *    `adalovelace1815`, `Ada Lovelace!`, `ada@example.com!` are refused; `ada writes the first
 *    program` is accepted. A part that comes from both the name and the email counts as the
 *    name; the whole address or local part as the email.
 *
 * Predictable, for what is left or added: fewer than 6 characters; fewer than 8 without a
 * letter; one block of at most 4 characters repeated (`!!!!!!!!`, `20242024`); a run of
 * consecutive characters (`3456789`, `defghij`); or on the list itself.
 *
 * Not covered: leetspeak variants beyond those the list holds itself (it has `p@ssw0rd`), and
 * dictionary words that are not common passwords. Input longer than 1,024 UTF-16 units is not
 * examined: the length rules refuse it first.
 */
import { createRequire } from "node:module";
import type { FieldProblem } from "../errors";

/** The account a password is for; whatever is missing is not compared. */
export interface PasswordAccount {
  email?: string | null;
  fullName?: string | null;
}

export const CommonPasswordMessages = {
  COMMON: "is one of the most common passwords",
  EMAIL: "is too close to your email address",
  NAME: "is too close to your name",
} as const;

/** Longer input is refused by the length rules before this matters. */
const MAX_EXAMINED = 1024;
/** Account parts shorter than this are not looked for (`Al`, `x@` would match too much). */
const MIN_PART = 3;

const SEPARATORS = /[\s._-]+/gu;
const LEADING_NON_LETTERS = /^[^\p{L}]+/u;
const TRAILING_NON_LETTERS = /[^\p{L}]+$/u;
const LEADING_SYMBOLS = /^[^\p{L}\p{N}]+/u;
const TRAILING_SYMBOLS = /[^\p{L}\p{N}]+$/u;
const NOT_LETTER_OR_DIGIT = /[^\p{L}\p{N}]+/u;
const LETTER = /\p{L}/u;

let list: ReadonlySet<string> | undefined;

/**
 * The list as a Set of lowercase entries, built on first use: measured ≈ 30 ms on plain node
 * (≈ 50 ms under tsx) and ≈ 3.7 MiB of heap that stays. Call it at start-up to take that cost off
 * the first sign-up.
 */
export function commonPasswordList(): ReadonlySet<string> {
  if (!list) {
    // A synchronous, lazy load: the package decompresses its lists when first evaluated.
    const require = createRequire(import.meta.url);
    const { dictionary } = require("@zxcvbn-ts/language-common") as {
      dictionary: { "passwords-common": string[] };
    };
    list = new Set(dictionary["passwords-common"].map((entry) => normalise(entry)));
  }
  return list;
}

function normalise(value: string): string {
  return value.normalize("NFKC").toLowerCase();
}

function codePoints(value: string): string[] {
  return Array.from(value);
}

function withoutSeparators(value: string): string {
  return value.replace(SEPARATORS, "");
}

function repeatedBlock(chars: string[]): boolean {
  for (let size = 1; size <= 4 && size * 2 <= chars.length; size++) {
    if (chars.length % size !== 0) continue;
    if (chars.every((char, i) => char === chars[i % size])) return true;
  }
  return false;
}

function consecutiveRun(chars: string[]): boolean {
  if (chars.length < 3) return false;
  const codes = chars.map((c) => c.codePointAt(0) ?? 0);
  const step = (codes[1] ?? 0) - (codes[0] ?? 0);
  if (step !== 1 && step !== -1) return false;
  return codes.every((code, i) => i === 0 || code - (codes[i - 1] ?? 0) === step);
}

/** What an attacker's rules would produce anyway; `value` is normalised, separators removed. */
function predictable(value: string): boolean {
  const chars = codePoints(value);
  if (chars.length < 6) return true;
  if (chars.length < 8 && !LETTER.test(value)) return true;
  if (repeatedBlock(chars) || consecutiveRun(chars)) return true;
  const common = commonPasswordList();
  return (
    common.has(value) ||
    common.has(value.replace(LEADING_SYMBOLS, "").replace(TRAILING_SYMBOLS, ""))
  );
}

/** `value` with its ends stripped by `leading`/`trailing`: the core, and what was taken off. */
function core(value: string, leading: RegExp, trailing: RegExp): { core: string; added: string } {
  const start = leading.exec(value)?.[0] ?? "";
  const rest = value.slice(start.length);
  const end = trailing.exec(rest)?.[0] ?? "";
  return { core: rest.slice(0, rest.length - end.length), added: start + end };
}

/** Rule 1: on the list, alone or with predictable padding at its ends. */
function isCommon(normalised: string): boolean {
  const common = commonPasswordList();
  const trimmed = normalised.trim();
  for (const text of new Set([trimmed, withoutSeparators(trimmed)])) {
    const candidates = [
      { core: text, added: "" },
      core(text, LEADING_SYMBOLS, TRAILING_SYMBOLS),
      core(text, LEADING_NON_LETTERS, TRAILING_NON_LETTERS),
    ];
    for (const candidate of candidates) {
      for (const form of new Set([candidate.core, withoutSeparators(candidate.core)])) {
        if (codePoints(form).length < MIN_PART || !common.has(form)) continue;
        const added = withoutSeparators(candidate.added);
        if (added === "" || predictable(added)) return true;
      }
    }
  }
  return false;
}

type PartKind = "EMAIL" | "NAME";

function addPart(parts: Map<string, PartKind>, text: string, kind: PartKind): void {
  if (codePoints(text).length < MIN_PART || parts.has(text)) return;
  parts.set(text, kind);
}

/** What the account gives away, longest first, each with where it comes from. */
function accountParts(account: PasswordAccount): [string, PartKind][] {
  const parts = new Map<string, PartKind>();
  // The name first: a piece of the email that is also part of the name ("lovelace" of
  // ada.lovelace@…) reads better as "your name".
  const name = account.fullName ? normalise(account.fullName).trim() : "";
  if (name) {
    const pieces = name.split(NOT_LETTER_OR_DIGIT).filter(Boolean);
    addPart(parts, pieces.join(""), "NAME");
    for (const piece of pieces) addPart(parts, piece, "NAME");
  }
  const email = account.email ? normalise(account.email).trim() : "";
  if (email) {
    const at = email.lastIndexOf("@");
    const local = at >= 0 ? email.slice(0, at) : email;
    const untagged = local.split("+")[0] ?? local;
    addPart(parts, email, "EMAIL");
    for (const whole of [local, untagged]) {
      addPart(parts, whole, "EMAIL");
      addPart(parts, whole.replace(new RegExp(NOT_LETTER_OR_DIGIT, "gu"), ""), "EMAIL");
    }
    for (const piece of untagged.split(NOT_LETTER_OR_DIGIT)) addPart(parts, piece, "EMAIL");
  }
  return [...parts].sort(([a], [b]) => b.length - a.length);
}

/** Rule 2: which kind of account part the password is built from, if any. */
function builtFromAccount(normalised: string, account: PasswordAccount): PartKind | null {
  let rest = normalised;
  let found: PartKind | null = null;
  for (const [text, kind] of accountParts(account)) {
    if (!rest.includes(text)) continue;
    // A space where the part was, so the pieces around it never join into a new match.
    rest = rest.split(text).join(" ");
    if (found !== "EMAIL") found = kind;
  }
  if (found === null) return null;
  return predictable(withoutSeparators(rest)) ? found : null;
}

/**
 * Why `password` is too easy to guess for this account, or null. One problem at most: a common
 * password first, then the email, then the name.
 */
export function commonPasswordProblem(
  field: string,
  password: string,
  account: PasswordAccount = {},
): FieldProblem | null {
  if (password.length > MAX_EXAMINED) return null;
  const normalised = normalise(password);
  if (isCommon(normalised)) return { field, message: CommonPasswordMessages.COMMON };
  const kind = builtFromAccount(normalised, account);
  return kind ? { field, message: CommonPasswordMessages[kind] } : null;
}
