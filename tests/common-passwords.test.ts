/**
 * The guessability check (src/auth/common-passwords.ts) on its own, and as the platform and
 * end-user password rules apply it. Both directions: what an attacker's first guesses would
 * find is refused, strong passwords and passphrases that merely contain a common word are not.
 */
import { describe, expect, it } from "vitest";
import {
  CommonPasswordMessages,
  commonPasswordList,
  commonPasswordProblem,
  type PasswordAccount,
} from "../src/auth/common-passwords";
import {
  checkPasswordRules,
  DEFAULT_PASSWORD_RULES,
  type PasswordRules,
} from "../src/modules/policies/password-rules";
import type { FieldProblem } from "../src/errors";
import { checkPlatformPassword } from "../src/validation";
import { PASSWORD } from "./helpers/instance";

const COMMON: FieldProblem = { field: "password", message: CommonPasswordMessages.COMMON };
const EMAIL: FieldProblem = { field: "password", message: CommonPasswordMessages.EMAIL };
const NAME: FieldProblem = { field: "password", message: CommonPasswordMessages.NAME };

const ada: PasswordAccount = { email: "ada.lovelace@example.com", fullName: "Ada Lovelace" };
const ngozi: PasswordAccount = { email: "trade@example.org", fullName: "Ngozi Okonjo-Iweala" };
const grace: PasswordAccount = { email: "grace.hopper+gatehouse@navy.example", fullName: null };

describe("the list", () => {
  it("is the offline list of @zxcvbn-ts/language-common, loaded once, lowercase", () => {
    const list = commonPasswordList();
    expect(list.size).toBeGreaterThanOrEqual(10_000);
    expect(commonPasswordList()).toBe(list);
    for (const entry of ["123456", "password", "qwerty", "iloveyou", "trustno1", "p@ssw0rd"]) {
      expect(list.has(entry), entry).toBe(true);
    }
    expect([...list].every((entry) => entry === entry.toLowerCase())).toBe(true);
  });
});

describe("commonPasswordProblem: common passwords", () => {
  it.each([
    ["a list entry", "password"],
    ["a list entry in another case", "PassWord"],
    ["digits only", "12345678"],
    ["a longer run of digits", "1234567890"],
    ["a keyboard row", "qwertyuiop"],
    ["leetspeak the list holds", "P@ssw0rd"],
    ["a capital and a digit", "Password1"],
    ["digits and a symbol at the end", "Password123!"],
    ["leetspeak with a year", "P@ssw0rd2024"],
    ["symbols at both ends", "!!qwerty!!"],
    ["digits in front", "123monkey"],
    ["digits at both ends", "1dragon2024"],
    ["an entry that ends in digits, plus symbols", "qwerty123!!"],
    ["spaces around", "  sunshine  "],
    ["separators inside", "pass-word-2024"],
    ["a phrase the list holds without its spaces", "i love you"],
    ["the same with padding", "I.love.you.99"],
    ["digits with separators", "1-2-3-4-5-6-7-8"],
    ["a repeated symbol, however long", "letmein!!!!!!!!!!!!"],
    ["a repeated year", "football20242024"],
    ["a run of digits", "baseball3456789"],
    ["padding that is itself common", "sunshine12345678"],
    ["full-width letters (NFKC)", "ｐａｓｓｗｏｒｄ１"],
  ])("refuses %s: %j", (_label, password) => {
    expect(commonPasswordProblem("password", password)).toEqual(COMMON);
  });

  it.each([
    ["the tests' own password", PASSWORD],
    ["the classic passphrase", "correct horse battery staple"],
    ["a passphrase of common words", "monkey dragon sunshine castle"],
    ["a passphrase with hyphens", "purple-elephant-quiet-harbour"],
    ["a sentence that contains 'password'", "my password is long enough"],
    ["a common word with unpatterned digits", "dragon83719472"],
    ["a common word inside other text", "xmonkeyz-8812"],
    ["random characters", "x7$kP!q2Lm#v"],
    ["emoji only", "🔑".repeat(8)],
    ["letters around an emoji", "unlock🔑please"],
    ["a long word that is not on the list", "alllowercaseletters"],
    ["one character repeated (not this rule's business)", "r".repeat(64)],
    ["digits that follow no pattern", "80413957"],
  ])("accepts %s: %j", (_label, password) => {
    expect(commonPasswordProblem("password", password)).toBeNull();
  });

  it("names the field it is given", () => {
    expect(commonPasswordProblem("input.newPassword", "password1")).toEqual({
      field: "input.newPassword",
      message: "is one of the most common passwords",
    });
  });

  it("does not examine input far beyond any password limit", () => {
    expect(commonPasswordProblem("password", "password".repeat(200))).toBeNull();
  });
});

