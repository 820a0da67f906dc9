/**
 * Revocation stays instant while the per-request session check is served from memory: every way
 * a session ends is refused by the very next request, after that request's session was warm in
 * the viewer cache. (The two-node and lost-connection cases are in revocation-nodes.test.ts.)
 */
import fs from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessions, users } from "../src/db/schema/index";
import {
  ChangePasswordDocument,
  DeleteEndUserDocument,
  DeleteOrganizationDocument,
  DeleteProjectDocument,
  EndUserChangePasswordDocument,
  EndUserLogInDocument,
  EndUserLogOutDocument,
  EndUserMeDocument,
  EndUserRefreshSessionDocument,
  LogInDocument,
  LogOutDocument,
  MeDocument,
  RefreshSessionDocument,
  RevokeAllSessionsDocument,
  RevokeEndUserSessionsDocument,
  RevokeSessionDocument,
  UpdateEndUserDocument,
  UpdateProjectPolicyDocument,
} from "./gql/graphql";
import type { TestClient } from "./helpers/client";
import { openProject, signUpEndUser, type OpenProject } from "./helpers/end-users";
import { signUp } from "./helpers/flows";
import { PASSWORD, startInstance, type Instance } from "./helpers/instance";

let gh: Instance;
beforeAll(async () => {
  gh = await startInstance();
});
afterAll(() => gh?.close());

function bearer(token: string): TestClient {
  const client = gh.client();
  client.bearer = token;
  return client;
}

/** A platform user's `me` twice: the second answer comes from the viewer cache. */
async function warmPlatform(client: TestClient): Promise<void> {
  for (let i = 0; i < 2; i++) expect((await client.ok(MeDocument)).me).not.toBeNull();
}

async function platformSignedOut(client: TestClient): Promise<boolean> {
  return (await client.ok(MeDocument)).me === null;
}

async function warmEndUser(client: TestClient, projectId: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    expect((await client.ok(EndUserMeDocument, { projectId })).endUserMe).not.toBeNull();
  }
}

async function endUserSignedOut(client: TestClient, projectId: string): Promise<boolean> {
  return (await client.ok(EndUserMeDocument, { projectId })).endUserMe === null;
}

/** A platform user signed in on two clients (two sessions), both warm. */
async function platformUserOnTwoDevices() {
  const first = gh.client();
  const { email, tokens, session, user } = await signUp(first);
  first.bearer = tokens.accessToken;
  const second = gh.client();
  const logIn = await second.ok(LogInDocument, { input: { email, password: PASSWORD } });
  if (logIn.logIn.__typename !== "AuthPayload") throw new Error("expected a session");
  second.bearer = logIn.logIn.tokens.accessToken;
  await warmPlatform(first);
  await warmPlatform(second);
  return { first, second, email, user, session, refreshToken: tokens.refreshToken! };
}

/** An end user of a fresh project, signed in with a bearer token, warm. */
async function warmEndUserOf(project?: OpenProject) {
  const opened = project ?? (await openProject(gh));
  const signedUp = await signUpEndUser(gh.client(), opened.projectId);
  const client = bearer(signedUp.tokens.accessToken);
  await warmEndUser(client, opened.projectId);
  return { ...opened, client, endUser: signedUp.endUser, signedUp };
}

describe("the viewer check is served from memory", () => {
  it("answers a warm session without the database: a change nobody published goes unseen", async () => {
    // With triggers off (replica mode) the database publishes nothing: the warm session still
    // answers, which is what proves the tests below exercise the cache, not the database.
    const { first, session } = await platformUserOnTwoDevices();
    await gh.database.db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.id, session.id));
    });
    expect(await platformSignedOut(first)).toBe(false);
    // Published, it is refused at once.
    await gh.database.db
      .update(sessions)
      .set({ revokedAt: new Date() })
      .where(eq(sessions.id, session.id));
    await gh.app.services.viewerCache.barrier();
    expect(await platformSignedOut(first)).toBe(true);
  });
});

