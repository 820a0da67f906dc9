/**
 * The refresh signal: a client whose access token has expired (or whose access cookie the
 * browser has dropped while the refresh cookie lives on) is told UNAUTHENTICATED with
 * extensions.reason ACCESS_TOKEN_EXPIRED — on `me` as on every field that needs a viewer — so it
 * refreshes instead of showing a signed-out screen. No credentials at all: `me` is null.
 */
import type { GraphQLFormattedError } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EndUserChangePasswordDocument,
  EndUserMeDocument,
  EndUserRefreshSessionDocument,
  LogInDocument,
  MeDocument,
  MyOrganizationsDocument,
  RefreshSessionDocument,
  RevokeAllSessionsDocument,
  UpdateProfileDocument,
} from "./gql/graphql";
import { errorCodes, type TestClient } from "./helpers/client";
import { openProject, signUpEndUser } from "./helpers/end-users";
import { signUp } from "./helpers/flows";
import { PASSWORD, startInstance, type Instance } from "./helpers/instance";

let gh: Instance;
beforeAll(async () => {
  gh = await startInstance();
});
afterAll(() => gh?.close());

const TTL = 15 * 60;
const later = <T>(seconds: number, body: () => Promise<T>) => gh.clock.later(seconds, body);

const reasons = (result: { errors?: readonly GraphQLFormattedError[] | undefined }) =>
  (result.errors ?? []).map((e) => [e.extensions?.code, e.extensions?.reason ?? null]);
const EXPIRED = [["UNAUTHENTICATED", "ACCESS_TOKEN_EXPIRED"]];

/** What a browser does when the access cookie's Expires has passed. */
async function dropCookie(client: TestClient, name: string): Promise<void> {
  await client.jar.setCookie(
    `${name}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/`,
    client.baseUrl,
  );
  expect(await client.cookie(name)).toBeNull();
}

function bearer(token: string): TestClient {
  const client = gh.client();
  client.bearer = token;
  return client;
}