describe("commonPasswordProblem: built from the account", () => {
  it.each<[string, string, PasswordAccount, FieldProblem]>([
    ["the address with a symbol", "ada.lovelace@example.com!", ada, EMAIL],
    ["the address in capitals with a digit", "ADA.LOVELACE@EXAMPLE.COM1", ada, EMAIL],
    ["the local part without its separator and a year", "gracehopper2024", grace, EMAIL],
    ["the local part without its +tag", "grace.hopper!!", grace, EMAIL],
    ["the local part with its +tag", "grace.hopper+gatehouse", grace, EMAIL],
    [
      "a piece of the local part with digits",
      "quonk1906!",
      { email: "tiberius.quonk@example.com" },
      EMAIL,
    ],
    ["a local part with digits", "zquonk83!!", { email: "zquonk83@example.com" }, EMAIL],
    ["a short local part's whole address", "ab@example.com1", { email: "ab@example.com" }, EMAIL],
    ["the whole name without spaces and a year", "adalovelace1815", ada, NAME],
    ["the name as written, with a symbol", "Ada Lovelace!", ada, NAME],
    ["the name reversed with digits", "lovelace ada 99", ada, NAME],
    ["the name with a hyphen", "ADA-LOVELACE", ada, NAME],
    ["a name part with a year", "okonjo1954!", ngozi, NAME],
    ["two name parts", "iweala+ngozi", ngozi, NAME],
    ["a name part and a repeated symbol", "okonjo!!!!!!!!!!", ngozi, NAME],
    ["a name part and a run of digits", "ngozi12345678", ngozi, NAME],
    ["a name part and a common password", "ngoziqwerty123", ngozi, NAME],
  ])("refuses %s: %j", (_label, password, account, expected) => {
    expect(commonPasswordProblem("password", password, account)).toEqual(expected);
  });

  it.each<[string, string, PasswordAccount]>([
    ["a passphrase that contains the first name", "ada writes the first program", ada],
    ["a passphrase that contains a name part", "okonjo rides a purple bicycle", ngozi],
    ["a name part and unpatterned digits", "okonjo83719472", ngozi],
    ["the tests' own password for the tests' own account", PASSWORD, ada],
    ["a word that contains a short local part", "abroad and beyond", { email: "ab@example.com" }],
    ["no account at all", "adalovelace1815", {}],
    ["nulls in the account", "adalovelace1815", { email: null, fullName: null }],
    ["name parts under 3 characters", "bo li secrets", { fullName: "Bo Li" }],
  ])("accepts %s: %j", (_label, password, account) => {
    expect(commonPasswordProblem("password", password, account)).toBeNull();
  });

  it("calls a part both of the email and the name 'your name', and the address 'your email'", () => {
    expect(commonPasswordProblem("password", "lovelace-abc!", ada)).toEqual(NAME);
    expect(commonPasswordProblem("password", "ada.lovelace@example.com", ada)).toEqual(EMAIL);
  });

  it("puts a common password before the account", () => {
    // "lovelace" is on the list itself.
    expect(commonPasswordProblem("password", "Lovelace2024!", ada)).toEqual(COMMON);
  });
});

describe("checkPlatformPassword", () => {
  const email = "ada.lovelace@example.com";

  it("keeps its length and email rules first, one problem at most", () => {
    expect(checkPlatformPassword("password", "pass", email)).toEqual([
      { field: "password", message: "must be at least 8 characters" },
    ]);
    expect(checkPlatformPassword("password", "x".repeat(129), email)).toEqual([
      { field: "password", message: "must be at most 128 characters" },
    ]);
    expect(checkPlatformPassword("password", ` ${email.toUpperCase()} `, email)).toEqual([
      { field: "password", message: "must not be your email address" },
    ]);
  });

  it("refuses common passwords and ones built from the email, and from the name when given", () => {
    expect(checkPlatformPassword("password", "Password123!", email)).toEqual([COMMON]);
    expect(checkPlatformPassword("password", "ada.lovelace2024", email)).toEqual([EMAIL]);
    expect(checkPlatformPassword("password", "Okonjo-Iweala!", "n@example.org")).toEqual([]);
    expect(
      checkPlatformPassword("password", "Okonjo-Iweala!", "n@example.org", "Ngozi Okonjo-Iweala"),
    ).toEqual([NAME]);
  });

  it("accepts the tests' password for the tests' platform users", () => {
    expect(checkPlatformPassword("password", PASSWORD, email, "Ada Lovelace")).toEqual([]);
  });
});

describe("checkPasswordRules with rejectCommonPasswords", () => {
  const rules = (change: Partial<PasswordRules> = {}): PasswordRules => ({
    ...DEFAULT_PASSWORD_RULES,
    ...change,
  });

  it("is on by default, and absent counts as on", () => {
    expect(DEFAULT_PASSWORD_RULES.rejectCommonPasswords).toBe(true);
    expect(checkPasswordRules("password", "password123", DEFAULT_PASSWORD_RULES)).toEqual([COMMON]);
    const { rejectCommonPasswords: _, ...older } = DEFAULT_PASSWORD_RULES;
    expect(checkPasswordRules("password", "password123", older)).toEqual([COMMON]);
  });

  it("turned off, accepts what the other rules accept", () => {
    expect(
      checkPasswordRules("password", "password123", rules({ rejectCommonPasswords: false })),
    ).toEqual([]);
    expect(
      checkPasswordRules(
        "password",
        "adalovelace1815",
        rules({ rejectCommonPasswords: false }),
        ada,
      ),
    ).toEqual([]);
  });

  it("uses the account when given, and only the list without it", () => {
    expect(checkPasswordRules("password", "adalovelace1815", rules(), ada)).toEqual([NAME]);
    expect(checkPasswordRules("password", "ada.lovelace@example.com!", rules(), ada)).toEqual([
      EMAIL,
    ]);
    expect(checkPasswordRules("password", "adalovelace1815", rules())).toEqual([]);
  });

  it("adds its entry after the composition rules' entries", () => {
    expect(checkPasswordRules("newPassword", "password", rules({ requireNumbers: true }))).toEqual([
      { field: "newPassword", message: "must contain a number" },
      { field: "newPassword", message: CommonPasswordMessages.COMMON },
    ]);
  });

  it("stays quiet about a password the length rules already refuse", () => {
    expect(checkPasswordRules("password", "qwerty", rules())).toEqual([
      { field: "password", message: "must be at least 8 characters" },
    ]);
    expect(checkPasswordRules("password", "password1", rules({ minLength: 12 }))).toEqual([
      { field: "password", message: "must be at least 12 characters" },
    ]);
  });
});
