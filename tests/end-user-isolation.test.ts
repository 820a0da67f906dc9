/**
 * Isolation between end-user pools, and between end users and the platform. Organization A runs
 * projects P1 and P2, organization B (another owner) runs P3; one email signs up in all three
 * with a different password each. Tokens, cookies, ids and emails crossing between them are
 * refused or invisible; deleting an end user or a project ends its sessions at once.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AcceptOrganizationInvitationDocument,
  AddOrganizationMemberDocument,
  AddProjectMemberDocument,
  AuditEventsDocument,
  ChangePasswordDocument,
  CreateOrganizationDocument,
  CreatePasswordPolicyDocument,
  CreateProjectDocument,
  CreateProjectPolicyDocument,
  DeleteEndUserDocument,
  DeleteOrganizationDocument,
  DeletePasswordPolicyDocument,
  DeleteProjectDocument,
  DeleteProjectPolicyDocument,
  EndUserChangePasswordDocument,
  EndUserLogInDocument,
  EndUserLogOutDocument,
  EndUserMeDocument,
  EndUserMeWithSessionsDocument,
  EndUserRefreshSessionDocument,
  EndUserSignUpDocument,
  InviteOrganizationMemberDocument,
  LogOutDocument,
  MeDocument,
  MyOrganizationsDocument,
  MySessionsDocument,
  OrganizationByIdDocument,
  OrganizationInvitationsDocument,
  OrganizationProjectsDocument,
  ProjectByIdDocument,
  ProjectEndUserDocument,
  ProjectEndUsersDocument,
  ProjectPoliciesDocument,
  RefreshSessionDocument,
  RevokeAllSessionsDocument,
  RevokeEndUserSessionsDocument,
  RevokeSessionDocument,
  TransferOrganizationOwnershipDocument,
  UpdateEndUserDocument,
  UpdateEndUserProfileDocument,
  UpdateOrganizationDocument,
  UpdatePasswordPolicyDocument,
  UpdateProfileDocument,
  UpdateProjectDocument,
  UpdateProjectPolicyDocument,
} from "./gql/graphql";
import { errorCodes, type GraphQLResponse, type TestClient } from "./helpers/client";
import { endUserEmail, openForSignUp, signUpEndUser } from "./helpers/end-users";
import { signUp } from "./helpers/flows";
import { PASSWORD, startInstance, type Instance } from "./helpers/instance";
import {
  addMember,
  addProjectMember,
  createOrganization,
  createProject,
  person,
  uniqueSlug,
  type Person,
} from "./helpers/tenancy";

/** An end user of one pool, holding a session; `client` sends its access token as a bearer. */
interface PoolMember {
  projectId: string;
  email: string;
  password: string;
  id: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  client: TestClient;
}

let gh: Instance;
let ownerA: Person;
let ownerB: Person;
/** An organization A member who manages P1 only (the owner acts as manager of P2 as well). */
let managerP1: Person;
let orgA: string;
let p1: string;
let p2: string;
let p3: string;
let sharedEmail: string;
let e1: PoolMember;
let e2: PoolMember;
let e3: PoolMember;

/** A client that sends `token` as its bearer and holds no cookies. */
function bearer(token: string): TestClient {
  const client = gh.client();
  client.bearer = token;
  return client;
}

/** Signs `email` up in `projectId` with `password`; the session is then held by bearer only. */
async function join(projectId: string, email: string, password = PASSWORD): Promise<PoolMember> {
  const signed = await signUpEndUser(gh.client(), projectId, { email, password });
  const { accessToken, refreshToken } = signed.tokens;
  if (!refreshToken) throw new Error("Sign-up returned no refresh token");
  return {
    projectId,
    email,
    password,
    id: signed.endUser.id,
    sessionId: signed.session.id,
    accessToken,
    refreshToken,
    client: bearer(accessToken),
  };
}

/** A new session of an existing end user, by password, with its refresh token in the body. */
async function logIn(projectId: string, email: string, password: string) {
  const data = await gh.client().ok(EndUserLogInDocument, {
    projectId,
    input: { email, password, returnRefreshToken: true },
  });
  const payload = data.endUserLogIn;
  if (payload.__typename !== "EndUserAuthPayload") throw new Error("Expected a session");
  const { refreshToken } = payload.tokens;
  if (!refreshToken) throw new Error("Log-in returned no refresh token");
  return { ...payload, refreshToken };
}

/** The id endUserMe answers for `client` in `projectId`; null (with no error) when none. */
async function endUserMeId(client: TestClient, projectId: string): Promise<string | null> {
  const data = await client.ok(EndUserMeDocument, { projectId });
  return data.endUserMe?.id ?? null;
}

type Attempt = () => Promise<GraphQLResponse<unknown>>;

