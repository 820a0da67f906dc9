/**
 * Email verification, password reset and email change, for platform users and for a project's
 * end users, end to end: mail goes out through SMTP to a real SMTP server process, and the test
 * follows the links it received, as a person would.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pruneAccountTokens } from "../src/auth/account-tokens";
import { accountTokens, mailOutbox } from "../src/db/schema/index";
import { pruneMail } from "../src/mail/outbox";
import {
  AddOrganizationMemberDocument,
  ConfirmEmailChangeDocument,
  CreateOrganizationDocument,
  EndUserConfirmEmailChangeDocument,
  EndUserLogInDocument,
  EndUserMeDocument,
  EndUserRequestEmailChangeDocument,
  EndUserRequestPasswordResetDocument,
  EndUserResetPasswordDocument,
  EndUserVerifyEmailDocument,
  LogInDocument,
  MeVerifiedDocument,
  RequestEmailChangeDocument,
  RequestEmailVerificationDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  UpdateProjectDocument,
  VerifyEmailDocument,
} from "./gql/graphql";
import { errorCodes, type TestClient } from "./helpers/client";
import { endUserEmail, openProject, signUpEndUser, type OpenProject } from "./helpers/end-users";
import { signUp } from "./helpers/flows";
import { PASSWORD, startInstance, uniqueEmail, type Instance } from "./helpers/instance";
import { startSmtpServer, type Received } from "./helpers/smtp";

const APP_URL = "https://app.example.com";
const SHOP_URL = "https://shop.example.com/app";
const NEW_PASSWORD = "a brand new passphrase 7";

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let gh: Instance;
let shop: OpenProject;

beforeAll(async () => {
  smtp = await startSmtpServer();
  gh = await startInstance({
    env: { SMTP_URL: smtp.url, APP_URL, ACCOUNT_MAIL_RATE_LIMIT_POINTS: "1000" },
  });
  shop = await openProject(gh);
  await shop.owner.client.ok(UpdateProjectDocument, { id: shop.projectId, appUrl: SHOP_URL });
});
afterAll(async () => {
  await gh?.close();
  await smtp?.stop();
});

/** The next message to `to` whose subject matches, and the token of its link under `base`. */
async function mailTo(to: string, subject: RegExp, base = APP_URL) {
  const message = await smtp.waitFor(
    (m) => m.to.includes(to.toLowerCase()) && subject.test(m.subject),
    20_000,
  );
  const link = message.links.find((l) => l.startsWith(`${base}/`));
  return { message, token: link ? (new URL(link).searchParams.get("token") ?? "") : "" };
}

function tokenIn(message: Received, base: string): string {
  const link = message.links.find((l) => l.startsWith(`${base}/`));
  if (!link) throw new Error(`No link under ${base} in: ${message.links.join(", ")}`);
  return new URL(link).searchParams.get("token") ?? "";
}

function sent(to: string): Received[] {
  return smtp.messages().filter((m) => m.to.includes(to.toLowerCase()));
}

function bearer(token: string): TestClient {
  const client = gh.client();
  client.bearer = token;
  return client;
}

