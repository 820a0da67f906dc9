import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, refreshTokens, sessions, users } from "../src/db/schema/index";
import {
  ChangePasswordDocument,
  LogInDocument,
  LogOutDocument,
  MeDocument,
  MySessionsDocument,
  RefreshSessionDocument,
  RevokeAllSessionsDocument,
  RevokeSessionDocument,
} from "./gql/graphql";
import { errorCodes, type TestClient } from "./helpers/client";
import { signUp } from "./helpers/flows";
import { PASSWORD, startInstance, type Instance } from "./helpers/instance";

let gh: Instance;
beforeAll(async () => {
  gh = await startInstance();
});
afterAll(() => gh?.close());

const DAY = 86_400;

const later = <T>(seconds: number, body: () => Promise<T>) => gh.clock.later(seconds, body);

async function logInAgain(email: string): Promise<TestClient> {
  const client = gh.client();
  await client.ok(LogInDocument, { input: { email, password: PASSWORD } });
  return client;
}

function bearer(token: string): TestClient {
  const client = gh.client();
  client.bearer = token;
  return client;
}

async function refresh(token: string) {
  return gh.client().request(RefreshSessionDocument, { refreshToken: token });
}

describe("refreshSession", () => {
  it("rotates: a new refresh token and access token in the same session", async () => {
    const { tokens, session } = await signUp(gh.client());
    const result = await refresh(tokens.refreshToken!);
    const next = result.data!.refreshSession;
    expect(next.session.id).toBe(session.id);
    expect(next.tokens.refreshToken).toMatch(/^[\w-]{43}$/);
    expect(next.tokens.refreshToken).not.toBe(tokens.refreshToken);
    expect(next.tokens.accessToken).not.toBe(tokens.accessToken);
    expect((await bearer(next.tokens.accessToken).ok(MeDocument)).me).not.toBeNull();
    // The successor rotates in turn.
    expect((await refresh(next.tokens.refreshToken!)).data?.refreshSession.session.id).toBe(
      session.id,
    );
  });

  it("works from the cookie alone and then replaces both cookies", async () => {
    const browser = gh.client();
    await signUp(browser, { returnRefreshToken: false });
    const before = { at: await browser.cookie("gh_at"), rt: await browser.cookie("gh_rt") };
    const result = await browser.request(RefreshSessionDocument, {});
    expect(result.errors).toBeUndefined();
    // Browser code never receives the refresh token in the body.
    expect(result.data?.refreshSession.tokens.refreshToken).toBeNull();
    expect(await browser.cookie("gh_rt")).not.toBe(before.rt);
    expect(await browser.cookie("gh_at")).not.toBe(before.at);
    expect((await browser.ok(MeDocument)).me).not.toBeNull();
  });

  it("refuses an unknown token and a missing one with UNAUTHENTICATED", async () => {
    expect(errorCodes(await refresh("not-a-real-token"))).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(await gh.client().request(RefreshSessionDocument, {}))).toEqual([
      "UNAUTHENTICATED",
    ]);
  });

  it("tolerates a second use inside the grace interval (two tabs) without forking the session", async () => {
    const { tokens, session } = await signUp(gh.client());
    const first = await refresh(tokens.refreshToken!);
    const second = await later(5, () => refresh(tokens.refreshToken!));
    expect(first.data?.refreshSession.session.id).toBe(session.id);
    expect(second.data?.refreshSession.session.id).toBe(session.id);
  });

  it("revokes the whole family when a used token comes back after the grace interval", async () => {
    const { tokens, user, session } = await signUp(gh.client());
    const rotated = (await refresh(tokens.refreshToken!)).data!.refreshSession.tokens;

    const replay = await later(11, () => refresh(tokens.refreshToken!));
    expect(errorCodes(replay)).toEqual(["UNAUTHENTICATED"]);

    // The thief's and the owner's tokens are both dead now, access token included.
    expect(errorCodes(await refresh(rotated.refreshToken!))).toEqual(["UNAUTHENTICATED"]);
    expect((await bearer(rotated.accessToken).ok(MeDocument)).me).toBeNull();

    const events = await gh.database.db
      .select()
      .from(auditEvents)
      .where(
        and(eq(auditEvents.action, "session.reuse_detected"), eq(auditEvents.targetId, session.id)),
      );
    expect(events).toHaveLength(1);
    expect(events[0]?.actorUserId).toBe(user.id);
  });

  it("never forks a second family under 20 simultaneous refreshes of one token", async () => {
    const { tokens, user, session } = await signUp(gh.client());
    const results = await Promise.all(
      Array.from({ length: 20 }, () => refresh(tokens.refreshToken!)),
    );
    for (const result of results) {
      // Each either rotated within the one session or was refused; none started another.
      if (result.data) expect(result.data.refreshSession.session.id).toBe(session.id);
      else expect(errorCodes(result)).toEqual(["UNAUTHENTICATED"]);
    }
    expect(results.some((r) => r.data)).toBe(true);
    const rows = await gh.database.db.select().from(sessions).where(eq(sessions.userId, user.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.revokedAt).toBeNull();
  });

  it("collapses grace-window siblings at the next rotation, so a copied one is caught as reuse", async () => {
    const { tokens, session } = await signUp(gh.client());
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => refresh(tokens.refreshToken!)),
    );
    const children = burst
      .map((r) => r.data?.refreshSession.tokens.refreshToken)
      .filter(Boolean) as string[];
    expect(children.length).toBeGreaterThan(1);

    // The owner rotates one child; every other child is retired with it.
    const [mine, ...others] = children;
    const next = (await refresh(mine!)).data!.refreshSession.tokens.refreshToken!;
    const live = await gh.database.db
      .select({ id: refreshTokens.id })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.sessionId, session.id), isNull(refreshTokens.usedAt)));
    expect(live).toHaveLength(1);

    // A copied sibling presented after the grace interval ends the family.
    expect(errorCodes(await later(11, () => refresh(others[0]!)))).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(await refresh(next))).toEqual(["UNAUTHENTICATED"]);
  });

  it("ends after the idle lifetime without use", async () => {
    const { tokens } = await signUp(gh.client());
    const result = await later(7 * DAY + 1, () => refresh(tokens.refreshToken!));
    expect(errorCodes(result)).toEqual(["UNAUTHENTICATED"]);
  });

  it("slides the idle lifetime on use but never passes the absolute lifetime", async () => {
    const { tokens } = await signUp(gh.client());
    let token = tokens.refreshToken!;
    let elapsed = 0;
    try {
      for (const step of [6, 6, 6, 6, 5]) {
        gh.clock.advance(step * DAY);
        elapsed += step * DAY;
        const result = await refresh(token);
        expect(result.errors).toBeUndefined();
        token = result.data!.refreshSession.tokens.refreshToken!;
      }
      gh.clock.advance(DAY + 1); // day 30 and a second: past the absolute lifetime
      elapsed += DAY + 1;
      expect(errorCodes(await refresh(token))).toEqual(["UNAUTHENTICATED"]);
    } finally {
      gh.clock.advance(-elapsed);
    }
  });
});