/** Runs every attempt at once; per name, the root data and the error codes it answered. */
async function outcomes(attempts: Record<string, Attempt>) {
  const entries = await Promise.all(
    Object.entries(attempts).map(async ([name, attempt]) => {
      const result = await attempt();
      return [name, { data: result.data ?? null, codes: errorCodes(result) }] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** What `outcomes` answers when every attempt was refused as unauthenticated. */
function allRefused(attempts: Record<string, Attempt>, codes: string[] = ["UNAUTHENTICATED"]) {
  return Object.fromEntries(Object.keys(attempts).map((name) => [name, { data: null, codes }]));
}

beforeAll(async () => {
  gh = await startInstance();
  [ownerA, ownerB, managerP1] = await Promise.all([
    person(gh, "a-owner"),
    person(gh, "b-owner"),
    person(gh, "p1-manager"),
  ]);
  const [organizationA, organizationB] = await Promise.all([
    createOrganization(ownerA),
    createOrganization(ownerB),
  ]);
  orgA = organizationA.id;
  p1 = (await createProject(ownerA, orgA, "P1")).id;
  p2 = (await createProject(ownerA, orgA, "P2")).id;
  p3 = (await createProject(ownerB, organizationB.id, "P3")).id;
  await Promise.all([
    openForSignUp(ownerA, p1),
    openForSignUp(ownerA, p2),
    openForSignUp(ownerB, p3),
  ]);
  await addMember(ownerA, orgA, managerP1, "MEMBER");
  await addProjectMember(ownerA, p1, managerP1, "MANAGER");
  sharedEmail = endUserEmail("shared");
  [e1, e2, e3] = await Promise.all([
    join(p1, sharedEmail, `${PASSWORD} one`),
    join(p2, sharedEmail, `${PASSWORD} two`),
    join(p3, sharedEmail, `${PASSWORD} three`),
  ]);
});
afterAll(() => gh?.close());

describe("one email in three pools", () => {
  it("is three end users with their own ids, and each password opens only its own project", async () => {
    expect(new Set([e1.id, e2.id, e3.id]).size).toBe(3);
    const pools = [e1, e2, e3];
    const matrix = await Promise.all(
      pools.flatMap((target) =>
        pools.map(async (holder) => {
          const result = await gh.client().request(EndUserLogInDocument, {
            projectId: target.projectId,
            input: { email: sharedEmail, password: holder.password },
          });
          const payload = result.data?.endUserLogIn;
          return payload?.__typename === "EndUserAuthPayload"
            ? payload.endUser.id
            : errorCodes(result);
        }),
      ),
    );
    const refused = ["UNAUTHENTICATED"];
    expect(matrix).toEqual([
      e1.id,
      refused,
      refused,
      refused,
      e2.id,
      refused,
      refused,
      refused,
      e3.id,
    ]);

    // The address in capitals is still that project's own end user, and taken there.
    const shouted = await logIn(p2, sharedEmail.toUpperCase(), e2.password);
    expect(shouted.endUser.id).toBe(e2.id);
    const again = await gh.client().request(EndUserSignUpDocument, {
      projectId: p1,
      input: {
        fullName: "Second Grace",
        email: sharedEmail.toUpperCase(),
        password: e2.password,
        authMethod: "EMAIL",
      },
    });
    expect(errorCodes(again)).toEqual(["CONFLICT"]);
  });
});

describe("an end user's access token", () => {
  it("is seen only by its own project: the others answer null and refuse its mutations", async () => {
    expect(await endUserMeId(e1.client, p1)).toBe(e1.id);
    for (const other of [e2, e3]) {
      const me = await e1.client.request(EndUserMeDocument, { projectId: other.projectId });
      expect(me.errors).toBeUndefined();
      expect(me.data?.endUserMe).toBeNull();
      const withSessions = await e1.client.request(EndUserMeWithSessionsDocument, {
        projectId: other.projectId,
      });
      expect(withSessions.errors).toBeUndefined();
      expect(withSessions.data?.endUserMe).toBeNull();
      const profile = await e1.client.request(UpdateEndUserProfileDocument, {
        projectId: other.projectId,
        fullName: "Mallory",
      });
      expect(errorCodes(profile)).toEqual(["UNAUTHENTICATED"]);
      expect(profile.data).toBeNull();
      const password = await e1.client.request(EndUserChangePasswordDocument, {
        projectId: other.projectId,
        currentPassword: other.password,
        newPassword: "mallory was here 123",
      });
      expect(errorCodes(password)).toEqual(["UNAUTHENTICATED"]);
      const logOut = await e1.client.ok(EndUserLogOutDocument, { projectId: other.projectId });
      expect(logOut.endUserLogOut).toBe(false);
    }

    // Nothing moved: everyone is still signed in under their own name, with their own password.
    for (const member of [e1, e2, e3]) {
      const seen = await member.client.ok(EndUserMeDocument, { projectId: member.projectId });
      expect(seen.endUserMe).toMatchObject({ id: member.id, fullName: "Grace Hopper" });
    }
    expect((await logIn(p2, sharedEmail, e2.password)).endUser.id).toBe(e2.id);
    expect((await logIn(p3, sharedEmail, e3.password)).endUser.id).toBe(e3.id);
  });

  it("is refused by every platform and tenancy operation, and changes nothing", async () => {
    const client = e1.client;
    const slug = uniqueSlug("taken");
    const projectName = `Injected ${randomUUID().slice(0, 8)}`;
    const before = await ownerA.client.ok(ProjectEndUserDocument, { projectId: p1, id: e1.id });
    expect(before.project?.endUser?.id).toBe(e1.id);

    const mutations: Record<string, Attempt> = {
      createOrganization: () => client.request(CreateOrganizationDocument, { name: "Mine", slug }),
      updateOrganization: () => client.request(UpdateOrganizationDocument, { id: orgA, name: "X" }),
      deleteOrganization: () => client.request(DeleteOrganizationDocument, { id: orgA }),
      addOrganizationMember: () =>
        client.request(AddOrganizationMemberDocument, {
          organizationId: orgA,
          email: sharedEmail,
          role: "OWNER",
        }),
      inviteOrganizationMember: () =>
        client.request(InviteOrganizationMemberDocument, {
          organizationId: orgA,
          email: sharedEmail,
          role: "OWNER",
        }),
      acceptOrganizationInvitation: () =>
        client.request(AcceptOrganizationInvitationDocument, { token: "not-a-token" }),
      transferOrganizationOwnership: () =>
        client.request(TransferOrganizationOwnershipDocument, {
          organizationId: orgA,
          userId: e1.id,
        }),
      createProject: () =>
        client.request(CreateProjectDocument, { organizationId: orgA, name: projectName }),
      updateProject: () => client.request(UpdateProjectDocument, { id: p1, name: "Pwned" }),
      deleteProject: () => client.request(DeleteProjectDocument, { id: p1 }),
      addProjectMember: () =>
        client.request(AddProjectMemberDocument, { projectId: p1, userId: e1.id, role: "MANAGER" }),
      updateProfile: () => client.request(UpdateProfileDocument, { input: { fullName: "Pwned" } }),
      changePassword: () =>
        client.request(ChangePasswordDocument, {
          input: { currentPassword: e1.password, newPassword: "mallory was here 123" },
        }),
      revokeAllSessions: () => client.request(RevokeAllSessionsDocument, {}),
      revokeSession: () => client.request(RevokeSessionDocument, { id: e1.sessionId }),
      createPasswordPolicy: () => client.request(CreatePasswordPolicyDocument, { projectId: p1 }),
      updatePasswordPolicy: () =>
        client.request(UpdatePasswordPolicyDocument, { projectId: p1, minLength: 64 }),
      deletePasswordPolicy: () => client.request(DeletePasswordPolicyDocument, { projectId: p1 }),
      createProjectPolicy: () => client.request(CreateProjectPolicyDocument, { projectId: p1 }),
      updateProjectPolicy: () =>
        client.request(UpdateProjectPolicyDocument, { projectId: p1, authMethods: ["PHONE"] }),
      deleteProjectPolicy: () => client.request(DeleteProjectPolicyDocument, { projectId: p1 }),
      updateEndUser: () =>
        client.request(UpdateEndUserDocument, { projectId: p1, id: e1.id, role: "admin" }),
      deleteEndUser: () => client.request(DeleteEndUserDocument, { projectId: p1, id: e1.id }),
      revokeEndUserSessions: () =>
        client.request(RevokeEndUserSessionsDocument, { projectId: p1, id: e1.id }),
    };
    expect(await outcomes(mutations)).toEqual(allRefused(mutations));

    // Reads answer no data: null where the field is nullable, else UNAUTHENTICATED.
    const reads: Record<string, Attempt> = {
      me: () => client.request(MeDocument),
      mySessions: () => client.request(MySessionsDocument, {}),
      organization: () => client.request(OrganizationByIdDocument, { id: orgA }),
      organizations: () => client.request(MyOrganizationsDocument, {}),
      project: () => client.request(ProjectByIdDocument, { id: p1 }),
      projectEndUsers: () => client.request(ProjectEndUsersDocument, { id: p1 }),
      projectEndUser: () => client.request(ProjectEndUserDocument, { projectId: p1, id: e1.id }),
      projectPolicies: () => client.request(ProjectPoliciesDocument, { id: p1 }),
      projectAudit: () => client.request(AuditEventsDocument, { projectId: p1 }),
      organizationAudit: () => client.request(AuditEventsDocument, { organizationId: orgA }),
      platformAudit: () => client.request(AuditEventsDocument, {}),
    };
    const answered = await outcomes(reads);
    const leaks = Object.fromEntries(
      Object.entries(answered).map(([name, { data, codes }]) => [
        name,
        {
          data: Object.values(data ?? {}).filter((value) => value !== null),
          otherCodes: codes.filter((code) => code !== "UNAUTHENTICATED"),
        },
      ]),
    );
    expect(leaks).toEqual(
      Object.fromEntries(Object.keys(reads).map((name) => [name, { data: [], otherCodes: [] }])),
    );
    expect(answered.me).toEqual({ data: { me: null }, codes: [] });
    expect((await client.ok(LogOutDocument)).logOut).toBe(false);

    // Nothing changed: the end user, the project, its policies and the organization stand as they were.
    expect(await endUserMeId(client, p1)).toBe(e1.id);
    const after = await ownerA.client.ok(ProjectEndUserDocument, { projectId: p1, id: e1.id });
    expect(after.project?.endUser).toEqual(before.project?.endUser);
    const project = await ownerA.client.ok(ProjectByIdDocument, { id: p1 });
    expect(project.project?.name).toBe("P1");
    const policies = await ownerA.client.ok(ProjectPoliciesDocument, { id: p1 });
    expect(policies.project?.passwordPolicy?.minLength).toBe(8);
    expect(policies.project?.policy?.authMethods).toEqual(["EMAIL"]);
    const organization = await ownerA.client.ok(OrganizationByIdDocument, { id: orgA });
    expect(organization.organization).toMatchObject({ name: "Acme", viewerRole: "OWNER" });
    const projects = await ownerA.client.ok(OrganizationProjectsDocument, { id: orgA });
    expect(projects.organization?.projects.edges.map((e) => e.node.name)).not.toContain(
      projectName,
    );
    const invitations = await ownerA.client.ok(OrganizationInvitationsDocument, { id: orgA });
    expect(invitations.organization?.invitations.totalCount).toBe(0);
    // The slug the end user asked for is still free.
    const created = await ownerA.client.request(CreateOrganizationDocument, { name: "Mine", slug });
    expect(created.errors).toBeUndefined();
  });
});

describe("a platform token", () => {
  it("is refused by end-user operations, even for the project's owner and manager", async () => {
    const cases = [
      { who: ownerA, projectId: p1 },
      { who: managerP1, projectId: p1 },
      { who: ownerA, projectId: p2 },
      { who: ownerB, projectId: p3 },
    ];
    for (const { who, projectId } of cases) {
      const client = who.client;
      const me = await client.request(EndUserMeDocument, { projectId });
      expect(me.errors).toBeUndefined();
      expect(me.data?.endUserMe).toBeNull();
      const withSessions = await client.request(EndUserMeWithSessionsDocument, { projectId });
      expect(withSessions.errors).toBeUndefined();
      expect(withSessions.data?.endUserMe).toBeNull();
      const attempts: Record<string, Attempt> = {
        updateEndUserProfile: () =>
          client.request(UpdateEndUserProfileDocument, { projectId, fullName: "Staff" }),
        endUserChangePassword: () =>
          client.request(EndUserChangePasswordDocument, {
            projectId,
            currentPassword: PASSWORD,
            newPassword: "staff were here 123",
          }),
      };
      expect(await outcomes(attempts)).toEqual(allRefused(attempts));
      expect((await client.ok(EndUserLogOutDocument, { projectId })).endUserLogOut).toBe(false);
      // The platform session itself is untouched.
      expect((await client.ok(MeDocument)).me?.id).toBe(who.id);
    }
    for (const member of [e1, e2, e3]) {
      const seen = await member.client.ok(EndUserMeDocument, { projectId: member.projectId });
      expect(seen.endUserMe).toMatchObject({ id: member.id, fullName: "Grace Hopper" });
    }
  });
});

describe("refresh tokens", () => {
  it("an end user's refresh token is refused by other projects and the platform, and not burned", async () => {
    const session = await logIn(p1, sharedEmail, e1.password);
    const client = gh.client();
    for (const projectId of [p2, p3]) {
      const crossed = await client.request(EndUserRefreshSessionDocument, {
        projectId,
        refreshToken: session.refreshToken,
      });
      expect(errorCodes(crossed)).toEqual(["UNAUTHENTICATED"]);
      expect(crossed.data).toBeNull();
    }
    const platform = await client.request(RefreshSessionDocument, {
      refreshToken: session.refreshToken,
    });
    expect(errorCodes(platform)).toEqual(["UNAUTHENTICATED"]);
    expect(platform.data).toBeNull();

    // Still good at home, for the same session.
    const home = await client.ok(EndUserRefreshSessionDocument, {
      projectId: p1,
      refreshToken: session.refreshToken,
    });
    expect(home.endUserRefreshSession.endUser.id).toBe(e1.id);
    expect(home.endUserRefreshSession.session.id).toBe(session.session.id);
    expect(await endUserMeId(bearer(home.endUserRefreshSession.tokens.accessToken), p1)).toBe(
      e1.id,
    );
  });

  it("a platform refresh token is refused by end-user refresh, and still refreshes the platform", async () => {
    const platform = await signUp(gh.client());
    const refreshToken = platform.tokens.refreshToken;
    if (!refreshToken) throw new Error("Sign-up returned no refresh token");
    const client = gh.client();
    for (const projectId of [p1, p2, p3]) {
      const crossed = await client.request(EndUserRefreshSessionDocument, {
        projectId,
        refreshToken,
      });
      expect(errorCodes(crossed)).toEqual(["UNAUTHENTICATED"]);
    }
    const home = await client.ok(RefreshSessionDocument, { refreshToken });
    expect(home.refreshSession.user.id).toBe(platform.user.id);
    expect(home.refreshSession.session.id).toBe(platform.session.id);
  });

  it("an end user's access token is no refresh token, and a refresh token no access token", async () => {
    const session = await logIn(p2, sharedEmail, e2.password);
    const asRefresh = await gh.client().request(EndUserRefreshSessionDocument, {
      projectId: p2,
      refreshToken: session.tokens.accessToken,
    });
    expect(errorCodes(asRefresh)).toEqual(["UNAUTHENTICATED"]);
    expect(await endUserMeId(bearer(session.refreshToken), p2)).toBeNull();
    expect(await endUserMeId(bearer(session.tokens.accessToken), p2)).toBe(e2.id);
  });
});

describe("cookies", () => {
  /** One browser: a platform user, then end users of P1 and P2, all by cookie. */
  async function browserWithThreeSessions() {
    const browser = gh.client();
    const platform = await signUp(browser);
    // Only platform cookies so far: no project sees an end user in them.
    expect(await endUserMeId(browser, p1)).toBeNull();
    const first = await signUpEndUser(browser, p1);
    const second = await signUpEndUser(browser, p2);
    expect(browser.bearer).toBeNull();
    return { browser, platform, first, second };
  }

  it("one browser holds a platform session and end-user sessions of two projects, each under its own names", async () => {
    const { browser, platform, first, second } = await browserWithThreeSessions();
    expect(await browser.cookie("gh_at")).toBe(platform.tokens.accessToken);
    expect(await browser.cookie("gh_rt")).toBe(platform.tokens.refreshToken);
    expect(await browser.cookie(`ghp_${p1}_at`)).toBe(first.tokens.accessToken);
    expect(await browser.cookie(`ghp_${p1}_rt`)).toBe(first.tokens.refreshToken);
    expect(await browser.cookie(`ghp_${p2}_at`)).toBe(second.tokens.accessToken);
    expect(await browser.cookie(`ghp_${p2}_rt`)).toBe(second.tokens.refreshToken);
    expect(await browser.cookie(`ghp_${p3}_at`)).toBeNull();

    expect((await browser.ok(MeDocument)).me?.id).toBe(platform.user.id);
    expect(await endUserMeId(browser, p1)).toBe(first.endUser.id);
    expect(await endUserMeId(browser, p2)).toBe(second.endUser.id);
    expect(await endUserMeId(browser, p3)).toBeNull();
    const sessions = await browser.ok(EndUserMeWithSessionsDocument, { projectId: p2 });
    expect(sessions.endUserMe?.sessions.edges.map((e) => [e.node.id, e.node.current])).toEqual([
      [second.session.id, true],
    ]);
  });

  it("endUserLogOut ends only its own project's session; the others stay signed in", async () => {
    const { browser, platform, first, second } = await browserWithThreeSessions();
    const kept = {
      gh_at: await browser.cookie("gh_at"),
      gh_rt: await browser.cookie("gh_rt"),
      p2_at: await browser.cookie(`ghp_${p2}_at`),
      p2_rt: await browser.cookie(`ghp_${p2}_rt`),
    };
    expect((await browser.ok(EndUserLogOutDocument, { projectId: p1 })).endUserLogOut).toBe(true);
    expect(await browser.cookie(`ghp_${p1}_at`)).toBeNull();
    expect(await browser.cookie(`ghp_${p1}_rt`)).toBeNull();
    expect({
      gh_at: await browser.cookie("gh_at"),
      gh_rt: await browser.cookie("gh_rt"),
      p2_at: await browser.cookie(`ghp_${p2}_at`),
      p2_rt: await browser.cookie(`ghp_${p2}_rt`),
    }).toEqual(kept);

    expect(await endUserMeId(browser, p1)).toBeNull();
    expect(await endUserMeId(browser, p2)).toBe(second.endUser.id);
    expect((await browser.ok(MeDocument)).me?.id).toBe(platform.user.id);
    // The P1 session is over, not just forgotten by the browser.
    expect(await endUserMeId(bearer(first.tokens.accessToken), p1)).toBeNull();
    const replay = await gh.client().request(EndUserRefreshSessionDocument, {
      projectId: p1,
      refreshToken: first.tokens.refreshToken,
    });
    expect(errorCodes(replay)).toEqual(["UNAUTHENTICATED"]);
    // A second log-out finds nothing live.
    expect((await browser.ok(EndUserLogOutDocument, { projectId: p1 })).endUserLogOut).toBe(false);
    expect(await endUserMeId(browser, p2)).toBe(second.endUser.id);
  });

  it("endUserRefreshSession with no argument uses that project's cookie, and only that one", async () => {
    const { browser, platform, first, second } = await browserWithThreeSessions();
    const refreshed = await browser.ok(EndUserRefreshSessionDocument, { projectId: p2 });
    const payload = refreshed.endUserRefreshSession;
    expect(payload.endUser.id).toBe(second.endUser.id);
    expect(payload.session.id).toBe(second.session.id);
    expect(payload.tokens.refreshToken).toBeNull();
    expect(await browser.cookie(`ghp_${p2}_at`)).toBe(payload.tokens.accessToken);
    const rotated = await browser.cookie(`ghp_${p2}_rt`);
    expect(rotated).toBeTruthy();
    expect(rotated).not.toBe(second.tokens.refreshToken);
    // The other pairs are as they were.
    expect(await browser.cookie(`ghp_${p1}_at`)).toBe(first.tokens.accessToken);
    expect(await browser.cookie(`ghp_${p1}_rt`)).toBe(first.tokens.refreshToken);
    expect(await browser.cookie("gh_at")).toBe(platform.tokens.accessToken);

    // P3 has no cookie in this browser: nothing to refresh, and no other pair is cleared.
    const none = await browser.request(EndUserRefreshSessionDocument, { projectId: p3 });
    expect(errorCodes(none)).toEqual(["UNAUTHENTICATED"]);
    expect(await endUserMeId(browser, p1)).toBe(first.endUser.id);
    expect(await endUserMeId(browser, p2)).toBe(second.endUser.id);

    // Logging out of the platform leaves both end users signed in.
    expect((await browser.ok(LogOutDocument)).logOut).toBe(true);
    expect((await browser.ok(MeDocument)).me).toBeNull();
    expect(await endUserMeId(browser, p1)).toBe(first.endUser.id);
    expect(await endUserMeId(browser, p2)).toBe(second.endUser.id);
  });

  it("a token carried under another project's or the platform's cookie name is refused", async () => {
    const { platform, first } = await browserWithThreeSessions();
    const forger = gh.client();
    const url = forger.graphqlUrl;
    await forger.jar.setCookie(`ghp_${p2}_at=${first.tokens.accessToken}`, url);
    await forger.jar.setCookie(`ghp_${p3}_at=${first.tokens.accessToken}`, url);
    await forger.jar.setCookie(`gh_at=${first.tokens.accessToken}`, url);
    expect(await endUserMeId(forger, p2)).toBeNull();
    expect(await endUserMeId(forger, p3)).toBeNull();
    expect((await forger.ok(MeDocument)).me).toBeNull();
    const forgedPlatform = await forger.request(CreateOrganizationDocument, {
      name: "Forged",
      slug: uniqueSlug("forged"),
    });
    expect(errorCodes(forgedPlatform)).toEqual(["UNAUTHENTICATED"]);

    const staff = gh.client();
    await staff.jar.setCookie(`ghp_${p1}_at=${platform.tokens.accessToken}`, url);
    expect(await endUserMeId(staff, p1)).toBeNull();

    const refresher = gh.client();
    await refresher.jar.setCookie(`ghp_${p2}_rt=${first.tokens.refreshToken}`, url);
    await refresher.jar.setCookie(`gh_rt=${first.tokens.refreshToken}`, url);
    const crossed = await refresher.request(EndUserRefreshSessionDocument, { projectId: p2 });
    expect(errorCodes(crossed)).toEqual(["UNAUTHENTICATED"]);
    const platformRefresh = await refresher.request(RefreshSessionDocument, {});
    expect(errorCodes(platformRefresh)).toEqual(["UNAUTHENTICATED"]);
    // Neither attempt used the token up: it still refreshes P1.
    const home = await gh.client().ok(EndUserRefreshSessionDocument, {
      projectId: p1,
      refreshToken: first.tokens.refreshToken,
    });
    expect(home.endUserRefreshSession.endUser.id).toBe(first.endUser.id);
  });
});

describe("end-user ids across projects, as staff", () => {
  it("a project reads only its own end users, by id and by search", async () => {
    const own = await managerP1.client.ok(ProjectEndUserDocument, { projectId: p1, id: e1.id });
    expect(own.project?.endUser).toMatchObject({ id: e1.id, project: { id: p1 } });
    for (const foreign of [e2, e3]) {
      const read = await managerP1.client.request(ProjectEndUserDocument, {
        projectId: p1,
        id: foreign.id,
      });
      expect(read.errors).toBeUndefined();
      expect(read.data?.project?.id).toBe(p1);
      expect(read.data?.project?.endUser).toBeNull();
    }
    // P2 is not the manager's: it reads as absent.
    const p2Read = await managerP1.client.request(ProjectEndUserDocument, {
      projectId: p2,
      id: e2.id,
    });
    expect(p2Read.errors).toBeUndefined();
    expect(p2Read.data?.project).toBeNull();
    const p3FromB = await ownerB.client.ok(ProjectEndUserDocument, { projectId: p3, id: e1.id });
    expect(p3FromB.project?.endUser).toBeNull();

    const searches = [
      { client: managerP1.client, projectId: p1, expected: e1.id },
      { client: ownerA.client, projectId: p2, expected: e2.id },
      { client: ownerB.client, projectId: p3, expected: e3.id },
    ];
    for (const { client, projectId, expected } of searches) {
      for (const search of [sharedEmail, sharedEmail.toUpperCase()]) {
        const found = await client.ok(ProjectEndUsersDocument, { id: projectId, search });
        expect(found.project?.endUsers.totalCount).toBe(1);
        expect(found.project?.endUsers.edges.map((e) => e.node.id)).toEqual([expected]);
      }
    }
  });

  it("another project's end user cannot be changed, deleted or signed out: NOT_FOUND, nothing changes", async () => {
    const read = (member: PoolMember, client: TestClient) =>
      client.ok(ProjectEndUserDocument, { projectId: member.projectId, id: member.id });
    const before = {
      e1: (await read(e1, ownerA.client)).project?.endUser,
      e2: (await read(e2, ownerA.client)).project?.endUser,
      e3: (await read(e3, ownerB.client)).project?.endUser,
    };
    expect(before.e2?.id).toBe(e2.id);

    const aimedAt = (client: TestClient, projectId: string, id: string) => ({
      update: () =>
        client.request(UpdateEndUserDocument, { projectId, id, status: "blocked", role: "x" }),
      delete: () => client.request(DeleteEndUserDocument, { projectId, id }),
      revoke: () => client.request(RevokeEndUserSessionsDocument, { projectId, id }),
    });
    const prefixed = (prefix: string, attempts: Record<string, Attempt>) =>
      Object.fromEntries(Object.entries(attempts).map(([k, v]) => [`${prefix} ${k}`, v]));
    const attempts: Record<string, Attempt> = {
      // P1's manager, through P1, at P2's and P3's end users.
      ...prefixed("manager P1/e2", aimedAt(managerP1.client, p1, e2.id)),
      ...prefixed("manager P1/e3", aimedAt(managerP1.client, p1, e3.id)),
      // P1's manager, through P2 where it holds no role.
      ...prefixed("manager P2/e2", aimedAt(managerP1.client, p2, e2.id)),
      // Organization A's owner, through P1, at the namesake in P2.
      ...prefixed("owner A P1/e2", aimedAt(ownerA.client, p1, e2.id)),
      // Organization B's owner, through P1, and through its own P3 at P1's end user.
      ...prefixed("owner B P1/e1", aimedAt(ownerB.client, p1, e1.id)),
      ...prefixed("owner B P3/e1", aimedAt(ownerB.client, p3, e1.id)),
      // Organization A's owner, through P3 of organization B.
      ...prefixed("owner A P3/e3", aimedAt(ownerA.client, p3, e3.id)),
    };
    expect(await outcomes(attempts)).toEqual(allRefused(attempts, ["NOT_FOUND"]));

    const after = {
      e1: (await read(e1, ownerA.client)).project?.endUser,
      e2: (await read(e2, ownerA.client)).project?.endUser,
      e3: (await read(e3, ownerB.client)).project?.endUser,
    };
    expect(after).toEqual(before);
    for (const member of [e1, e2, e3]) {
      expect(await endUserMeId(member.client, member.projectId)).toBe(member.id);
    }
  });
});

describe("deletion ends sessions at once", () => {
  it("deleting an end user ends its sessions; its namesake in another project stays signed in", async () => {
    const email = endUserEmail("doomed");
    const [doomed, namesake] = await Promise.all([join(p1, email), join(p2, email)]);
    expect(await endUserMeId(doomed.client, p1)).toBe(doomed.id);

    const deleted = await managerP1.client.ok(DeleteEndUserDocument, {
      projectId: p1,
      id: doomed.id,
    });
    expect(deleted.deleteEndUser).toBe(true);

    expect(await endUserMeId(doomed.client, p1)).toBeNull();
    const profile = await doomed.client.request(UpdateEndUserProfileDocument, {
      projectId: p1,
      fullName: "Ghost",
    });
    expect(errorCodes(profile)).toEqual(["UNAUTHENTICATED"]);
    const refresh = await gh.client().request(EndUserRefreshSessionDocument, {
      projectId: p1,
      refreshToken: doomed.refreshToken,
    });
    expect(errorCodes(refresh)).toEqual(["UNAUTHENTICATED"]);
    const logInAgain = await gh.client().request(EndUserLogInDocument, {
      projectId: p1,
      input: { email, password: PASSWORD },
    });
    expect(errorCodes(logInAgain)).toEqual(["UNAUTHENTICATED"]);
    const gone = await managerP1.client.ok(ProjectEndUserDocument, {
      projectId: p1,
      id: doomed.id,
    });
    expect(gone.project?.endUser).toBeNull();

    expect(await endUserMeId(namesake.client, p2)).toBe(namesake.id);
    const kept = await gh.client().ok(EndUserRefreshSessionDocument, {
      projectId: p2,
      refreshToken: namesake.refreshToken,
    });
    expect(kept.endUserRefreshSession.endUser.id).toBe(namesake.id);
  });

  it("deleting a project ends its end users' sessions; other projects' end users stay signed in", async () => {
    const doomedProject = (await createProject(ownerA, orgA, "Doomed")).id;
    await openForSignUp(ownerA, doomedProject);
    const email = endUserEmail("tenant");
    const [inDoomed, inP1] = await Promise.all([join(doomedProject, email), join(p1, email)]);
    expect(await endUserMeId(inDoomed.client, doomedProject)).toBe(inDoomed.id);

    const deleted = await ownerA.client.ok(DeleteProjectDocument, { id: doomedProject });
    expect(deleted.deleteProject).toBe(true);

    expect(await endUserMeId(inDoomed.client, doomedProject)).toBeNull();
    const refresh = await gh.client().request(EndUserRefreshSessionDocument, {
      projectId: doomedProject,
      refreshToken: inDoomed.refreshToken,
    });
    expect(errorCodes(refresh)).toEqual(["UNAUTHENTICATED"]);
    const logInAgain = await gh.client().request(EndUserLogInDocument, {
      projectId: doomedProject,
      input: { email, password: PASSWORD },
    });
    expect(logInAgain.data).toBeNull();
    expect(errorCodes(logInAgain)).toEqual(["NOT_FOUND"]);

    expect(await endUserMeId(inP1.client, p1)).toBe(inP1.id);
    for (const member of [e1, e2, e3]) {
      expect(await endUserMeId(member.client, member.projectId)).toBe(member.id);
    }
    const kept = await gh.client().ok(EndUserRefreshSessionDocument, {
      projectId: p1,
      refreshToken: inP1.refreshToken,
    });
    expect(kept.endUserRefreshSession.endUser.id).toBe(inP1.id);
  });
});

describe("concurrency", () => {
  /** Sign-ups of each email at once in P1, each from its own client; the error codes of each. */
  async function signUpAtOnce(emails: string[]) {
    const results = await Promise.all(
      emails.map((email) =>
        gh.client().request(EndUserSignUpDocument, {
          projectId: p1,
          input: { fullName: "Racer", email, password: PASSWORD, authMethod: "EMAIL" },
        }),
      ),
    );
    return {
      created: results.flatMap((r) => (r.data ? [r.data.endUserSignUp.endUser.id] : [])),
      codes: results.flatMap((r) => errorCodes(r)),
    };
  }

  async function countInP1(email: string): Promise<number | undefined> {
    const found = await managerP1.client.ok(ProjectEndUsersDocument, { id: p1, search: email });
    return found.project?.endUsers.totalCount;
  }

  it("20 simultaneous sign-ups with one email in one project make exactly one end user", async () => {
    const email = endUserEmail("race");
    const { created, codes } = await signUpAtOnce(Array.from({ length: 20 }, () => email));
    expect(created).toHaveLength(1);
    expect(codes).toEqual(Array.from({ length: 19 }, () => "CONFLICT"));
    expect(await countInP1(email)).toBe(1);
  });

  it("the same email in different letter case counts as the same, even at once", async () => {
    const email = endUserEmail("mixed");
    const variants = Array.from({ length: 10 }, (_, i) =>
      [...email].map((c, j) => ((i >> (j % 5)) & 1 ? c.toUpperCase() : c)).join(""),
    );
    expect(new Set(variants).size).toBe(10);
    const { created, codes } = await signUpAtOnce(variants);
    expect(created).toHaveLength(1);
    expect(codes).toEqual(Array.from({ length: 9 }, () => "CONFLICT"));
    expect(await countInP1(email)).toBe(1);
    const later = await signUpAtOnce([email.toUpperCase()]);
    expect(later.codes).toEqual(["CONFLICT"]);
    expect((await logIn(p1, email, PASSWORD)).endUser.id).toBe(created[0]);
  });

  it("20 simultaneous refreshes of one refresh token leave exactly one live session", async () => {
    const racer = await join(p1, endUserEmail("refresher"));
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        gh.client().request(EndUserRefreshSessionDocument, {
          projectId: p1,
          refreshToken: racer.refreshToken,
        }),
      ),
    );
    const codes = results.flatMap((r) => errorCodes(r));
    expect(codes.filter((code) => code !== "UNAUTHENTICATED")).toEqual([]);
    const succeeded = results.flatMap((r) => (r.data ? [r.data.endUserRefreshSession] : []));
    expect(succeeded.length).toBeGreaterThanOrEqual(1);
    expect(new Set(succeeded.map((p) => p.session.id))).toEqual(new Set([racer.sessionId]));
    expect(new Set(succeeded.map((p) => p.endUser.id))).toEqual(new Set([racer.id]));

    const [one] = succeeded;
    if (!one) throw new Error("No refresh succeeded");
    const sessions = await bearer(one.tokens.accessToken).ok(EndUserMeWithSessionsDocument, {
      projectId: p1,
    });
    expect(sessions.endUserMe?.id).toBe(racer.id);
    expect(sessions.endUserMe?.sessions.totalCount).toBe(1);
    expect(sessions.endUserMe?.sessions.edges.map((e) => e.node.id)).toEqual([racer.sessionId]);
    const staffView = await managerP1.client.ok(ProjectEndUserDocument, {
      projectId: p1,
      id: racer.id,
    });
    expect(staffView.project?.endUser?.sessions.totalCount).toBe(1);
  });
});