describe("every way a platform session ends is refused by the very next request", () => {
  it("logOut", async () => {
    const { first, second } = await platformUserOnTwoDevices();
    await first.ok(LogOutDocument);
    expect(await platformSignedOut(first)).toBe(true);
    expect(await platformSignedOut(second)).toBe(false);
  });

  it("revokeSession", async () => {
    const { first, second, session } = await platformUserOnTwoDevices();
    await second.ok(RevokeSessionDocument, { id: session.id });
    expect(await platformSignedOut(first)).toBe(true);
    expect(await platformSignedOut(second)).toBe(false);
  });

  it("revokeAllSessions (keeping the current one, then all)", async () => {
    const { first, second } = await platformUserOnTwoDevices();
    await second.ok(RevokeAllSessionsDocument, { keepCurrent: true });
    expect(await platformSignedOut(first)).toBe(true);
    expect(await platformSignedOut(second)).toBe(false);
    await second.ok(RevokeAllSessionsDocument, { keepCurrent: false });
    expect(await platformSignedOut(second)).toBe(true);
  });

  it("changePassword ends the other sessions", async () => {
    const { first, second } = await platformUserOnTwoDevices();
    await second.ok(ChangePasswordDocument, {
      input: { currentPassword: PASSWORD, newPassword: "a brand new passphrase" },
    });
    expect(await platformSignedOut(first)).toBe(true);
    expect(await platformSignedOut(second)).toBe(false);
  });

  it("reuse detection ends the session", async () => {
    const { first, refreshToken } = await platformUserOnTwoDevices();
    await gh.client().ok(RefreshSessionDocument, { refreshToken });
    await gh.clock.later(60, async () => {
      await gh.client().request(RefreshSessionDocument, { refreshToken });
      expect(await platformSignedOut(first)).toBe(true);
    });
  });

  it("a locked account", async () => {
    const { first, second, user } = await platformUserOnTwoDevices();
    // Nothing in the API locks accounts yet (the admin lock comes later); the database can, and
    // a mutation would wait for this node to hear it exactly like this.
    await gh.database.db.update(users).set({ lockedAt: new Date() }).where(eq(users.id, user.id));
    await gh.app.services.viewerCache.barrier();
    expect(await platformSignedOut(first)).toBe(true);
    expect(await platformSignedOut(second)).toBe(true);
  });

  it("a profile change is read by the next request (the cached user is dropped too)", async () => {
    const { first, user } = await platformUserOnTwoDevices();
    await gh.database.db.update(users).set({ fullName: "Renamed" }).where(eq(users.id, user.id));
    await gh.app.services.viewerCache.barrier();
    expect((await first.ok(MeDocument)).me?.fullName).toBe("Renamed");
  });
});

