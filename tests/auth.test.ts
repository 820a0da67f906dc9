import { and, count, eq, isNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, sessions, users } from "../src/db/schema/index";
import { ChangePasswordDocument, LogInDocument, MeDocument, SignUpDocument } from "./gql/graphql";
import { errorCodes } from "./helpers/client";
import { signUp } from "./helpers/flows";
import { PASSWORD, startInstance, uniqueEmail, type Instance } from "./helpers/instance";

let gh: Instance;
beforeAll(async () => {
  gh = await startInstance({ env: { LOGIN_RATE_LIMIT_POINTS: "5" } });
});
afterAll(() => gh?.close());

async function usersWithEmail(email: string): Promise<number> {
  const [row] = await gh.database.db
    .select({ n: count() })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email.toLowerCase()));
  return row?.n ?? 0;
}

async function auditActions(targetOrActor: string): Promise<string[]> {
  const rows = await gh.database.db
    .select({ action: auditEvents.action })
    .from(auditEvents)
    .where(
      sql`${auditEvents.actorUserId} = ${targetOrActor} or ${auditEvents.targetId} = ${targetOrActor}`,
    )
    .orderBy(auditEvents.at);
  return rows.map((r) => r.action);
}

describe("signUp", () => {
  it("creates the user, starts a session and sets httpOnly cookies", async () => {
    const client = gh.client();
    const email = uniqueEmail("Ada");
    const result = await client.request(SignUpDocument, {
      input: { fullName: "  Ada Lovelace ", email, password: PASSWORD },
    });
    expect(result.errors).toBeUndefined();
    const payload = result.data!.signUp;
    expect(payload.user).toMatchObject({
      email,
      fullName: "Ada Lovelace",
      platformRole: "USER",
      emailVerified: false,
    });
    expect(payload.session.current).toBe(true);
    expect(payload.tokens.accessToken.split(".")).toHaveLength(3);
    // Browser clients never see the refresh token unless they ask for it.
    expect(payload.tokens.refreshToken).toBeNull();
    expect(await client.cookie("gh_at")).toBe(payload.tokens.accessToken);
    expect(await client.cookie("gh_rt")).toMatch(/^[\w-]{43}$/);
    expect(result.headers.get("cache-control")).toBe("no-store");

    const me = await client.ok(MeDocument);
    expect(me.me?.id).toBe(payload.user.id);
    expect(await auditActions(payload.user.id)).toContain("user.signed_up");
  });

  it("returns the refresh token in the body when asked", async () => {
    const { tokens } = await signUp(gh.client(), { returnRefreshToken: true });
    expect(tokens.refreshToken).toMatch(/^[\w-]{43}$/);
  });

  it("refuses an email that exists in another case with CONFLICT", async () => {
    const email = uniqueEmail("case");
    await signUp(gh.client(), { email });
    const again = await gh.client().request(SignUpDocument, {
      input: { fullName: "Other", email: email.toUpperCase(), password: PASSWORD },
    });
    expect(errorCodes(again)).toEqual(["CONFLICT"]);
    expect(await usersWithEmail(email)).toBe(1);
  });

  it("creates exactly one user from 20 simultaneous sign-ups with one email", async () => {
    const email = uniqueEmail("race");
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        gh
          .client()
          .request(SignUpDocument, { input: { fullName: "Racer", email, password: PASSWORD } }),
      ),
    );
    const succeeded = results.filter((r) => r.data?.signUp);
    expect(succeeded).toHaveLength(1);
    expect(results.filter((r) => errorCodes(r)[0] === "CONFLICT")).toHaveLength(19);
    expect(await usersWithEmail(email)).toBe(1);
  });

  it.each([
    ["a short password", { password: "short" }, "input.password"],
    ["a password equal to the email", { password: "SELF" }, "input.password"],
    ["a 129-character password", { password: "x".repeat(129) }, "input.password"],
    ["a 1 MB password", { password: "p".repeat(1024 * 1024) }, "input.password"],
    ["a 10 KB name", { fullName: "n".repeat(10 * 1024) }, "input.fullName"],
    ["an empty name", { fullName: "   " }, "input.fullName"],
    ["a name with control characters", { fullName: "Ada\u0000Lovelace" }, "input.fullName"],
  ])("refuses %s with BAD_USER_INPUT and writes nothing", async (_label, override, field) => {
    const email = uniqueEmail("bad");
    const input = { fullName: "Ada", email, password: PASSWORD, ...override };
    if (input.password === "SELF") input.password = email;
    const result = await gh.client().request(SignUpDocument, { input });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    const fields = result.errors?.[0]?.extensions?.fields as { field: string }[];
    expect(fields.map((f) => f.field)).toContain(field);
    expect(await usersWithEmail(email)).toBe(0);
  });

  it("refuses a common password and one built from the email or name, naming why, and writes nothing", async () => {
    const email = uniqueEmail("quonk");
    const local = email.slice(0, email.indexOf("@"));
    const cases: [string, string][] = [
      ["Password123!", "is one of the most common passwords"],
      ["qwerty123", "is one of the most common passwords"],
      [`${local}!`, "is too close to your email address"],
      [`${email.toUpperCase()}2024`, "is too close to your email address"],
      ["AdaLovelace1815", "is too close to your name"],
    ];
    for (const [password, message] of cases) {
      const result = await gh.client().request(SignUpDocument, {
        input: { fullName: "Ada Lovelace", email, password },
      });
      expect(errorCodes(result), password).toEqual(["BAD_USER_INPUT"]);
      expect(result.errors?.[0]?.extensions?.fields, password).toEqual([
        { field: "input.password", message },
      ]);
    }
    expect(await usersWithEmail(email)).toBe(0);
    // A passphrase that contains a common word is fine.
    const ok = await gh.client().request(SignUpDocument, {
      input: { fullName: "Ada Lovelace", email, password: "monkey dragon sunshine castle" },
    });
    expect(ok.errors).toBeUndefined();
  });

  it("counts password length in code points, so 8 emoji are 8 characters", async () => {
    const result = await gh.client().request(SignUpDocument, {
      input: { fullName: "Emoji", email: uniqueEmail(), password: "🔑".repeat(8) },
    });
    expect(result.errors).toBeUndefined();
  });

  it("refuses a malformed email with BAD_USER_INPUT", async () => {
    const result = await gh.client().request(SignUpDocument, {
      input: { fullName: "Ada", email: "not-an-email", password: PASSWORD },
    });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
  });
});