describe("logOut", () => {
  it("refuses that access token and that refresh token at once, and clears the cookies", async () => {
    const browser = gh.client();
    const { tokens } = await signUp(browser);
    expect(await browser.ok(LogOutDocument)).toEqual({ logOut: true });
    expect(await browser.cookie("gh_at")).toBeNull();
    expect(await browser.cookie("gh_rt")).toBeNull();
    expect((await bearer(tokens.accessToken).ok(MeDocument)).me).toBeNull();
    expect(errorCodes(await refresh(tokens.refreshToken!))).toEqual(["UNAUTHENTICATED"]);
  });

  it("works from the refresh cookie when the access token has expired", async () => {
    const browser = gh.client();
    const { tokens } = await signUp(browser);
    const result = await later(16 * 60, () => browser.ok(LogOutDocument));
    expect(result.logOut).toBe(true);
    expect(errorCodes(await refresh(tokens.refreshToken!))).toEqual(["UNAUTHENTICATED"]);
  });

  it("answers false when there is no session", async () => {
    expect(await gh.client().ok(LogOutDocument)).toEqual({ logOut: false });
  });
});

describe("me.sessions and revocation", () => {
  it("lists the live sessions, newest first, marking the current one, with pagination", async () => {
    const first = gh.client();
    const { email } = await signUp(first);
    await logInAgain(email);
    const third = await logInAgain(email);

    const page1 = (await third.ok(MySessionsDocument, { first: 2 })).me!.sessions;
    expect(page1.totalCount).toBe(3);
    expect(page1.edges).toHaveLength(2);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(page1.edges[0]?.node.current).toBe(true);
    expect(page1.edges[0]?.node.ipAddress).toBe("127.0.0.1");
    expect(page1.edges[0]?.node.userAgent).toBeTruthy();
    const page2 = (
      await third.ok(MySessionsDocument, { first: 2, after: page1.pageInfo.endCursor })
    ).me!.sessions;
    expect(page2.edges).toHaveLength(1);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    const ids = [...page1.edges, ...page2.edges].map((e) => e.node.id);
    expect(new Set(ids).size).toBe(3);
  });

  it("refuses a page larger than 100 and a forged cursor with BAD_USER_INPUT", async () => {
    const client = gh.client();
    await signUp(client);
    expect(errorCodes(await client.request(MySessionsDocument, { first: 101 }))).toEqual([
      "BAD_USER_INPUT",
    ]);
    for (const after of [
      "garbage",
      Buffer.from(`2024-01-01T00:00:00.000Z|${"-".repeat(36)}`).toString("base64url"),
    ]) {
      const result = await client.request(MySessionsDocument, { after });
      expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    }
  });

  it("revokeSession ends one of the viewer's sessions, and its access token with it", async () => {
    const laptop = gh.client();
    const { email } = await signUp(laptop);
    const phone = gh.client();
    const phoneLogIn = await phone.ok(LogInDocument, { input: { email, password: PASSWORD } });
    if (phoneLogIn.logIn.__typename !== "AuthPayload") throw new Error("expected a session");

    expect(await laptop.ok(RevokeSessionDocument, { id: phoneLogIn.logIn.session.id })).toEqual({
      revokeSession: true,
    });
    expect((await phone.ok(MeDocument)).me).toBeNull();
    expect((await laptop.ok(MeDocument)).me).not.toBeNull();
  });

  it("revokeSession cannot touch another user's session: NOT_FOUND, and it stays live", async () => {
    const mallory = gh.client();
    await signUp(mallory);
    const victim = gh.client();
    const { session } = await signUp(victim);
    expect(errorCodes(await mallory.request(RevokeSessionDocument, { id: session.id }))).toEqual([
      "NOT_FOUND",
    ]);
    expect((await victim.ok(MeDocument)).me).not.toBeNull();
  });

  it("revokeAllSessions with keepCurrent ends the others only", async () => {
    const main = gh.client();
    const { email } = await signUp(main);
    const other1 = await logInAgain(email);
    const other2 = await logInAgain(email);
    expect(await main.ok(RevokeAllSessionsDocument, { keepCurrent: true })).toEqual({
      revokeAllSessions: 2,
    });
    expect((await main.ok(MeDocument)).me).not.toBeNull();
    expect((await other1.ok(MeDocument)).me).toBeNull();
    expect((await other2.ok(MeDocument)).me).toBeNull();
  });

  it("revokeAllSessions without keepCurrent ends every session, this one too", async () => {
    const main = gh.client();
    const { email } = await signUp(main);
    const other = await logInAgain(email);
    expect(await main.ok(RevokeAllSessionsDocument, {})).toEqual({ revokeAllSessions: 2 });
    expect((await main.ok(MeDocument)).me).toBeNull();
    expect((await other.ok(MeDocument)).me).toBeNull();
  });

  it("changePassword ends every other session and keeps this one", async () => {
    const main = gh.client();
    const { email } = await signUp(main);
    const other = await logInAgain(email);
    await main.ok(ChangePasswordDocument, {
      input: { currentPassword: PASSWORD, newPassword: "another long secret" },
    });
    expect((await main.ok(MeDocument)).me).not.toBeNull();
    expect((await other.ok(MeDocument)).me).toBeNull();
    expect(errorCodes(await other.request(RefreshSessionDocument, {}))).toEqual([
      "UNAUTHENTICATED",
    ]);
  });

  it("refuses a locked account's access token at once", async () => {
    const client = gh.client();
    const { user } = await signUp(client);
    expect((await client.ok(MeDocument)).me?.id).toBe(user.id);
    await gh.database.db.update(users).set({ lockedAt: new Date() }).where(eq(users.id, user.id));
    // As a mutation would: wait until this node has heard its own change (see viewer-cache.ts).
    await gh.app.services.viewerCache.barrier();
    expect((await client.ok(MeDocument)).me).toBeNull();
    expect(errorCodes(await client.request(RefreshSessionDocument, {}))).toEqual(["FORBIDDEN"]);
  });

  it("answers me: null, without an error, to anonymous callers", async () => {
    const result = await gh.client().request(MySessionsDocument, {});
    expect(result.data?.me).toBeNull();
    expect(result.errors).toBeUndefined();
  });
});