describe("every way an end user's session ends is refused by the very next request", () => {
  it("endUserLogOut", async () => {
    const { client, projectId } = await warmEndUserOf();
    await client.ok(EndUserLogOutDocument, { projectId });
    expect(await endUserSignedOut(client, projectId)).toBe(true);
  });

  it("endUserChangePassword ends the other sessions", async () => {
    const { client, projectId, signedUp } = await warmEndUserOf();
    const second = gh.client();
    const logIn = await second.ok(EndUserLogInDocument, {
      projectId,
      input: { email: signedUp.email, password: PASSWORD },
    });
    if (logIn.endUserLogIn.__typename !== "EndUserAuthPayload")
      throw new Error("expected a session");
    second.bearer = logIn.endUserLogIn.tokens.accessToken;
    await warmEndUser(second, projectId);
    await second.ok(EndUserChangePasswordDocument, {
      projectId,
      currentPassword: PASSWORD,
      newPassword: "a brand new passphrase",
    });
    expect(await endUserSignedOut(client, projectId)).toBe(true);
    expect(await endUserSignedOut(second, projectId)).toBe(false);
  });

  it("revokeEndUserSessions (project staff)", async () => {
    const { client, projectId, owner, endUser } = await warmEndUserOf();
    await owner.client.ok(RevokeEndUserSessionsDocument, { projectId, id: endUser.id });
    expect(await endUserSignedOut(client, projectId)).toBe(true);
  });

  it("a blocked status set by staff", async () => {
    const { client, projectId, owner, endUser } = await warmEndUserOf();
    await owner.client.ok(UpdateEndUserDocument, { projectId, id: endUser.id, status: "blocked" });
    expect(await endUserSignedOut(client, projectId)).toBe(true);
  });

  it("a project policy that newly blocks a status", async () => {
    const opened = await openProject(gh, { policy: { statuses: ["active", "trial"] } });
    const { client, projectId, owner, endUser } = await warmEndUserOf(opened);
    await owner.client.ok(UpdateEndUserDocument, { projectId, id: endUser.id, status: "trial" });
    await warmEndUser(client, projectId);
    await owner.client.ok(UpdateProjectPolicyDocument, {
      projectId,
      blockedStatuses: ["blocked", "trial"],
    });
    expect(await endUserSignedOut(client, projectId)).toBe(true);
  });

  it("a deleted end user", async () => {
    const { client, projectId, owner, endUser } = await warmEndUserOf();
    await owner.client.ok(DeleteEndUserDocument, { projectId, id: endUser.id });
    expect(await endUserSignedOut(client, projectId)).toBe(true);
  });

  it("a deleted project", async () => {
    const { client, projectId, owner } = await warmEndUserOf();
    await owner.client.ok(DeleteProjectDocument, { id: projectId });
    expect(await endUserSignedOut(client, projectId)).toBe(true);
  });

  it("a deleted organization", async () => {
    const { client, projectId, owner, organizationId } = await warmEndUserOf();
    await owner.client.ok(DeleteOrganizationDocument, { id: organizationId });
    expect(await endUserSignedOut(client, projectId)).toBe(true);
  });

  it("reuse detection ends the session", async () => {
    const { client, projectId, signedUp } = await warmEndUserOf();
    const refreshToken = signedUp.tokens.refreshToken!;
    await gh.client().ok(EndUserRefreshSessionDocument, { projectId, refreshToken });
    await gh.clock.later(60, async () => {
      await gh.client().request(EndUserRefreshSessionDocument, { projectId, refreshToken });
      expect(await endUserSignedOut(client, projectId)).toBe(true);
    });
  });
});

describe("expiry is exact", () => {
  it("refuses a warm access token the moment it expires", async () => {
    const { first } = await platformUserOnTwoDevices();
    await gh.clock.later(gh.config.tokens.accessTtlSeconds, async () => {
      // Not signed out: told to refresh.
      const expired = await first.request(MeDocument);
      expect(expired.data?.me).toBeNull();
      expect(expired.errors?.map((e) => e.extensions?.reason)).toEqual(["ACCESS_TOKEN_EXPIRED"]);
    });
    expect(await platformSignedOut(first)).toBe(false);
  });

  it("refuses a warm session the moment it ends, before its access token does", async () => {
    const short = await startInstance({
      database: gh.database,
      env: {
        ACCESS_TOKEN_TTL: "1h",
        REFRESH_TOKEN_IDLE_TTL: "10m",
        REFRESH_TOKEN_ABSOLUTE_TTL: "20m",
      },
    });
    try {
      const client = short.client();
      const { tokens } = await signUp(client);
      client.bearer = tokens.accessToken;
      for (let i = 0; i < 2; i++) expect((await client.ok(MeDocument)).me).not.toBeNull();
      short.clock.advance(10 * 60 - 1);
      expect((await client.ok(MeDocument)).me).not.toBeNull();
      short.clock.advance(1);
      expect((await client.ok(MeDocument)).me).toBeNull();
    } finally {
      await short.close();
    }
  });
});

describe("one function ends sessions", () => {
  it("no module but src/auth/sessions.ts marks a session revoked (the schema only declares it)", () => {
    const root = path.resolve(import.meta.dirname, "../src");
    const writers: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (path.relative(root, full) !== path.join("db", "schema")) walk(full);
        } else if (
          entry.name.endsWith(".ts") &&
          /revokedReason\s*:/.test(fs.readFileSync(full, "utf8"))
        )
          writers.push(path.relative(root, full));
      }
    };
    walk(root);
    expect(writers).toEqual(["auth/sessions.ts"]);
  });
});
