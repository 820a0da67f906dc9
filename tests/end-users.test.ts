/** End users as themselves (sign-up, log-in, sessions, profile, password) and as project staff
 * see them (lists, search, role and status, deletion, sessions). Policies have their own file,
 * and so does isolation between pools. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { endUsers, passwordPolicies, projectPolicies, sessions } from "../src/db/schema/index";
import {
  CreateProjectPolicyDocument,
  DeleteEndUserDocument,
  DeleteProjectPolicyDocument,
  EndUserAuditEventsDocument,
  EndUserChangePasswordDocument,
  EndUserLogInDocument,
  EndUserLogOutDocument,
  EndUserMeDocument,
  EndUserMeWithSessionsDocument,
  EndUserRefreshSessionDocument,
  EndUserSignUpDocument,
  ProjectEndUserDocument,
  ProjectEndUsersDocument,
  RevokeEndUserSessionsDocument,
  UpdateEndUserDocument,
  UpdateEndUserProfileDocument,
  UpdatePasswordPolicyDocument,
  UpdateProjectPolicyDocument,
} from "./gql/graphql";
import { errorCodes, type TestClient } from "./helpers/client";
import { endUserEmail, openProject, signUpEndUser, type OpenProject } from "./helpers/end-users";
import { PASSWORD, startInstance, type Instance } from "./helpers/instance";
import { addMember, addProjectMember, person } from "./helpers/tenancy";

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

async function logIn(
  projectId: string,
  input: { email?: string; phone?: string; password?: string },
) {
  return gh.client().request(EndUserLogInDocument, {
    projectId,
    input: { password: PASSWORD, returnRefreshToken: true, ...input },
  });
}

async function auditActions(p: OpenProject, action?: string) {
  const data = await p.owner.client.ok(EndUserAuditEventsDocument, {
    projectId: p.projectId,
    action,
  });
  return data.auditEvents.edges.map((e) => e.node);
}

describe("endUserSignUp", () => {
  it("creates the end user with the policy's defaults and signs them in", async () => {
    const p = await openProject(gh, {
      policy: { defaultRole: "customer", defaultStatus: "active" },
    });
    const client = gh.client();
    const signed = await signUpEndUser(client, p.projectId, { fullName: "  Grace Hopper " });
    expect(signed.endUser).toMatchObject({
      email: signed.email,
      fullName: "Grace Hopper",
      role: "customer",
      status: "active",
      emailVerified: false,
      mfaEnabled: false,
      phone: null,
    });
    expect(signed.session.current).toBe(true);
    expect(signed.tokens.refreshToken).toMatch(/^[\w-]{43}$/);
    // Signed in by cookie too: the browser needs no token in script.
    expect((await client.ok(EndUserMeDocument, { projectId: p.projectId })).endUserMe?.id).toBe(
      signed.endUser.id,
    );
    const events = await auditActions(p, "end_user.signed_up");
    expect(events).toEqual([
      expect.objectContaining({
        actorEndUserId: signed.endUser.id,
        actorUserId: null,
        organizationId: p.organizationId,
        projectId: p.projectId,
        targetId: signed.endUser.id,
      }),
    ]);
  });

  it("keeps the refresh token out of the body unless asked for", async () => {
    const p = await openProject(gh);
    const signed = await signUpEndUser(gh.client(), p.projectId, { returnRefreshToken: false });
    expect(signed.tokens.refreshToken).toBeNull();
  });

  it("treats emails case-insensitively: a second sign-up in other letters is CONFLICT", async () => {
    const p = await openProject(gh);
    const { email } = await signUpEndUser(gh.client(), p.projectId);
    const again = await gh.client().request(EndUserSignUpDocument, {
      projectId: p.projectId,
      input: { fullName: "X", email: email.toUpperCase(), password: PASSWORD, authMethod: "EMAIL" },
    });
    expect(errorCodes(again)).toEqual(["CONFLICT"]);
    const list = await p.owner.client.ok(ProjectEndUsersDocument, { id: p.projectId });
    expect(list.project?.endUsers.totalCount).toBe(1);
  });

  it("refuses bad input field by field and writes nothing", async () => {
    const p = await openProject(gh);
    const result = await gh.client().request(EndUserSignUpDocument, {
      projectId: p.projectId,
      input: { fullName: " ", email: endUserEmail(), password: "short", authMethod: "EMAIL" },
    });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.extensions?.fields).toEqual([
      { field: "input.fullName", message: "must not be empty" },
      { field: "input.password", message: "must be at least 8 characters" },
    ]);
    const list = await p.owner.client.ok(ProjectEndUsersDocument, { id: p.projectId });
    expect(list.project?.endUsers.totalCount).toBe(0);
  });

  it("answers NOT_FOUND for a project that does not exist", async () => {
    const result = await gh.client().request(EndUserSignUpDocument, {
      projectId: "00000000-0000-4000-8000-000000000000",
      input: { fullName: "X", email: endUserEmail(), password: PASSWORD, authMethod: "EMAIL" },
    });
    expect(errorCodes(result)).toEqual(["NOT_FOUND"]);
  });
});

describe("endUserLogIn", () => {
  it("gives the same answer for an unknown email and a wrong password, and audits both", async () => {
    const p = await openProject(gh);
    const { email, endUser } = await signUpEndUser(gh.client(), p.projectId);
    const unknown = await logIn(p.projectId, { email: endUserEmail() });
    const wrong = await logIn(p.projectId, { email, password: "not the password" });
    expect(errorCodes(unknown)).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(wrong)).toEqual(["UNAUTHENTICATED"]);
    expect(unknown.errors?.[0]?.message).toBe(wrong.errors?.[0]?.message);
    const failed = await auditActions(p, "end_user.login.failed");
    expect(failed.map((e) => e.actorEndUserId).sort()).toEqual([endUser.id, null].sort());
  });

  it("logs in by phone when the policy accepts PHONE, and records lastLogInAt", async () => {
    const p = await openProject(gh, { policy: { authMethods: ["EMAIL", "PHONE"] } });
    const phone = `+1415555${String(Math.floor(Math.random() * 10_000)).padStart(4, "0")}`;
    const signed = await gh.client().ok(EndUserSignUpDocument, {
      projectId: p.projectId,
      input: { fullName: "Phone Person", phone, password: PASSWORD, authMethod: "PHONE" },
    });
    expect(signed.endUserSignUp.endUser).toMatchObject({ phone, email: null });
    gh.clock.advance(60);
    try {
      const result = await logIn(p.projectId, { phone });
      expect(result.errors).toBeUndefined();
      const payload = result.data?.endUserLogIn;
      if (payload?.__typename !== "EndUserAuthPayload") throw new Error("expected a payload");
      expect(payload.endUser.id).toBe(signed.endUserSignUp.endUser.id);
      expect(new Date(payload.endUser.lastLogInAt!).getTime()).toBeGreaterThan(
        new Date(signed.endUserSignUp.endUser.lastLogInAt!).getTime(),
      );
    } finally {
      gh.clock.advance(-60);
    }
  });

  it("wants exactly one of email and phone", async () => {
    const p = await openProject(gh);
    const neither = await logIn(p.projectId, {});
    const both = await logIn(p.projectId, { email: endUserEmail(), phone: "+14155550123" });
    expect(errorCodes(neither)).toEqual(["BAD_USER_INPUT"]);
    expect(errorCodes(both)).toEqual(["BAD_USER_INPUT"]);
  });

  it("rate-limits guesses per project, IP and identifier", async () => {
    const p = await openProject(gh);
    const { email } = await signUpEndUser(gh.client(), p.projectId);
    const codes: unknown[] = [];
    for (let i = 0; i < 11; i++) {
      codes.push(...errorCodes(await logIn(p.projectId, { email, password: `wrong-${i}-pass` })));
    }
    expect(codes.slice(0, 10)).toEqual(Array(10).fill("UNAUTHENTICATED"));
    expect(codes[10]).toBe("RATE_LIMITED");
    // The right password is refused too while the limit holds.
    expect(errorCodes(await logIn(p.projectId, { email }))).toEqual(["RATE_LIMITED"]);
    // Another project's pool has its own count.
    const q = await openProject(gh);
    await signUpEndUser(gh.client(), q.projectId, { email });
    expect(errorCodes(await logIn(q.projectId, { email }))).toEqual([]);
  });
});

describe("end-user sessions", () => {
  it("rotates refresh tokens and ends the family when a used one comes back", async () => {
    const p = await openProject(gh);
    const signed = await signUpEndUser(gh.client(), p.projectId);
    const first = await gh.client().ok(EndUserRefreshSessionDocument, {
      projectId: p.projectId,
      refreshToken: signed.tokens.refreshToken,
    });
    expect(first.endUserRefreshSession.session.id).toBe(signed.session.id);
    const next = first.endUserRefreshSession.tokens.refreshToken!;
    expect(next).not.toBe(signed.tokens.refreshToken);

    gh.clock.advance(30); // past the reuse grace
    try {
      const replay = await gh.client().request(EndUserRefreshSessionDocument, {
        projectId: p.projectId,
        refreshToken: signed.tokens.refreshToken,
      });
      expect(errorCodes(replay)).toEqual(["UNAUTHENTICATED"]);
      // The whole family ended: the newest token and the access token are dead too.
      const after = await gh.client().request(EndUserRefreshSessionDocument, {
        projectId: p.projectId,
        refreshToken: next,
      });
      expect(errorCodes(after)).toEqual(["UNAUTHENTICATED"]);
      const me = await bearer(first.endUserRefreshSession.tokens.accessToken).ok(
        EndUserMeDocument,
        { projectId: p.projectId },
      );
      expect(me.endUserMe).toBeNull();
    } finally {
      gh.clock.advance(-30);
    }
    const reuse = await auditActions(p, "session.reuse_detected");
    expect(reuse).toEqual([
      expect.objectContaining({
        actorEndUserId: signed.endUser.id,
        organizationId: p.organizationId,
        projectId: p.projectId,
        targetId: signed.session.id,
      }),
    ]);
  });

  it("refreshes from the project's cookie and logs out by cookie", async () => {
    const p = await openProject(gh);
    const browser = gh.client();
    const signed = await signUpEndUser(browser, p.projectId, { returnRefreshToken: false });
    const refreshed = await browser.ok(EndUserRefreshSessionDocument, { projectId: p.projectId });
    expect(refreshed.endUserRefreshSession.endUser.id).toBe(signed.endUser.id);
    expect(refreshed.endUserRefreshSession.tokens.refreshToken).toBeNull();
    expect(
      (await browser.ok(EndUserLogOutDocument, { projectId: p.projectId })).endUserLogOut,
    ).toBe(true);
    expect((await browser.ok(EndUserMeDocument, { projectId: p.projectId })).endUserMe).toBeNull();
    // The access token of that session is refused at once, not when it expires.
    const me = await bearer(refreshed.endUserRefreshSession.tokens.accessToken).ok(
      EndUserMeDocument,
      { projectId: p.projectId },
    );
    expect(me.endUserMe).toBeNull();
    expect(
      (await browser.ok(EndUserLogOutDocument, { projectId: p.projectId })).endUserLogOut,
    ).toBe(false);
    expect(await auditActions(p, "end_user.logged_out")).toHaveLength(1);
  });

  it("lists the end user's own live sessions with the current one marked", async () => {
    const p = await openProject(gh);
    const signed = await signUpEndUser(gh.client(), p.projectId);
    await logIn(p.projectId, { email: signed.email });
    const data = await bearer(signed.tokens.accessToken).ok(EndUserMeWithSessionsDocument, {
      projectId: p.projectId,
    });
    const nodes = data.endUserMe?.sessions.edges.map((e) => e.node) ?? [];
    expect(data.endUserMe?.sessions.totalCount).toBe(2);
    expect(nodes.filter((n) => n.current).map((n) => n.id)).toEqual([signed.session.id]);
  });
});

describe("updateEndUserProfile and endUserChangePassword", () => {
  it("changes the name and phone; a phone taken in the project is CONFLICT", async () => {
    const p = await openProject(gh);
    const a = await signUpEndUser(gh.client(), p.projectId);
    const b = await signUpEndUser(gh.client(), p.projectId);
    const updated = await bearer(a.tokens.accessToken).ok(UpdateEndUserProfileDocument, {
      projectId: p.projectId,
      fullName: "Ada B.",
      phone: "+442071838750",
    });
    expect(updated.updateEndUserProfile).toMatchObject({
      fullName: "Ada B.",
      phone: "+442071838750",
    });
    const taken = await bearer(b.tokens.accessToken).request(UpdateEndUserProfileDocument, {
      projectId: p.projectId,
      phone: "+442071838750",
    });
    expect(errorCodes(taken)).toEqual(["CONFLICT"]);
    const bad = await bearer(b.tokens.accessToken).request(UpdateEndUserProfileDocument, {
      projectId: p.projectId,
      phone: "020 7183 8750",
    });
    expect(errorCodes(bad)).toEqual(["BAD_USER_INPUT"]);
    const cleared = await bearer(a.tokens.accessToken).ok(UpdateEndUserProfileDocument, {
      projectId: p.projectId,
      phone: "",
    });
    expect(cleared.updateEndUserProfile.phone).toBeNull();
    expect(await auditActions(p, "end_user.profile_updated")).toHaveLength(2);
  });

  it("changes the password: the old one stops working and every other session ends", async () => {
    const p = await openProject(gh);
    const signed = await signUpEndUser(gh.client(), p.projectId);
    const other = await logIn(p.projectId, { email: signed.email });
    const otherPayload = other.data?.endUserLogIn;
    if (otherPayload?.__typename !== "EndUserAuthPayload") throw new Error("expected a payload");

    const wrong = await bearer(signed.tokens.accessToken).request(EndUserChangePasswordDocument, {
      projectId: p.projectId,
      currentPassword: "not it at all",
      newPassword: "a brand new password",
    });
    expect(errorCodes(wrong)).toEqual(["BAD_USER_INPUT"]);

    await bearer(signed.tokens.accessToken).ok(EndUserChangePasswordDocument, {
      projectId: p.projectId,
      currentPassword: PASSWORD,
      newPassword: "a brand new password",
    });
    // This session stays; the other one ended at once.
    const mine = await bearer(signed.tokens.accessToken).ok(EndUserMeDocument, {
      projectId: p.projectId,
    });
    expect(mine.endUserMe?.id).toBe(signed.endUser.id);
    const theirs = await bearer(otherPayload.tokens.accessToken).ok(EndUserMeDocument, {
      projectId: p.projectId,
    });
    expect(theirs.endUserMe).toBeNull();
    expect(errorCodes(await logIn(p.projectId, { email: signed.email }))).toEqual([
      "UNAUTHENTICATED",
    ]);
    expect(
      errorCodes(
        await logIn(p.projectId, { email: signed.email, password: "a brand new password" }),
      ),
    ).toEqual([]);
    const changed = await auditActions(p, "end_user.password_changed");
    expect(changed[0]?.metadata).toBe(JSON.stringify({ sessionsEnded: 1 }));
  });

  it("needs the end user's own session: anonymous callers are UNAUTHENTICATED", async () => {
    const p = await openProject(gh);
    const result = await gh.client().request(UpdateEndUserProfileDocument, {
      projectId: p.projectId,
      fullName: "Nobody",
    });
    expect(errorCodes(result)).toEqual(["UNAUTHENTICATED"]);
  });
});

describe("project staff and end users", () => {
  async function pool(size: number) {
    const p = await openProject(gh, {
      policy: { roles: ["customer", "vip"], statuses: ["active", "blocked"] },
    });
    const people = [];
    for (let i = 0; i < size; i++) {
      const name = i % 2 === 0 ? `Even Person ${i}` : `Odd Person ${i}`;
      people.push(
        await signUpEndUser(gh.client(), p.projectId, {
          fullName: name,
          email: endUserEmail(i % 3 === 0 ? "triple" : "plain"),
        }),
      );
    }
    return { p, people };
  }

  it("lists end users oldest first in pages, searching email or name and filtering", async () => {
    const { p, people } = await pool(7);
    const client = p.owner.client;
    const first = await client.ok(ProjectEndUsersDocument, { id: p.projectId, first: 3 });
    const page1 = first.project!.endUsers;
    expect(page1.totalCount).toBe(7);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const rest = await client.ok(ProjectEndUsersDocument, {
      id: p.projectId,
      first: 10,
      after: page1.pageInfo.endCursor,
    });
    const ids = [...page1.edges, ...rest.project!.endUsers.edges].map((e) => e.node.id);
    expect(ids).toEqual(people.map((x) => x.endUser.id));
    expect(rest.project!.endUsers.pageInfo.hasPreviousPage).toBe(true);

    const byEmail = await client.ok(ProjectEndUsersDocument, { id: p.projectId, search: "TRIPLE" });
    expect(byEmail.project!.endUsers.totalCount).toBe(3);
    const byName = await client.ok(ProjectEndUsersDocument, { id: p.projectId, search: "odd" });
    expect(byName.project!.endUsers.totalCount).toBe(3);
    // LIKE wildcards are matched literally.
    const wildcard = await client.ok(ProjectEndUsersDocument, { id: p.projectId, search: "%" });
    expect(wildcard.project!.endUsers.totalCount).toBe(0);

    await client.ok(UpdateEndUserDocument, {
      projectId: p.projectId,
      id: people[1]!.endUser.id,
      role: "vip",
    });
    const vips = await client.ok(ProjectEndUsersDocument, { id: p.projectId, role: "vip" });
    expect(vips.project!.endUsers.edges.map((e) => e.node.id)).toEqual([people[1]!.endUser.id]);
    const blocked = await client.ok(ProjectEndUsersDocument, {
      id: p.projectId,
      status: "blocked",
    });
    expect(blocked.project!.endUsers.totalCount).toBe(0);
  });

  it("reads one end user of the project by id, with its sessions", async () => {
    const { p, people } = await pool(1);
    const data = await p.owner.client.ok(ProjectEndUserDocument, {
      projectId: p.projectId,
      id: people[0]!.endUser.id,
    });
    expect(data.project?.endUser).toMatchObject({
      id: people[0]!.endUser.id,
      project: { id: p.projectId },
      sessions: { totalCount: 1 },
    });
  });

  it("sets role and status within the policy; a blocked status ends sessions at once", async () => {
    const { p, people } = await pool(1);
    const target = people[0]!;
    const outside = await p.owner.client.request(UpdateEndUserDocument, {
      projectId: p.projectId,
      id: target.endUser.id,
      role: "admin",
    });
    expect(errorCodes(outside)).toEqual(["BAD_USER_INPUT"]);
    expect(outside.errors?.[0]?.extensions?.fields).toEqual([
      { field: "role", message: "must be one of: customer, vip" },
    ]);

    const contributor = await person(gh, "contributor");
    await addMember(p.owner, p.organizationId, contributor, "MEMBER");
    await addProjectMember(p.owner, p.projectId, contributor, "CONTRIBUTOR");
    const updated = await contributor.client.ok(UpdateEndUserDocument, {
      projectId: p.projectId,
      id: target.endUser.id,
      role: "vip",
      status: "blocked",
    });
    expect(updated.updateEndUser).toMatchObject({ role: "vip", status: "blocked" });
    const me = await bearer(target.tokens.accessToken).ok(EndUserMeDocument, {
      projectId: p.projectId,
    });
    expect(me.endUserMe).toBeNull();
    const refresh = await gh.client().request(EndUserRefreshSessionDocument, {
      projectId: p.projectId,
      refreshToken: target.tokens.refreshToken,
    });
    expect(errorCodes(refresh)).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(await logIn(p.projectId, { email: target.email }))).toEqual(["FORBIDDEN"]);

    // Both events share one instant: compare them as a set, metadata parsed (jsonb orders keys).
    const events = (await auditActions(p))
      .filter((e) => e.action.startsWith("end_user.") && e.actorUserId)
      .map((e) => ({ ...e, metadata: JSON.parse(e.metadata ?? "null") as unknown }))
      .sort((x, y) => x.action.localeCompare(y.action));
    expect(events).toEqual([
      expect.objectContaining({
        action: "end_user.role_changed",
        actorUserId: contributor.id,
        targetId: target.endUser.id,
        metadata: { from: null, to: "vip" },
      }),
      expect.objectContaining({
        action: "end_user.status_changed",
        actorUserId: contributor.id,
        metadata: { from: null, to: "blocked", sessionsEnded: 1 },
      }),
    ]);

    // Back to active: log-in works again.
    await p.owner.client.ok(UpdateEndUserDocument, {
      projectId: p.projectId,
      id: target.endUser.id,
      status: "active",
    });
    expect(errorCodes(await logIn(p.projectId, { email: target.email }))).toEqual([]);
  });

  it("revokes an end user's sessions and counts them; deleting ends them and frees the email", async () => {
    const { p, people } = await pool(1);
    const target = people[0]!;
    await logIn(p.projectId, { email: target.email });
    const revoked = await p.owner.client.ok(RevokeEndUserSessionsDocument, {
      projectId: p.projectId,
      id: target.endUser.id,
    });
    expect(revoked.revokeEndUserSessions).toBe(2);
    expect(
      (await bearer(target.tokens.accessToken).ok(EndUserMeDocument, { projectId: p.projectId }))
        .endUserMe,
    ).toBeNull();

    const again = await logIn(p.projectId, { email: target.email });
    const payload = again.data?.endUserLogIn;
    if (payload?.__typename !== "EndUserAuthPayload") throw new Error("expected a payload");
    await p.owner.client.ok(DeleteEndUserDocument, {
      projectId: p.projectId,
      id: target.endUser.id,
    });
    expect(
      (await bearer(payload.tokens.accessToken).ok(EndUserMeDocument, { projectId: p.projectId }))
        .endUserMe,
    ).toBeNull();
    const gone = await p.owner.client.ok(ProjectEndUserDocument, {
      projectId: p.projectId,
      id: target.endUser.id,
    });
    expect(gone.project?.endUser).toBeNull();
    const twice = await p.owner.client.request(DeleteEndUserDocument, {
      projectId: p.projectId,
      id: target.endUser.id,
    });
    expect(errorCodes(twice)).toEqual(["NOT_FOUND"]);
    // The address is free for a new account.
    await signUpEndUser(gh.client(), p.projectId, { email: target.email });
    const actions = (await auditActions(p)).map((e) => e.action);
    expect(actions).toContain("end_user.sessions_revoked");
    expect(actions).toContain("end_user.deleted");
  });
});

describe("races with policy changes (the change commits while the password hashes)", () => {
  /** Runs `during` once, inside the next call of the server's hasher method `method`. */
  function during(method: "hash" | "verify", run: () => Promise<unknown>): () => void {
    const hasher = gh.app.services.passwords as unknown as Record<
      string,
      (...args: unknown[]) => Promise<unknown>
    >;
    const original = hasher[method]!;
    let pending: (() => Promise<unknown>) | null = run;
    hasher[method] = async (...args: unknown[]) => {
      const next = pending;
      pending = null;
      if (next) await next();
      return original.apply(hasher, args);
    };
    return () => {
      hasher[method] = original;
    };
  }

  it("a sign-up is judged by the password policy that committed before it", async () => {
    const p = await openProject(gh);
    const restore = during("hash", () =>
      p.owner.client.ok(UpdatePasswordPolicyDocument, { projectId: p.projectId, minLength: 30 }),
    );
    try {
      const result = await gh.client().request(EndUserSignUpDocument, {
        projectId: p.projectId,
        input: {
          fullName: "Racer",
          email: endUserEmail(),
          password: PASSWORD,
          authMethod: "EMAIL",
        },
      });
      expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
      expect(result.errors?.[0]?.extensions?.fields).toEqual([
        { field: "input.password", message: "must be at least 30 characters" },
      ]);
    } finally {
      restore();
    }
    const list = await p.owner.client.ok(ProjectEndUsersDocument, { id: p.projectId });
    expect(list.project?.endUsers.totalCount).toBe(0);
  });

  it("a log-in is refused when the end user's status became blocked meanwhile", async () => {
    const p = await openProject(gh, { policy: { blockedStatuses: ["blocked"] } });
    const signed = await signUpEndUser(gh.client(), p.projectId);
    await p.owner.client.ok(UpdateEndUserDocument, {
      projectId: p.projectId,
      id: signed.endUser.id,
      status: "banned",
    });
    const restore = during("verify", () =>
      p.owner.client.ok(UpdateProjectPolicyDocument, {
        projectId: p.projectId,
        blockedStatuses: ["blocked", "banned"],
      }),
    );
    try {
      expect(errorCodes(await logIn(p.projectId, { email: signed.email }))).toEqual(["FORBIDDEN"]);
    } finally {
      restore();
    }
    // Listing the status as blocked ended the session the end user already had.
    const me = await bearer(signed.tokens.accessToken).ok(EndUserMeDocument, {
      projectId: p.projectId,
    });
    expect(me.endUserMe).toBeNull();
  });

  it("a project policy created after a status was given ends the sessions it now blocks", async () => {
    const p = await openProject(gh);
    const signed = await signUpEndUser(gh.client(), p.projectId);
    await p.owner.client.ok(DeleteProjectPolicyDocument, { projectId: p.projectId });
    // Without a policy any status may be set; "banned" is not blocked by default.
    await p.owner.client.ok(UpdateEndUserDocument, {
      projectId: p.projectId,
      id: signed.endUser.id,
      status: "banned",
    });
    const still = await bearer(signed.tokens.accessToken).ok(EndUserMeDocument, {
      projectId: p.projectId,
    });
    expect(still.endUserMe?.status).toBe("banned");
    await p.owner.client.ok(CreateProjectPolicyDocument, {
      projectId: p.projectId,
      blockedStatuses: ["banned"],
    });
    const refreshed = await gh.client().request(EndUserRefreshSessionDocument, {
      projectId: p.projectId,
      refreshToken: signed.tokens.refreshToken,
    });
    expect(errorCodes(refreshed)).toEqual(["UNAUTHENTICATED"]);
  });

  it("a token of an end user whose stored status is blocked is refused, even with a live session", async () => {
    const p = await openProject(gh);
    const signed = await signUpEndUser(gh.client(), p.projectId);
    // Written behind the service's back, as a concurrent change could leave it.
    await gh.database.db
      .update(endUsers)
      .set({ status: "suspended" })
      .where(eq(endUsers.id, signed.endUser.id));
    const me = await bearer(signed.tokens.accessToken).ok(EndUserMeDocument, {
      projectId: p.projectId,
    });
    expect(me.endUserMe).toBeNull();
  });
});