describe("logIn", () => {
  it("signs in with the right password, case-insensitively on the email", async () => {
    const { email, user } = await signUp(gh.client());
    const client = gh.client();
    const result = await client.ok(LogInDocument, {
      input: { email: email.toUpperCase(), password: PASSWORD, returnRefreshToken: true },
    });
    expect(result.logIn.__typename).toBe("AuthPayload");
    if (result.logIn.__typename !== "AuthPayload") return;
    expect(result.logIn.user.id).toBe(user.id);
    expect(result.logIn.tokens.refreshToken).toMatch(/^[\w-]{43}$/);
    expect((await client.ok(MeDocument)).me?.id).toBe(user.id);
    expect(await auditActions(user.id)).toContain("user.login.succeeded");
  });

  it("answers a wrong password and an unknown email identically", async () => {
    const { email, user } = await signUp(gh.client());
    const wrong = await gh
      .client()
      .request(LogInDocument, { input: { email, password: "wrong password!" } });
    const unknown = await gh.client().request(LogInDocument, {
      input: { email: uniqueEmail("nobody"), password: "wrong password!" },
    });
    expect(errorCodes(wrong)).toEqual(["UNAUTHENTICATED"]);
    expect(wrong.errors?.[0]?.message).toBe(unknown.errors?.[0]?.message);
    expect(wrong.errors?.[0]?.extensions).toEqual(unknown.errors?.[0]?.extensions);
    expect(wrong.status).toBe(unknown.status);
    expect(await auditActions(user.id)).toContain("user.login.failed");
  });

  it("takes about the same time for an unknown email as for a wrong password", async () => {
    const { email } = await signUp(gh.client());
    const time = async (address: string) => {
      const started = performance.now();
      await gh
        .client()
        .request(LogInDocument, { input: { email: address, password: "wrong password!" } });
      return performance.now() - started;
    };
    // Medians of a few tries each: an unknown email still runs a full Argon2id verification.
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++) {
      known.push(await time(email));
      unknown.push(await time(uniqueEmail("ghost")));
    }
    const ratio = median(unknown) / median(known);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it("refuses a 1 MB password with BAD_USER_INPUT before any work", async () => {
    const { email, user } = await signUp(gh.client());
    const before = (await auditActions(user.id)).length;
    const result = await gh.client().request(LogInDocument, {
      input: { email, password: "p".repeat(1024 * 1024) },
    });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect((await auditActions(user.id)).length).toBe(before);
  });

  it("rate-limits repeated failures for one email from one address", async () => {
    const { email } = await signUp(gh.client());
    const attempt = (password: string) =>
      gh.client().request(LogInDocument, { input: { email, password } });
    for (let i = 0; i < 5; i++)
      expect(errorCodes(await attempt("wrong password!"))).toEqual(["UNAUTHENTICATED"]);
    const limited = await attempt(PASSWORD);
    expect(errorCodes(limited)).toEqual(["RATE_LIMITED"]);
    expect(limited.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
  });
});

describe("log-in races", () => {
  it("counts a parallel burst of wrong passwords against the limit before hashing", async () => {
    const { email } = await signUp(gh.client());
    const burst = await Promise.all(
      Array.from({ length: 20 }, () =>
        gh.client().request(LogInDocument, { input: { email, password: "wrong password!" } }),
      ),
    );
    const codes = burst.map((r) => errorCodes(r)[0]);
    // Limit 5: exactly five guesses were evaluated, however the requests interleaved.
    expect(codes.filter((c) => c === "UNAUTHENTICATED")).toHaveLength(5);
    expect(codes.filter((c) => c === "RATE_LIMITED")).toHaveLength(15);
  });

  it("leaves no session of the old password once a password change has finished", async () => {
    const owner = gh.client();
    const { email, user } = await signUp(owner);
    const change = owner.request(ChangePasswordDocument, {
      input: { currentPassword: PASSWORD, newPassword: "the new long secret" },
    });
    await new Promise((r) => setTimeout(r, 15));
    const oldPasswordLogIns = Array.from({ length: 4 }, () =>
      gh.client().request(LogInDocument, { input: { email, password: PASSWORD } }),
    );
    expect((await change).errors).toBeUndefined();
    await Promise.all(oldPasswordLogIns);
    const live = await gh.database.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.userId, user.id), isNull(sessions.revokedAt)));
    // Only the session that changed the password survives: a log-in that verified the old
    // password either committed first (and was ended by the change) or was refused.
    expect(live).toHaveLength(1);
  });
});