describe("platform users", () => {
  it("sign-up mails a verification link; verifyEmail marks the address verified, once", async () => {
    const browser = gh.client();
    const { email } = await signUp(browser);
    expect((await browser.ok(MeVerifiedDocument)).me?.emailVerified).toBe(false);
    const { message, token } = await mailTo(email, /verify/i);
    expect(message.links.every((l) => l.startsWith(`${APP_URL}/verify-email?token=`))).toBe(true);

    // From another device, signed out: the token is the credential.
    const verified = await gh.client().ok(VerifyEmailDocument, { token });
    expect(verified.verifyEmail).toMatchObject({ email, emailVerified: true });
    expect((await browser.ok(MeVerifiedDocument)).me?.emailVerified).toBe(true);
    expect(errorCodes(await gh.client().request(VerifyEmailDocument, { token }))).toEqual([
      "BAD_USER_INPUT",
    ]);
    expect((await browser.ok(RequestEmailVerificationDocument)).requestEmailVerification).toBe(
      false,
    );
  });

  it("a newer verification link replaces the older; links expire after 24 hours", async () => {
    const browser = gh.client();
    const { email } = await signUp(browser);
    const first = await mailTo(email, /verify/i);
    expect((await browser.ok(RequestEmailVerificationDocument)).requestEmailVerification).toBe(
      true,
    );
    await expect.poll(() => sent(email).length, { timeout: 20_000 }).toBe(2);
    const second = tokenIn(sent(email)[1]!, APP_URL);
    expect(second).not.toBe(first.token);
    expect(
      errorCodes(await gh.client().request(VerifyEmailDocument, { token: first.token })),
    ).toEqual(["BAD_USER_INPUT"]);
    const late = await gh.clock.later(24 * 3600 + 1, () =>
      gh.client().request(VerifyEmailDocument, { token: second }),
    );
    expect(errorCodes(late)).toEqual(["BAD_USER_INPUT"]);
    expect(
      (await gh.client().ok(VerifyEmailDocument, { token: second })).verifyEmail.emailVerified,
    ).toBe(true);
  });

  it("password reset: true for any address, mail only to an account; the reset ends every session", async () => {
    const device = gh.client();
    const { email, tokens } = await signUp(device);
    const unknown = uniqueEmail("nobody");
    expect(
      (await gh.client().ok(RequestPasswordResetDocument, { email: unknown })).requestPasswordReset,
    ).toBe(true);
    expect(
      (await gh.client().ok(RequestPasswordResetDocument, { email })).requestPasswordReset,
    ).toBe(true);
    const { message, token } = await mailTo(email, /reset/i);
    expect(message.text).toContain(`${APP_URL}/reset-password?token=`);
    // The unknown address was asked for first and got nothing.
    expect(sent(unknown)).toEqual([]);

    // A password the rules refuse leaves the link usable.
    const weak = await gh
      .client()
      .request(ResetPasswordDocument, { token, newPassword: "password1" });
    expect(errorCodes(weak)).toEqual(["BAD_USER_INPUT"]);
    expect(
      (await gh.client().ok(ResetPasswordDocument, { token, newPassword: NEW_PASSWORD }))
        .resetPassword,
    ).toBe(true);

    // Every session ended at once, the old password is gone, the new one works.
    expect((await bearer(tokens.accessToken).ok(MeVerifiedDocument)).me).toBeNull();
    expect(
      errorCodes(
        await gh.client().request(LogInDocument, { input: { email, password: PASSWORD } }),
      ),
    ).toEqual(["UNAUTHENTICATED"]);
    const again = gh.client();
    await again.ok(LogInDocument, { input: { email, password: NEW_PASSWORD } });
    // The link proved the mailbox: the address is verified.
    expect((await again.ok(MeVerifiedDocument)).me?.emailVerified).toBe(true);
    await mailTo(email, /password.*changed|changed.*password/i);
    expect(
      errorCodes(
        await gh
          .client()
          .request(ResetPasswordDocument, { token, newPassword: `${NEW_PASSWORD}!` }),
      ),
    ).toEqual(["BAD_USER_INPUT"]);
  });

  it("a reset link is good for an hour", async () => {
    const { email } = await signUp(gh.client());
    await gh.client().ok(RequestPasswordResetDocument, { email });
    const { token } = await mailTo(email, /reset/i);
    const late = await gh.clock.later(3601, () =>
      gh.client().request(ResetPasswordDocument, { token, newPassword: NEW_PASSWORD }),
    );
    expect(errorCodes(late)).toEqual(["BAD_USER_INPUT"]);
  });

  it("answers a reset request for a known and an unknown address in about the same time", async () => {
    const { email } = await signUp(gh.client());
    const time = async (address: string) => {
      const started = performance.now();
      await gh.client().ok(RequestPasswordResetDocument, { email: address });
      return performance.now() - started;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 8; i++) {
      unknown.push(await time(uniqueEmail("ghost")));
      known.push(await time(email));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    // Both do one lookup; the mail is queued after the answer. A generous bound for a noisy machine.
    expect(Math.abs(median(known) - median(unknown))).toBeLessThan(25);
    await gh.app.services.accountFlows.settled();
  });

  it("email change: confirm at the new address, notice to the old, other sessions end", async () => {
    const browser = gh.client();
    const { email } = await signUp(browser);
    const other = gh.client();
    await other.ok(LogInDocument, { input: { email, password: PASSWORD } });
    const newEmail = uniqueEmail("moved");

    const wrong = await browser.request(RequestEmailChangeDocument, {
      newEmail,
      currentPassword: "not it at all",
    });
    expect(errorCodes(wrong)).toEqual(["BAD_USER_INPUT"]);
    const taken = await signUp(gh.client());
    expect(
      errorCodes(
        await browser.request(RequestEmailChangeDocument, {
          newEmail: taken.email,
          currentPassword: PASSWORD,
        }),
      ),
    ).toEqual(["CONFLICT"]);

    await browser.ok(RequestEmailChangeDocument, { newEmail, currentPassword: PASSWORD });
    const { token } = await mailTo(newEmail, /confirm|change/i);
    // Until confirmed, the address is the old one.
    expect((await browser.ok(MeVerifiedDocument)).me?.email).toBe(email);
    const confirmed = await browser.ok(ConfirmEmailChangeDocument, { token });
    expect(confirmed.confirmEmailChange).toMatchObject({ email: newEmail, emailVerified: true });
    await mailTo(email, /changed/i);
    expect((await browser.ok(MeVerifiedDocument)).me?.email).toBe(newEmail);
    expect((await other.ok(MeVerifiedDocument)).me).toBeNull();
    expect(errorCodes(await browser.request(ConfirmEmailChangeDocument, { token }))).toEqual([
      "BAD_USER_INPUT",
    ]);
  });

  it("a password reset retires the links still out: an email change asked for before dies", async () => {
    // Someone who knew the password asked to move the account to their own address.
    const victim = gh.client();
    const { email } = await signUp(victim);
    const attacker = uniqueEmail("attacker");
    await victim.ok(RequestEmailChangeDocument, { newEmail: attacker, currentPassword: PASSWORD });
    const stolen = await mailTo(attacker, /confirm|change/i);
    // The owner resets the password from their mailbox…
    await gh.client().ok(RequestPasswordResetDocument, { email });
    const reset = await mailTo(email, /reset/i);
    await gh.client().ok(ResetPasswordDocument, { token: reset.token, newPassword: NEW_PASSWORD });
    // …and the change link no longer works.
    const late = await gh.client().request(ConfirmEmailChangeDocument, { token: stolen.token });
    expect(errorCodes(late)).toEqual(["BAD_USER_INPUT"]);
    const again = gh.client();
    await again.ok(LogInDocument, { input: { email, password: NEW_PASSWORD } });
    expect((await again.ok(MeVerifiedDocument)).me?.email).toBe(email);
  });

  it("a reset link mailed to an address the account has since left resets nothing", async () => {
    const browser = gh.client();
    const { email } = await signUp(browser);
    await gh.client().ok(RequestPasswordResetDocument, { email });
    const old = await mailTo(email, /reset/i);
    const newEmail = uniqueEmail("new-home");
    await browser.ok(RequestEmailChangeDocument, { newEmail, currentPassword: PASSWORD });
    const change = await mailTo(newEmail, /confirm|change/i);
    await browser.ok(ConfirmEmailChangeDocument, { token: change.token });
    const result = await gh.client().request(ResetPasswordDocument, {
      token: old.token,
      newPassword: NEW_PASSWORD,
    });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
  });

  it("an address taken between request and confirmation is CONFLICT at confirmation", async () => {
    const browser = gh.client();
    await signUp(browser);
    const newEmail = uniqueEmail("race");
    await browser.ok(RequestEmailChangeDocument, { newEmail, currentPassword: PASSWORD });
    const { token } = await mailTo(newEmail, /confirm|change/i);
    await signUp(gh.client(), { email: newEmail });
    expect(errorCodes(await browser.request(ConfirmEmailChangeDocument, { token }))).toEqual([
      "CONFLICT",
    ]);
  });
});

describe("end users of a project", () => {
  it("sign-up mails a verification link into the project's app, under its name", async () => {
    const browser = gh.client();
    const { email } = await signUpEndUser(browser, shop.projectId);
    const { message, token } = await mailTo(email, /verify/i, SHOP_URL);
    expect(message.text).toContain("Web app");
    const verified = await gh
      .client()
      .ok(EndUserVerifyEmailDocument, { projectId: shop.projectId, token });
    expect(verified.endUserVerifyEmail).toMatchObject({ email, emailVerified: true });
    // A token of this project means nothing on the platform's door.
    expect(errorCodes(await gh.client().request(VerifyEmailDocument, { token }))).toEqual([
      "BAD_USER_INPUT",
    ]);
  });

  it("password reset ends the end user's sessions; a token works only in its project", async () => {
    const browser = gh.client();
    const { email, tokens } = await signUpEndUser(browser, shop.projectId);
    await gh.client().ok(EndUserRequestPasswordResetDocument, { projectId: shop.projectId, email });
    const { token } = await mailTo(email, /reset/i, SHOP_URL);
    const other = await openProject(gh);
    expect(
      errorCodes(
        await gh.client().request(EndUserResetPasswordDocument, {
          projectId: other.projectId,
          token,
          newPassword: NEW_PASSWORD,
        }),
      ),
    ).toEqual(["BAD_USER_INPUT"]);
    await gh.client().ok(EndUserResetPasswordDocument, {
      projectId: shop.projectId,
      token,
      newPassword: NEW_PASSWORD,
    });
    expect(
      (await bearer(tokens.accessToken).ok(EndUserMeDocument, { projectId: shop.projectId }))
        .endUserMe,
    ).toBeNull();
    const logIn = await gh.client().request(EndUserLogInDocument, {
      projectId: shop.projectId,
      input: { email, password: NEW_PASSWORD },
    });
    expect(logIn.errors).toBeUndefined();
  });

  it("email change in the project's pool", async () => {
    const browser = gh.client();
    const { email } = await signUpEndUser(browser, shop.projectId);
    const newEmail = endUserEmail("moved");
    await browser.ok(EndUserRequestEmailChangeDocument, {
      projectId: shop.projectId,
      newEmail,
      currentPassword: PASSWORD,
    });
    const { token } = await mailTo(newEmail, /confirm|change/i, SHOP_URL);
    const confirmed = await browser.ok(EndUserConfirmEmailChangeDocument, {
      projectId: shop.projectId,
      token,
    });
    expect(confirmed.endUserConfirmEmailChange).toMatchObject({
      email: newEmail,
      emailVerified: true,
    });
    await mailTo(email, /changed/i);
  });

  it("a project without appUrl cannot send mail: FAILED_PRECONDITION", async () => {
    const bare = await openProject(gh);
    const result = await gh.client().request(EndUserRequestPasswordResetDocument, {
      projectId: bare.projectId,
      email: endUserEmail(),
    });
    expect(errorCodes(result)).toEqual(["FAILED_PRECONDITION"]);
  });
});

describe("verification required, and the limits", () => {
  it("REQUIRE_VERIFIED_EMAIL: the right password for an unverified account answers EMAIL_NOT_VERIFIED and mails a new link", async () => {
    const strict = await startInstance({
      database: gh.database,
      env: { SMTP_URL: smtp.url, APP_URL, REQUIRE_VERIFIED_EMAIL: "true" },
    });
    try {
      const { email } = await signUp(strict.client());
      await mailTo(email, /verify/i);
      const wrong = await strict
        .client()
        .request(LogInDocument, { input: { email, password: "wrong password!" } });
      expect(errorCodes(wrong)).toEqual(["UNAUTHENTICATED"]);
      const refused = await strict
        .client()
        .request(LogInDocument, { input: { email, password: PASSWORD } });
      expect(refused.errors?.map((e) => [e.extensions?.code, e.extensions?.reason])).toEqual([
        ["FAILED_PRECONDITION", "EMAIL_NOT_VERIFIED"],
      ]);
      await expect.poll(() => sent(email).length, { timeout: 20_000 }).toBe(2);
      const token = tokenIn(sent(email)[1]!, APP_URL);
      await strict.client().ok(VerifyEmailDocument, { token });
      const allowed = await strict
        .client()
        .request(LogInDocument, { input: { email, password: PASSWORD } });
      expect(allowed.errors).toBeUndefined();

      // Adding a member by address needs that address verified (an invitation proves it).
      const owner = strict.client();
      await signUp(owner);
      const slug = `verified-${Date.now().toString(36)}`;
      const org = await owner.ok(CreateOrganizationDocument, { name: "Verified Co", slug });
      const newcomer = await signUp(strict.client());
      const add = () =>
        owner.request(AddOrganizationMemberDocument, {
          organizationId: org.createOrganization.id,
          email: newcomer.email,
          role: "MEMBER",
        });
      expect(errorCodes(await add())).toEqual(["FAILED_PRECONDITION"]);
      const link = await mailTo(newcomer.email, /verify/i);
      await strict.client().ok(VerifyEmailDocument, { token: link.token });
      expect((await add()).errors).toBeUndefined();
    } finally {
      await strict.close();
    }
  });

  it("a project policy's requireVerifiedEmail holds its end users to the same rule", async () => {
    const strict = await openProject(gh, { policy: { requireVerifiedEmail: true } });
    await strict.owner.client.ok(UpdateProjectDocument, {
      id: strict.projectId,
      appUrl: SHOP_URL,
    });
    const { email } = await signUpEndUser(gh.client(), strict.projectId);
    await mailTo(email, /verify/i, SHOP_URL);
    const logIn = () =>
      gh.client().request(EndUserLogInDocument, {
        projectId: strict.projectId,
        input: { email, password: PASSWORD },
      });
    const refused = await logIn();
    expect(refused.errors?.map((e) => [e.extensions?.code, e.extensions?.reason])).toEqual([
      ["FAILED_PRECONDITION", "EMAIL_NOT_VERIFIED"],
    ]);
    await expect.poll(() => sent(email).length, { timeout: 20_000 }).toBe(2);
    const token = tokenIn(sent(email)[1]!, SHOP_URL);
    await gh.client().ok(EndUserVerifyEmailDocument, { projectId: strict.projectId, token });
    expect((await logIn()).errors).toBeUndefined();
    // The platform's rule is its own: this instance does not require verification.
    const { email: staff } = await signUp(gh.client());
    const platform = await gh.client().request(LogInDocument, {
      input: { email: staff, password: PASSWORD },
    });
    expect(platform.errors).toBeUndefined();
  });

  it("counts every alias against the per-address limit", async () => {
    const limited = await startInstance({
      database: gh.database,
      env: { SMTP_URL: smtp.url, APP_URL, ACCOUNT_MAIL_RATE_LIMIT_POINTS: "2" },
    });
    try {
      const email = uniqueEmail("limited");
      const response = await limited.client().raw(
        JSON.stringify({
          query: `mutation($email: EmailAddress!) { a: requestPasswordReset(email: $email) b: requestPasswordReset(email: $email) c: requestPasswordReset(email: $email) }`,
          variables: { email },
        }),
        { "content-type": "application/json" },
      );
      const body = (await response.json()) as {
        errors?: { extensions?: Record<string, unknown> }[];
      };
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual(["RATE_LIMITED"]);
      expect(body.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
      // Batched operations cannot multiply attempts either: HTTP batching is off.
      const batch = await limited
        .client()
        .raw(
          JSON.stringify([
            { query: `mutation { requestPasswordReset(email: "${uniqueEmail("b1")}") }` },
            { query: `mutation { requestPasswordReset(email: "${uniqueEmail("b2")}") }` },
          ]),
          { "content-type": "application/json" },
        );
      expect(batch.status).toBe(400);
      await limited.app.services.accountFlows.settled();
    } finally {
      await limited.close();
    }
  });
});

describe("pruning", () => {
  it("deletes tokens used or expired over a day ago, and delivered mail over a week old", async () => {
    const { email } = await signUp(gh.client());
    const { token } = await mailTo(email, /verify/i);
    await gh.client().ok(VerifyEmailDocument, { token });
    const { db } = gh.database;
    const mine = () => db.select().from(accountTokens).where(eq(accountTokens.email, email));
    expect(await mine()).toHaveLength(1);
    await pruneAccountTokens(db, new Date());
    expect(await mine()).toHaveLength(1);
    await pruneAccountTokens(db, new Date(Date.now() + 2 * 86_400_000));
    expect(await mine()).toEqual([]);

    const sentTo = () => db.select().from(mailOutbox).where(eq(mailOutbox.recipient, email));
    expect((await sentTo()).map((row) => row.status)).toEqual(["SENT"]);
    await pruneMail(db, new Date(Date.now() + 8 * 86_400_000));
    expect(await sentTo()).toEqual([]);
  });
});