describe("argument checks", () => {
  it("refuses an oversized or control-character search, status or role before any query", async () => {
    const p = await openProject(gh);
    const cases = [
      { search: "x".repeat(101), field: "search" },
      { search: "a\u0000b", field: "search" },
      { status: "a\u0000b", field: "status" },
      { role: "r".repeat(65), field: "role" },
    ];
    for (const { field, ...args } of cases) {
      const result = await p.owner.client.request(ProjectEndUsersDocument, {
        id: p.projectId,
        ...args,
      });
      expect(errorCodes(result), field).toEqual(["BAD_USER_INPUT"]);
      expect(result.errors?.[0]?.extensions?.fields, field).toEqual([
        expect.objectContaining({ field }),
      ]);
    }
  });

  it("accepts project ids only in their 36-character form", async () => {
    const p = await openProject(gh);
    const { email } = await signUpEndUser(gh.client(), p.projectId);
    for (const projectId of [
      `{{${p.projectId}}}`,
      `${p.projectId}}`,
      `urn:uuid:{${p.projectId}}`,
    ]) {
      const result = await gh.client().request(EndUserLogInDocument, {
        projectId,
        input: { email, password: PASSWORD },
      });
      expect(errorCodes(result), projectId).toEqual(["BAD_USER_INPUT"]);
    }
    // Spellings the scalar turns into the canonical form are the same project.
    for (const projectId of [p.projectId.toUpperCase(), `{${p.projectId}}`]) {
      expect(errorCodes(await logIn(projectId, { email })), projectId).toEqual([]);
    }
  });
});