describe("password hashing", () => {
  it("stores Argon2id at OWASP parameters, never the password", async () => {
    const { email } = await signUp(gh.client());
    const [row] = await gh.database.db
      .select({ hash: users.passwordHash })
      .from(users)
      .where(eq(users.email, email));
    expect(row?.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row?.hash).not.toContain(PASSWORD);
  });

  it("rehashes on log-in when the parameters change", async () => {
    const { email } = await signUp(gh.client());
    const stronger = await startInstance({ env: { ARGON2_TIME_COST: "3" }, database: gh.database });
    try {
      await stronger.client().ok(LogInDocument, { input: { email, password: PASSWORD } });
      const [row] = await gh.database.db
        .select({ hash: users.passwordHash })
        .from(users)
        .where(eq(users.email, email));
      expect(row?.hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=3,p=1\$/);
      // The old server still verifies the new hash: rehashing changed parameters, not the password.
      await gh.client().ok(LogInDocument, { input: { email, password: PASSWORD } });
    } finally {
      await stronger.close();
    }
  });
});

describe("changePassword", () => {
  it("needs the current password, and then the new one works", async () => {
    const client = gh.client();
    const { email, user } = await signUp(client);
    const wrong = await client.request(ChangePasswordDocument, {
      input: { currentPassword: "not my password", newPassword: "a brand new secret" },
    });
    expect(errorCodes(wrong)).toEqual(["BAD_USER_INPUT"]);
    await client.ok(ChangePasswordDocument, {
      input: { currentPassword: PASSWORD, newPassword: "a brand new secret" },
    });
    const old = await gh.client().request(LogInDocument, { input: { email, password: PASSWORD } });
    expect(errorCodes(old)).toEqual(["UNAUTHENTICATED"]);
    await gh.client().ok(LogInDocument, { input: { email, password: "a brand new secret" } });
    expect(await auditActions(user.id)).toContain("user.password_changed");
  });

  it("refuses a common new password on newPassword, and the old one keeps working", async () => {
    const client = gh.client();
    const { email } = await signUp(client);
    const result = await client.request(ChangePasswordDocument, {
      input: { currentPassword: PASSWORD, newPassword: "Password123!" },
    });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.extensions?.fields).toEqual([
      {
        field: "input.newPassword",
        message: "is one of the most common passwords",
      },
    ]);
    await gh.client().ok(LogInDocument, { input: { email, password: PASSWORD } });
  });

  it("is refused to an anonymous caller", async () => {
    const result = await gh.client().request(ChangePasswordDocument, {
      input: { currentPassword: PASSWORD, newPassword: "a brand new secret" },
    });
    expect(errorCodes(result)).toEqual(["UNAUTHENTICATED"]);
  });
});