describe("platform sessions", () => {
  it("an expired bearer token: me and viewer fields say ACCESS_TOKEN_EXPIRED", async () => {
    const { tokens } = await signUp(gh.client());
    const client = bearer(tokens.accessToken);
    await later(TTL + 1, async () => {
      const me = await client.request(MeDocument);
      expect(me.data?.me).toBeNull();
      expect(reasons(me)).toEqual(EXPIRED);
      expect(reasons(await client.request(MyOrganizationsDocument, {}))).toEqual(EXPIRED);
      const update = await client.request(UpdateProfileDocument, { input: { fullName: "X" } });
      expect(reasons(update)).toEqual(EXPIRED);
    });
    // Still on time: the same token is good.
    expect((await client.ok(MeDocument)).me).not.toBeNull();
  });

  it("an expired access cookie, then only the refresh cookie: the signal, then refresh works", async () => {
    const browser = gh.client();
    const { user } = await signUp(browser, { returnRefreshToken: false });
    await later(TTL + 1, async () => {
      // The test's cookie jar keeps the cookie past the server's clock: the server sees the
      // expired token itself.
      expect(reasons(await browser.request(MeDocument))).toEqual(EXPIRED);
      await dropCookie(browser, "gh_at");
      expect(reasons(await browser.request(MeDocument))).toEqual(EXPIRED);
      await browser.ok(RefreshSessionDocument, {});
      expect((await browser.ok(MeDocument)).me?.id).toBe(user.id);
    });
  });

  it("a dead refresh cookie: the signal once, the refresh fails and clears it, then me is null", async () => {
    const browser = gh.client();
    const { email } = await signUp(browser, { returnRefreshToken: false });
    // Signed out everywhere else, from another device.
    const other = gh.client();
    await other.ok(LogInDocument, { input: { email, password: PASSWORD } });
    await other.ok(RevokeAllSessionsDocument, { keepCurrent: true });
    await dropCookie(browser, "gh_at");
    expect(reasons(await browser.request(MeDocument))).toEqual(EXPIRED);
    expect(errorCodes(await browser.request(RefreshSessionDocument, {}))).toEqual([
      "UNAUTHENTICATED",
    ]);
    expect(await browser.cookie("gh_rt")).toBeNull();
    const me = await browser.request(MeDocument);
    expect(me.errors).toBeUndefined();
    expect(me.data?.me).toBeNull();
  });

  it("no credentials, a garbage token or a revoked session's live token: me is null, no signal", async () => {
    const anonymous = await gh.client().request(MeDocument);
    expect(anonymous.errors).toBeUndefined();
    expect(anonymous.data?.me).toBeNull();

    const garbage = await bearer("not-a-token").request(MeDocument);
    expect(garbage.errors).toBeUndefined();
    expect(garbage.data?.me).toBeNull();

    const browser = gh.client();
    const { tokens } = await signUp(browser);
    await browser.ok(RevokeAllSessionsDocument, { keepCurrent: false });
    const revoked = await bearer(tokens.accessToken).request(MeDocument);
    expect(revoked.errors).toBeUndefined();
    expect(revoked.data?.me).toBeNull();
    // Tenancy fields still say UNAUTHENTICATED, with no reason to refresh.
    expect(reasons(await bearer(tokens.accessToken).request(MyOrganizationsDocument, {}))).toEqual([
      ["UNAUTHENTICATED", null],
    ]);
  });

  it("a bearer header decides alone: an invalid one with a refresh cookie is not the signal", async () => {
    const browser = gh.client();
    await signUp(browser);
    await dropCookie(browser, "gh_at");
    const result = await browser.request(MeDocument, undefined, {
      headers: { authorization: "Bearer not-a-token" },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.me).toBeNull();
  });
});

describe("end-user sessions", () => {
  it("endUserMe and end-user fields say ACCESS_TOKEN_EXPIRED per project", async () => {
    const p = await openProject(gh);
    const other = await openProject(gh);
    const browser = gh.client();
    const { endUser, tokens } = await signUpEndUser(browser, p.projectId);

    await later(TTL + 1, async () => {
      const me = await bearer(tokens.accessToken).request(EndUserMeDocument, {
        projectId: p.projectId,
      });
      expect(me.data?.endUserMe).toBeNull();
      expect(reasons(me)).toEqual(EXPIRED);

      await dropCookie(browser, `ghp_${p.projectId}_at`);
      expect(reasons(await browser.request(EndUserMeDocument, { projectId: p.projectId }))).toEqual(
        EXPIRED,
      );
      const change = await browser.request(EndUserChangePasswordDocument, {
        projectId: p.projectId,
        currentPassword: PASSWORD,
        newPassword: `${PASSWORD}!`,
      });
      expect(reasons(change)).toEqual(EXPIRED);

      // Another project's answer is about that project's cookies only; so is the platform's.
      const elsewhere = await browser.request(EndUserMeDocument, { projectId: other.projectId });
      expect(elsewhere.errors).toBeUndefined();
      expect(elsewhere.data?.endUserMe).toBeNull();
      const platform = await browser.request(MeDocument);
      expect(platform.errors).toBeUndefined();
      expect(platform.data?.me).toBeNull();

      await browser.ok(EndUserRefreshSessionDocument, { projectId: p.projectId });
      const after = await browser.ok(EndUserMeDocument, { projectId: p.projectId });
      expect(after.endUserMe?.id).toBe(endUser.id);
    });
  });

  it("an expired end-user token is not an expired platform token", async () => {
    const p = await openProject(gh);
    const { tokens } = await signUpEndUser(gh.client(), p.projectId);
    await later(TTL + 1, async () => {
      const me = await bearer(tokens.accessToken).request(MeDocument);
      expect(me.errors).toBeUndefined();
      expect(me.data?.me).toBeNull();
    });
  });
});