describe("the database keeps pools apart on its own", () => {
  /** The statement fails on the named foreign key (the driver's error is Drizzle's cause). */
  async function expectForeignKeyRefusal(statement: PromiseLike<unknown>, constraint: string) {
    const error: unknown = await Promise.resolve(statement).then(
      () => null,
      (e: unknown) => e,
    );
    const cause = (error as { cause?: { code?: string; constraint?: string } } | null)?.cause;
    expect(cause?.code).toBe("23503");
    expect(cause?.constraint ?? JSON.stringify(cause)).toContain(constraint);
  }

  it("refuses a session tying an end user to another project, and a policy naming another project's password policy", async () => {
    const p = await openProject(gh);
    const q = await openProject(gh, { owner: p.owner, organizationId: p.organizationId });
    const signed = await signUpEndUser(gh.client(), p.projectId);
    const at = new Date();
    await expectForeignKeyRefusal(
      gh.database.db.insert(sessions).values({
        endUserId: signed.endUser.id,
        projectId: q.projectId,
        expiresAt: new Date(at.getTime() + 60_000),
        idleExpiresAt: new Date(at.getTime() + 60_000),
      }),
      "sessions_end_user_fk",
    );
    const [policyOfP] = await gh.database.db
      .select()
      .from(passwordPolicies)
      .where(eq(passwordPolicies.projectId, p.projectId));
    await expectForeignKeyRefusal(
      gh.database.db
        .update(projectPolicies)
        .set({ passwordPolicyId: policyOfP!.id })
        .where(eq(projectPolicies.projectId, q.projectId)),
      "project_policies_password_policy_fk",
    );
  });
});
