/**
 * The tenancy permission matrix, operation by operation and actor by actor, over real HTTP.
 *
 * The expected outcomes below are written out by hand from the "Roles" section of DESIGN.md
 * and the API's documented semantics; nothing here is computed from src/auth/permissions.ts.
 * Queries share one fixture organization; every mutation case gets a fresh one (the same
 * signed-up users join each), so one case's effect cannot leak into another's expectation.
 */
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  auditEvents,
  endUsers,
  organizationInvitations,
  organizationMembers,
  organizations,
  passwordPolicies,
  projectMembers,
  projectPolicies,
  projects,
  sessions,
  type PasswordPolicyRow,
  type ProjectPolicyRow,
} from "../src/db/schema/index";
import type { Actor as ServiceActor } from "../src/modules/organizations/organizations.service";
import {
  AcceptOrganizationInvitationDocument,
  AddOrganizationMemberDocument,
  AddProjectMemberDocument,
  AuditEventsDocument,
  CreatePasswordPolicyDocument,
  CreateProjectDocument,
  CreateProjectPolicyDocument,
  DeleteEndUserDocument,
  DeleteOrganizationDocument,
  DeletePasswordPolicyDocument,
  DeleteProjectDocument,
  DeleteProjectPolicyDocument,
  EndUserMeDocument,
  InviteOrganizationMemberDocument,
  MyOrganizationsDocument,
  OrganizationByIdDocument,
  OrganizationInvitationsDocument,
  OrganizationMembersDocument,
  OrganizationProjectsDocument,
  ProjectByIdDocument,
  ProjectEndUserDocument,
  ProjectEndUsersDocument,
  ProjectMembersDocument,
  ProjectPoliciesDocument,
  RemoveOrganizationMemberDocument,
  RemoveProjectMemberDocument,
  RevokeEndUserSessionsDocument,
  RevokeOrganizationInvitationDocument,
  TransferOrganizationOwnershipDocument,
  UpdateEndUserDocument,
  UpdateOrganizationDocument,
  UpdateOrganizationMemberDocument,
  UpdatePasswordPolicyDocument,
  UpdateProjectDocument,
  UpdateProjectMemberDocument,
  UpdateProjectPolicyDocument,
  type MembershipStatus,
  type MyOrganizationsQuery,
  type ProjectPoliciesQuery,
  type OrganizationRole,
  type ProjectRole,
} from "./gql/graphql";
import { errorCodes, type GraphQLResponse, type TestClient } from "./helpers/client";
import { endUserEmail, signUpEndUser } from "./helpers/end-users";
import { startInstance, uniqueEmail, type Instance } from "./helpers/instance";
import { createOrganization, person, uniqueSlug, type Person } from "./helpers/tenancy";

// ---------------------------------------------------------------------------------------------
// Actors and helper users

const ACTORS = [
  "OWNER",
  "ADMIN",
  "MEMBER",
  "SUSPENDED",
  "MANAGER",
  "CONTRIBUTOR",
  "VIEWER",
  "OUTSIDER",
  "ANONYMOUS",
] as const;
type ActorName = (typeof ACTORS)[number];
type SignedInActor = Exclude<ActorName, "ANONYMOUS">;
/**
 * One more actor for the operations on P's policies and end users: END_USER, a customer of P
 * signed in with P's end-user token. An end user is never a platform user, so every staff
 * operation must treat it as signed out. Rows that list it run it too.
 */
type AnyActor = ActorName | "END_USER";
type Row<V> = Record<ActorName, V> & { END_USER?: V };
const actorsOf = (row: Row<unknown>): AnyActor[] =>
  "END_USER" in row ? [...ACTORS, "END_USER"] : [...ACTORS];
/** Users the actors act on: a second owner, a plain member (VIEWER on P), a plain member with
 * no project role, and a platform user outside the organization. */
type HelperName = "OWNER2" | "TARGET" | "BYSTANDER" | "NEWCOMER";
type UserName = SignedInActor | HelperName;

const USER_NAMES: UserName[] = [
  "OWNER",
  "ADMIN",
  "MEMBER",
  "SUSPENDED",
  "MANAGER",
  "CONTRIBUTOR",
  "VIEWER",
  "OUTSIDER",
  "OWNER2",
  "TARGET",
  "BYSTANDER",
  "NEWCOMER",
];

let gh: Instance;
const users = {} as Record<UserName, Person>;
const labelOf = new Map<string, string>();

beforeAll(async () => {
  // Every fixture sends the owner's invitation: far more than the hourly limit of a real sender.
  gh = await startInstance({ env: { INVITATION_RATE_LIMIT_POINTS: "100000" } });
  // Argon2 is slow: every user signs up once for the whole file.
  const people = await Promise.all(USER_NAMES.map((name) => person(gh, name.toLowerCase())));
  USER_NAMES.forEach((name, i) => {
    users[name] = people[i]!;
    labelOf.set(people[i]!.id, name);
  });
  // The outsider is a realistic platform user: a member of an organization of their own.
  await createOrganization(users.OUTSIDER);
});
afterAll(() => gh?.close());

function clientOf(actor: AnyActor, fx: Fixture): TestClient {
  if (actor === "END_USER") {
    if (!fx.endUser) throw new Error("This case's fixture has no end user (give it `policies`)");
    return fx.endUser.client;
  }
  return actor === "ANONYMOUS" ? gh.client() : users[actor].client;
}

/** The acting platform user: none for ANONYMOUS and END_USER. */
function selfOf(actor: AnyActor): Person | null {
  return actor === "ANONYMOUS" || actor === "END_USER" ? null : users[actor];
}

const label = (userId: string) => labelOf.get(userId) ?? userId;

// ---------------------------------------------------------------------------------------------
// The fixture: organization A, projects P (the actors') and P2 (only the owner's)

interface Fixture {
  orgId: string;
  projectId: string;
  project2Id: string;
  invitationId: string;
  invitationEmail: string;
  /** An address nobody has used, for invitations the case makes. */
  freshEmail: string;
  /** P's end user, signed in with a bearer token on a client of their own (see PolicySetup). */
  endUser: { id: string; email: string; client: TestClient } | null;
}

/**
 * P's policies when a case starts. With any of these, an end user of P signs up first (over
 * the API, under both policies, as sign-up needs them); the policies not kept go afterwards.
 * Without (the default), P has neither policy nor end user.
 */
type PolicySetup = "both policies" | "password policy only" | "no policies";

/** P's policies in the fixture, with values no default has. */
const FIXTURE_PASSWORD_POLICY = { minLength: 12, requireNumbers: false };
const FIXTURE_PROJECT_POLICY = {
  roles: ["customer", "vip"],
  statuses: ["active", "paused", "blocked"],
  defaultRole: "customer",
  defaultStatus: "active",
};

/**
 * The organization, its projects and the invitation are made by the services (with their audit
 * events); the memberships are written straight into the tables, in one statement each, which
 * keeps one fresh fixture per mutation case affordable. The permission layer under test takes
 * no part in setting up.
 */
async function buildFixture(options: {
  secondOwner: boolean;
  policies?: PolicySetup;
}): Promise<Fixture> {
  const { organizations: orgs, projects: projs, invitations, policies } = gh.app.services;
  const by: ServiceActor = { userId: users.OWNER.id, meta: { ipAddress: null, userAgent: null } };
  const org = await orgs.create(by, { name: "Matrix", slug: uniqueSlug("matrix") });
  const p = await projs.create(by, org.id, { name: "P" });
  const p2 = await projs.create(by, org.id, { name: "P2" });
  const orgRoles: [UserName, OrganizationRole, MembershipStatus][] = [
    ["ADMIN", "ADMIN", "ACTIVE"],
    ["MEMBER", "MEMBER", "ACTIVE"],
    // An admin (and, below, a manager of P) whose membership is suspended: it grants nothing.
    ["SUSPENDED", "ADMIN", "SUSPENDED"],
    ["MANAGER", "MEMBER", "ACTIVE"],
    ["CONTRIBUTOR", "MEMBER", "ACTIVE"],
    ["VIEWER", "MEMBER", "ACTIVE"],
    ["TARGET", "MEMBER", "ACTIVE"],
    ["BYSTANDER", "MEMBER", "ACTIVE"],
  ];
  if (options.secondOwner) orgRoles.push(["OWNER2", "OWNER", "ACTIVE"]);
  const projectRoles: [UserName, ProjectRole][] = [
    ["SUSPENDED", "MANAGER"],
    ["MANAGER", "MANAGER"],
    ["CONTRIBUTOR", "CONTRIBUTOR"],
    ["VIEWER", "VIEWER"],
    ["TARGET", "VIEWER"],
  ];
  await gh.database.db.transaction(async (tx) => {
    await tx.insert(organizationMembers).values(
      orgRoles.map(([name, role, status]) => ({
        organizationId: org.id,
        userId: users[name].id,
        role,
        status,
      })),
    );
    await tx
      .insert(projectMembers)
      .values(
        projectRoles.map(([name, role]) => ({ projectId: p.id, userId: users[name].id, role })),
      );
  });
  const invitationEmail = uniqueEmail("invitee");
  const invitation = await invitations.invite(by, org.id, invitationEmail, "MEMBER");
  let endUser: Fixture["endUser"] = null;
  if (options.policies) {
    await policies.createPasswordPolicy(by, p.id, FIXTURE_PASSWORD_POLICY);
    await policies.createProjectPolicy(by, p.id, FIXTURE_PROJECT_POLICY);
    const client = gh.client();
    const signedUp = await signUpEndUser(client, p.id, { email: endUserEmail("matrix") });
    client.bearer = signedUp.tokens.accessToken;
    endUser = { id: signedUp.endUser.id, email: signedUp.email, client };
    if (options.policies !== "both policies") await policies.deleteProjectPolicy(by, p.id);
    if (options.policies === "no policies") await policies.deletePasswordPolicy(by, p.id);
  }
  return {
    orgId: org.id,
    projectId: p.id,
    project2Id: p2.id,
    invitationId: invitation.id,
    invitationEmail,
    freshEmail: uniqueEmail("new"),
    endUser,
  };
}

/** The fixture's whole tenancy state, read from the tables, with readable keys. */
interface Snapshot {
  organization: { name: string; slug: string } | null;
  /** user → "ROLE/STATUS" */
  members: Record<string, string>;
  /** P, P2 or another project's name → "name|description" */
  projects: Record<string, string>;
  /** "project/user" → "ROLE/STATUS" */
  projectMembers: Record<string, string>;
  /** email → "ROLE/PENDING|ACCEPTED|REVOKED" */
  invitations: Record<string, string>;
  /** P's policies (their settings, without ids and times), or null. */
  passwordPolicy: PasswordPolicySettings | null;
  projectPolicy: ProjectPolicySettings | null;
  /** P's end users (END_USER for the fixture's) → "role/status/live sessions" */
  endUsers: Record<string, string>;
}

type PasswordPolicySettings = Omit<
  PasswordPolicyRow,
  "id" | "projectId" | "createdAt" | "updatedAt"
>;
type ProjectPolicySettings = Omit<
  ProjectPolicyRow,
  "id" | "projectId" | "passwordPolicyId" | "createdAt" | "updatedAt"
>;

/** Audit events that name the fixture's organization. */
async function auditCount(fx: Fixture): Promise<number> {
  const rows = await gh.database.db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .where(eq(auditEvents.organizationId, fx.orgId));
  return rows.length;
}

async function snapshot(fx: Fixture): Promise<Snapshot> {
  const db = gh.database.db;
  const [org] = await db
    .select({ name: organizations.name, slug: organizations.slug })
    .from(organizations)
    .where(eq(organizations.id, fx.orgId));
  const memberRows = await db
    .select()
    .from(organizationMembers)
    .where(eq(organizationMembers.organizationId, fx.orgId));
  const projectRows = await db.select().from(projects).where(eq(projects.organizationId, fx.orgId));
  const projectMemberRows = await db
    .select({
      projectId: projectMembers.projectId,
      userId: projectMembers.userId,
      role: projectMembers.role,
      status: projectMembers.status,
    })
    .from(projectMembers)
    .innerJoin(projects, eq(projects.id, projectMembers.projectId))
    .where(eq(projects.organizationId, fx.orgId));
  const invitationRows = await db
    .select()
    .from(organizationInvitations)
    .where(eq(organizationInvitations.organizationId, fx.orgId));

  const [passwordPolicy] = await db
    .select()
    .from(passwordPolicies)
    .where(eq(passwordPolicies.projectId, fx.projectId));
  const [projectPolicy] = await db
    .select()
    .from(projectPolicies)
    .where(eq(projectPolicies.projectId, fx.projectId));
  const endUserRows = await db.select().from(endUsers).where(eq(endUsers.projectId, fx.projectId));
  const liveSessions = await db
    .select({ endUserId: sessions.endUserId })
    .from(sessions)
    .where(and(eq(sessions.projectId, fx.projectId), isNull(sessions.revokedAt)));
  const endUserLabel = (email: string | null) =>
    email !== null && email === fx.endUser?.email ? "END_USER" : String(email);

  const names = new Map(projectRows.map((p) => [p.id, p.name]));
  const projectLabel = (id: string) =>
    id === fx.projectId ? "P" : id === fx.project2Id ? "P2" : (names.get(id) ?? id);
  return {
    organization: org ? { name: org.name, slug: org.slug } : null,
    members: Object.fromEntries(memberRows.map((m) => [label(m.userId), `${m.role}/${m.status}`])),
    projects: Object.fromEntries(
      projectRows.map((p) => [projectLabel(p.id), `${p.name}|${p.description ?? ""}`]),
    ),
    projectMembers: Object.fromEntries(
      projectMemberRows.map((m) => [
        `${projectLabel(m.projectId)}/${label(m.userId)}`,
        `${m.role}/${m.status}`,
      ]),
    ),
    invitations: Object.fromEntries(
      invitationRows.map((i) => [
        i.email,
        `${i.role}/${i.acceptedAt ? "ACCEPTED" : i.revokedAt ? "REVOKED" : "PENDING"}`,
      ]),
    ),
    passwordPolicy: passwordPolicy ? passwordPolicySettings(passwordPolicy) : null,
    projectPolicy: projectPolicy ? projectPolicySettings(projectPolicy) : null,
    endUsers: Object.fromEntries(
      endUserRows.map((u) => [
        endUserLabel(u.email),
        `${u.role}/${u.status}/${liveSessions.filter((s) => s.endUserId === u.id).length} live`,
      ]),
    ),
  };
}

function passwordPolicySettings(row: PasswordPolicyRow): PasswordPolicySettings {
  const { id: _id, projectId: _p, createdAt: _c, updatedAt: _u, ...settings } = row;
  return settings;
}

function projectPolicySettings(row: ProjectPolicyRow): ProjectPolicySettings {
  const {
    id: _id,
    projectId: _p,
    passwordPolicyId: _pp,
    createdAt: _c,
    updatedAt: _u,
    ...settings
  } = row;
  return settings;
}

function without(record: Record<string, string>, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
}

/** A user's project roles removed with them (removing a member ends their project roles). */
function withoutProjectRolesOf(record: Record<string, string>, user: string) {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !key.endsWith(`/${user}`)));
}

/** What the API says of P's policies, in the terms of FIXTURE_*_POLICY. */
function policiesOf(project: NonNullable<ProjectPoliciesQuery["project"]>) {
  const { passwordPolicy, policy } = project;
  return {
    passwordPolicy: passwordPolicy && {
      minLength: passwordPolicy.minLength,
      requireNumbers: passwordPolicy.requireNumbers,
    },
    policy: policy && {
      roles: policy.roles,
      statuses: policy.statuses,
      defaultRole: policy.defaultRole ?? null,
      defaultStatus: policy.defaultStatus ?? null,
      // The project policy references P's own password policy.
      passwordPolicy: policy.passwordPolicy.id === passwordPolicy?.id,
    },
  };
}
const FIXTURE_POLICIES = {
  passwordPolicy: FIXTURE_PASSWORD_POLICY,
  policy: { ...FIXTURE_PROJECT_POLICY, passwordPolicy: true },
};

// ---------------------------------------------------------------------------------------------
// Queries: one shared fixture, nothing changes

type Refusal = "FORBIDDEN" | "NOT_FOUND" | "UNAUTHENTICATED";
/** allowed with this value; "hidden": null / absent, with no error; or the error code. */
type QueryExpectation<T> = { allowed: T } | "hidden" | Refusal;
type QueryRow<T> = Row<QueryExpectation<T>>;

const ok = <T>(value: T): { allowed: T } => ({ allowed: value });
/** Permission lists are compared as sets. */
const set = (...values: string[]) => [...values].sort();

interface Observed<T> {
  codes: unknown[];
  value?: T | "hidden";
}

async function observe<D, T>(
  pending: Promise<GraphQLResponse<D>>,
  read: (data: D) => T | "hidden",
): Promise<Observed<T>> {
  const result = await pending;
  const codes = errorCodes(result);
  if (codes.length > 0 || !result.data) return { codes };
  return { codes, value: read(result.data) };
}

const outcomeName = (expected: QueryExpectation<unknown> | string) =>
  typeof expected === "object" ? "allowed" : expected;

describe("queries", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await buildFixture({ secondOwner: true, policies: "both policies" });
  });

  function queryMatrix<T>(
    title: string,
    row: QueryRow<T>,
    probe: (client: TestClient, fx: Fixture) => Promise<Observed<T>>,
  ) {
    describe(title, () => {
      const cases = actorsOf(row).map((actor) => {
        const expected = row[actor]!;
        return [actor, outcomeName(expected), expected] as const;
      });
      it.each(cases)("%s → %s", async (actor, _outcome, expected) => {
        const observed = await probe(clientOf(actor, fx), fx);
        if (typeof expected === "object") {
          expect(observed.codes).toEqual([]);
          expect(observed.value).toEqual(expected.allowed);
        } else if (expected === "hidden") {
          expect(observed.codes).toEqual([]);
          expect(observed.value).toBe("hidden");
        } else {
          expect(observed.codes).toEqual([expected]);
          expect(observed.value).toBeUndefined();
        }
        // Refused for what it is, a customer of P, not for a token that does not work.
        if (actor === "END_USER") expect(await endUserMe(fx)).not.toBe(null);
      });
    });
  }

  queryMatrix(
    "organization(id: A) → viewerRole",
    {
      OWNER: ok("OWNER"),
      ADMIN: ok("ADMIN"),
      MEMBER: ok("MEMBER"),
      SUSPENDED: "hidden",
      MANAGER: ok("MEMBER"),
      CONTRIBUTOR: ok("MEMBER"),
      VIEWER: ok("MEMBER"),
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
    },
    (client, fx) =>
      observe(client.request(OrganizationByIdDocument, { id: fx.orgId }), (d) =>
        d.organization
          ? d.organization.id === fx.orgId
            ? d.organization.viewerRole
            : "another organization"
          : "hidden",
      ),
  );

  queryMatrix(
    "organizations (every page) → A listed, with viewerRole",
    {
      OWNER: ok("OWNER"),
      ADMIN: ok("ADMIN"),
      MEMBER: ok("MEMBER"),
      SUSPENDED: "hidden",
      MANAGER: ok("MEMBER"),
      CONTRIBUTOR: ok("MEMBER"),
      VIEWER: ok("MEMBER"),
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
    },
    async (client, fx) => {
      const seen: { id: string; viewerRole?: string | null }[] = [];
      let after: string | null | undefined = null;
      for (;;) {
        const result: GraphQLResponse<MyOrganizationsQuery> = await client.request(
          MyOrganizationsDocument,
          { first: 100, after },
        );
        const codes = errorCodes(result);
        if (codes.length > 0 || !result.data) return { codes };
        const page = result.data.organizations;
        seen.push(...page.edges.map((e) => e.node));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      const a = seen.find((o) => o.id === fx.orgId);
      return { codes: [], value: a ? (a.viewerRole ?? "no role") : "hidden" };
    },
  );

  queryMatrix(
    "organization(id: A).viewerPermissions",
    {
      OWNER: ok(
        set(
          "organization.read",
          "organization.update",
          "organization.delete",
          "organization.transfer_ownership",
          "organization.members.manage",
          "organization.owners.manage",
          "organization.projects.create",
          "organization.projects.read_all",
          "organization.audit.read",
        ),
      ),
      ADMIN: ok(
        set(
          "organization.read",
          "organization.update",
          "organization.members.manage",
          "organization.projects.create",
          "organization.projects.read_all",
          "organization.audit.read",
        ),
      ),
      MEMBER: ok(set("organization.read")),
      SUSPENDED: "hidden",
      MANAGER: ok(set("organization.read")),
      CONTRIBUTOR: ok(set("organization.read")),
      VIEWER: ok(set("organization.read")),
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
    },
    (client, fx) =>
      observe(client.request(OrganizationByIdDocument, { id: fx.orgId }), (d) =>
        d.organization ? set(...d.organization.viewerPermissions) : "hidden",
      ),
  );

  // Active members with their organization roles (whether a suspended member is listed is
  // not part of the matrix, so only active ones are compared).
  const ACTIVE_MEMBERS = set(
    "OWNER:OWNER",
    "OWNER2:OWNER",
    "ADMIN:ADMIN",
    "MEMBER:MEMBER",
    "MANAGER:MEMBER",
    "CONTRIBUTOR:MEMBER",
    "VIEWER:MEMBER",
    "TARGET:MEMBER",
    "BYSTANDER:MEMBER",
  );
  queryMatrix(
    "organization(id: A).members",
    {
      OWNER: ok(ACTIVE_MEMBERS),
      ADMIN: ok(ACTIVE_MEMBERS),
      MEMBER: ok(ACTIVE_MEMBERS),
      SUSPENDED: "hidden",
      MANAGER: ok(ACTIVE_MEMBERS),
      CONTRIBUTOR: ok(ACTIVE_MEMBERS),
      VIEWER: ok(ACTIVE_MEMBERS),
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
    },
    (client, fx) =>
      observe(client.request(OrganizationMembersDocument, { id: fx.orgId, first: 100 }), (d) =>
        d.organization
          ? set(
              ...d.organization.members.edges
                .filter((e) => e.node.status === "ACTIVE")
                .map((e) => `${label(e.node.user.id)}:${e.node.role}`),
            )
          : "hidden",
      ),
  );

  queryMatrix(
    "organization(id: A).invitations",
    {
      OWNER: ok(["fixture invitation:MEMBER:PENDING"]),
      ADMIN: ok(["fixture invitation:MEMBER:PENDING"]),
      MEMBER: "FORBIDDEN",
      SUSPENDED: "hidden",
      MANAGER: "FORBIDDEN",
      CONTRIBUTOR: "FORBIDDEN",
      VIEWER: "FORBIDDEN",
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
    },
    (client, fx) =>
      observe(client.request(OrganizationInvitationsDocument, { id: fx.orgId }), (d) =>
        d.organization
          ? d.organization.invitations.edges.map(
              (e) =>
                `${e.node.email === fx.invitationEmail ? "fixture invitation" : e.node.email}:${e.node.role}:${e.node.status}`,
            )
          : "hidden",
      ),
  );

  queryMatrix(
    "organization(id: A).projects",
    {
      OWNER: ok({ totalCount: 2, projects: ["P", "P2"] }),
      ADMIN: ok({ totalCount: 2, projects: ["P", "P2"] }),
      MEMBER: ok({ totalCount: 0, projects: [] }),
      SUSPENDED: "hidden",
      MANAGER: ok({ totalCount: 1, projects: ["P"] }),
      CONTRIBUTOR: ok({ totalCount: 1, projects: ["P"] }),
      VIEWER: ok({ totalCount: 1, projects: ["P"] }),
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
    },
    (client, fx) =>
      observe(client.request(OrganizationProjectsDocument, { id: fx.orgId }), (d) =>
        d.organization
          ? {
              totalCount: d.organization.projects.totalCount,
              projects: set(
                ...d.organization.projects.edges.map((e) =>
                  e.node.id === fx.projectId ? "P" : e.node.id === fx.project2Id ? "P2" : e.node.id,
                ),
              ),
            }
          : "hidden",
      ),
  );

  const projectRole = (id: (fx: Fixture) => string) => (client: TestClient, fx: Fixture) =>
    observe(client.request(ProjectByIdDocument, { id: id(fx) }), (d) =>
      d.project
        ? {
            id: d.project.id === id(fx),
            org: d.project.organization.id === fx.orgId,
            role: d.project.viewerRole ?? null,
          }
        : "hidden",
    );
  const role = (r: string) =>
    ok<{ id: boolean; org: boolean; role: string | null }>({ id: true, org: true, role: r });

  queryMatrix(
    "project(id: P) → viewerRole",
    {
      OWNER: role("MANAGER"),
      ADMIN: role("MANAGER"),
      MEMBER: "hidden",
      SUSPENDED: "hidden",
      MANAGER: role("MANAGER"),
      CONTRIBUTOR: role("CONTRIBUTOR"),
      VIEWER: role("VIEWER"),
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
    },
    projectRole((fx) => fx.projectId),
  );

  queryMatrix(
    "project(id: P2) → viewerRole",
    {
      OWNER: role("MANAGER"),
      ADMIN: role("MANAGER"),
      MEMBER: "hidden",
      SUSPENDED: "hidden",
      MANAGER: "hidden",
      CONTRIBUTOR: "hidden",
      VIEWER: "hidden",
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
    },
    projectRole((fx) => fx.project2Id),
  );

  queryMatrix(
    "project(id: P).viewerPermissions",
    {
      OWNER: ok(
        set(
          "project.read",
          "project.update",
          "project.policies.manage",
          "project.end_users.manage",
          "project.members.manage",
          "project.audit.read",
          "project.delete",
        ),
      ),
      ADMIN: ok(
        set(
          "project.read",
          "project.update",
          "project.policies.manage",
          "project.end_users.manage",
          "project.members.manage",
          "project.audit.read",
        ),
      ),
      MEMBER: "hidden",
      SUSPENDED: "hidden",
      MANAGER: ok(
        set(
          "project.read",
          "project.update",
          "project.policies.manage",
          "project.end_users.manage",
          "project.members.manage",
          "project.audit.read",
        ),
      ),
      CONTRIBUTOR: ok(
        set(
          "project.read",
          "project.update",
          "project.policies.manage",
          "project.end_users.manage",
        ),
      ),
      VIEWER: ok(set("project.read")),
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
    },
    (client, fx) =>
      observe(client.request(ProjectByIdDocument, { id: fx.projectId }), (d) =>
        d.project ? set(...d.project.viewerPermissions) : "hidden",
      ),
  );

  // P's members with their project roles (the owner created P, so manages it by membership too;
  // whether the suspended admin's dormant MANAGER role is listed is not part of the matrix).
  const P_MEMBERS = set(
    "OWNER:MANAGER",
    "MANAGER:MANAGER",
    "CONTRIBUTOR:CONTRIBUTOR",
    "VIEWER:VIEWER",
    "TARGET:VIEWER",
  );
  queryMatrix(
    "project(id: P).members",
    {
      OWNER: ok(P_MEMBERS),
      ADMIN: ok(P_MEMBERS),
      MEMBER: "hidden",
      SUSPENDED: "hidden",
      MANAGER: ok(P_MEMBERS),
      CONTRIBUTOR: ok(P_MEMBERS),
      VIEWER: ok(P_MEMBERS),
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
    },
    (client, fx) =>
      observe(client.request(ProjectMembersDocument, { id: fx.projectId, first: 100 }), (d) =>
        d.project
          ? set(
              ...d.project.members.edges
                .filter((e) => e.node.user.id !== users.SUSPENDED.id)
                .map((e) => `${label(e.node.user.id)}:${e.node.role}`),
            )
          : "hidden",
      ),
  );

  // P's policies and end users: read by everyone who may read P (DESIGN.md, "Roles"); the
  // end user of P is no platform user, and is refused like anyone signed out.
  queryMatrix(
    "project(id: P) → passwordPolicy, policy",
    {
      OWNER: ok(FIXTURE_POLICIES),
      ADMIN: ok(FIXTURE_POLICIES),
      MEMBER: "hidden",
      SUSPENDED: "hidden",
      MANAGER: ok(FIXTURE_POLICIES),
      CONTRIBUTOR: ok(FIXTURE_POLICIES),
      VIEWER: ok(FIXTURE_POLICIES),
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
      END_USER: "UNAUTHENTICATED",
    },
    (client, fx) =>
      observe(client.request(ProjectPoliciesDocument, { id: fx.projectId }), (d) =>
        d.project ? policiesOf(d.project) : "hidden",
      ),
  );

  const ONE_END_USER = { totalCount: 1, endUsers: ["END_USER"] };
  queryMatrix(
    "project(id: P).endUsers",
    {
      OWNER: ok(ONE_END_USER),
      ADMIN: ok(ONE_END_USER),
      MEMBER: "hidden",
      SUSPENDED: "hidden",
      MANAGER: ok(ONE_END_USER),
      CONTRIBUTOR: ok(ONE_END_USER),
      VIEWER: ok(ONE_END_USER),
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
      END_USER: "UNAUTHENTICATED",
    },
    (client, fx) =>
      observe(client.request(ProjectEndUsersDocument, { id: fx.projectId, first: 100 }), (d) =>
        d.project
          ? {
              totalCount: d.project.endUsers.totalCount,
              endUsers: d.project.endUsers.edges.map((e) =>
                e.node.id === fx.endUser?.id && e.node.email === fx.endUser.email
                  ? "END_USER"
                  : e.node.id,
              ),
            }
          : "hidden",
      ),
  );

  const THE_END_USER = { id: true, email: true, liveSessions: 1 };
  queryMatrix(
    "project(id: P).endUser(id: E) → sessions",
    {
      OWNER: ok(THE_END_USER),
      ADMIN: ok(THE_END_USER),
      MEMBER: "hidden",
      SUSPENDED: "hidden",
      MANAGER: ok(THE_END_USER),
      CONTRIBUTOR: ok(THE_END_USER),
      VIEWER: ok(THE_END_USER),
      OUTSIDER: "hidden",
      ANONYMOUS: "UNAUTHENTICATED",
      END_USER: "UNAUTHENTICATED",
    },
    (client, fx) =>
      observe(
        client.request(ProjectEndUserDocument, { projectId: fx.projectId, id: fx.endUser!.id }),
        (d) =>
          d.project
            ? d.project.endUser && {
                id: d.project.endUser.id === fx.endUser!.id,
                email: d.project.endUser.email === fx.endUser!.email,
                liveSessions: d.project.endUser.sessions.totalCount,
              }
            : "hidden",
      ),
  );

  const auditOf = (scope: "organization" | "project") => (client: TestClient, fx: Fixture) =>
    observe(
      client.request(
        AuditEventsDocument,
        scope === "organization"
          ? { organizationId: fx.orgId, first: 100 }
          : { projectId: fx.projectId, first: 100 },
      ),
      (d) => {
        const events = d.auditEvents.edges.map((e) => e.node);
        return {
          // Only this organization's (or project's) events, and its creation among them.
          scoped: events.every((e) =>
            scope === "organization" ? e.organizationId === fx.orgId : e.projectId === fx.projectId,
          ),
          created: events.some(
            (e) => e.action === (scope === "organization" ? "org.created" : "project.created"),
          ),
        };
      },
    );
  const events = ok({ scoped: true, created: true });

  queryMatrix(
    "auditEvents(organizationId: A)",
    {
      OWNER: events,
      ADMIN: events,
      MEMBER: "FORBIDDEN",
      SUSPENDED: "NOT_FOUND",
      MANAGER: "FORBIDDEN",
      CONTRIBUTOR: "FORBIDDEN",
      VIEWER: "FORBIDDEN",
      OUTSIDER: "NOT_FOUND",
      ANONYMOUS: "UNAUTHENTICATED",
    },
    auditOf("organization"),
  );

  queryMatrix(
    "auditEvents(projectId: P)",
    {
      OWNER: events,
      ADMIN: events,
      MEMBER: "NOT_FOUND",
      SUSPENDED: "NOT_FOUND",
      MANAGER: events,
      CONTRIBUTOR: "FORBIDDEN",
      VIEWER: "FORBIDDEN",
      OUTSIDER: "NOT_FOUND",
      ANONYMOUS: "UNAUTHENTICATED",
    },
    auditOf("project"),
  );
});

// ---------------------------------------------------------------------------------------------
// Mutations: a fresh fixture per case

type MutationOutcome = "allowed" | "FAILED_PRECONDITION" | Refusal;
type MutationRow = Row<MutationOutcome>;

interface Effect<D> {
  data: D;
  fx: Fixture;
  before: Snapshot;
  after: Snapshot;
  /** The acting user (never null for an allowed case: anonymous is refused everywhere). */
  self: Person;
}

interface MutationCase<D> {
  title: string;
  /** A second active OWNER in the fixture (default true). */
  secondOwner?: boolean;
  /** P's policies, and an end user of P (default: neither). */
  policies?: PolicySetup;
  row: MutationRow;
  run(client: TestClient, fx: Fixture, self: Person | null): Promise<GraphQLResponse<D>>;
  /** The answer and the change of an allowed call: exactly this, over the API and in the tables. */
  effect(e: Effect<D>): Promise<void>;
}

const mutationCases: MutationCase<unknown>[] = [];
function mutation<D>(spec: MutationCase<D>) {
  mutationCases.push(spec as unknown as MutationCase<unknown>);
}

async function viewerRoleIn(person: Person, orgId: string) {
  const data = await person.client.ok(OrganizationByIdDocument, { id: orgId });
  return data.organization?.viewerRole ?? null;
}

async function projectRoleOf(person: Person, projectId: string) {
  const data = await person.client.ok(ProjectByIdDocument, { id: projectId });
  return data.project ? data.project.viewerRole : "no access";
}

mutation({
  title: "updateOrganization(A)",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "FORBIDDEN",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "FORBIDDEN",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(UpdateOrganizationDocument, { id: fx.orgId, name: "Renamed" }),
  async effect({ data, fx, before, after, self }) {
    expect(data.updateOrganization).toMatchObject({ id: fx.orgId, name: "Renamed" });
    expect(after).toEqual({ ...before, organization: { ...before.organization, name: "Renamed" } });
    const seen = await self.client.ok(OrganizationByIdDocument, { id: fx.orgId });
    expect(seen.organization?.name).toBe("Renamed");
  },
});

mutation({
  title: "deleteOrganization(A)",
  row: {
    OWNER: "allowed",
    ADMIN: "FORBIDDEN",
    MEMBER: "FORBIDDEN",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "FORBIDDEN",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) => client.request(DeleteOrganizationDocument, { id: fx.orgId }),
  async effect({ data, fx, after, self }) {
    expect(data.deleteOrganization).toBe(true);
    expect(after).toEqual({
      organization: null,
      members: {},
      projects: {},
      projectMembers: {},
      invitations: {},
      passwordPolicy: null,
      projectPolicy: null,
      endUsers: {},
    });
    expect(await viewerRoleIn(self, fx.orgId)).toBe(null);
    expect(await viewerRoleIn(users.ADMIN, fx.orgId)).toBe(null);
  },
});

mutation({
  title: "transferOrganizationOwnership(A, to the active MEMBER TARGET)",
  row: {
    OWNER: "allowed",
    ADMIN: "FORBIDDEN",
    MEMBER: "FORBIDDEN",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "FORBIDDEN",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(TransferOrganizationOwnershipDocument, {
      organizationId: fx.orgId,
      userId: users.TARGET.id,
    }),
  async effect({ data, before, after, self, fx }) {
    expect(data.transferOrganizationOwnership.viewerRole).toBe("ADMIN");
    expect(after).toEqual({
      ...before,
      members: { ...before.members, OWNER: "ADMIN/ACTIVE", TARGET: "OWNER/ACTIVE" },
    });
    expect(await viewerRoleIn(users.TARGET, fx.orgId)).toBe("OWNER");
    expect(await viewerRoleIn(self, fx.orgId)).toBe("ADMIN");
  },
});

for (const [newRole, row] of [
  [
    "MEMBER",
    {
      OWNER: "allowed",
      ADMIN: "allowed",
      MEMBER: "FORBIDDEN",
      SUSPENDED: "NOT_FOUND",
      MANAGER: "FORBIDDEN",
      CONTRIBUTOR: "FORBIDDEN",
      VIEWER: "FORBIDDEN",
      OUTSIDER: "NOT_FOUND",
      ANONYMOUS: "UNAUTHENTICATED",
    },
  ],
  [
    "ADMIN",
    {
      OWNER: "allowed",
      ADMIN: "allowed",
      MEMBER: "FORBIDDEN",
      SUSPENDED: "NOT_FOUND",
      MANAGER: "FORBIDDEN",
      CONTRIBUTOR: "FORBIDDEN",
      VIEWER: "FORBIDDEN",
      OUTSIDER: "NOT_FOUND",
      ANONYMOUS: "UNAUTHENTICATED",
    },
  ],
  [
    "OWNER",
    {
      OWNER: "allowed",
      ADMIN: "FORBIDDEN",
      MEMBER: "FORBIDDEN",
      SUSPENDED: "NOT_FOUND",
      MANAGER: "FORBIDDEN",
      CONTRIBUTOR: "FORBIDDEN",
      VIEWER: "FORBIDDEN",
      OUTSIDER: "NOT_FOUND",
      ANONYMOUS: "UNAUTHENTICATED",
    },
  ],
] as const) {
  mutation({
    title: `addOrganizationMember(A, NEWCOMER, ${newRole})`,
    row,
    run: (client, fx) =>
      client.request(AddOrganizationMemberDocument, {
        organizationId: fx.orgId,
        email: users.NEWCOMER.email,
        role: newRole,
      }),
    async effect({ data, before, after, fx }) {
      expect(data.addOrganizationMember).toMatchObject({
        role: newRole,
        status: "ACTIVE",
        user: { id: users.NEWCOMER.id },
      });
      expect(after).toEqual({
        ...before,
        members: { ...before.members, NEWCOMER: `${newRole}/ACTIVE` },
      });
      expect(await viewerRoleIn(users.NEWCOMER, fx.orgId)).toBe(newRole);
    },
  });
}

for (const [newRole, row] of [
  [
    "MEMBER",
    {
      OWNER: "allowed",
      ADMIN: "allowed",
      MEMBER: "FORBIDDEN",
      SUSPENDED: "NOT_FOUND",
      MANAGER: "FORBIDDEN",
      CONTRIBUTOR: "FORBIDDEN",
      VIEWER: "FORBIDDEN",
      OUTSIDER: "NOT_FOUND",
      ANONYMOUS: "UNAUTHENTICATED",
    },
  ],
  [
    "ADMIN",
    {
      OWNER: "allowed",
      ADMIN: "allowed",
      MEMBER: "FORBIDDEN",
      SUSPENDED: "NOT_FOUND",
      MANAGER: "FORBIDDEN",
      CONTRIBUTOR: "FORBIDDEN",
      VIEWER: "FORBIDDEN",
      OUTSIDER: "NOT_FOUND",
      ANONYMOUS: "UNAUTHENTICATED",
    },
  ],
  [
    "OWNER",
    {
      OWNER: "allowed",
      ADMIN: "FORBIDDEN",
      MEMBER: "FORBIDDEN",
      SUSPENDED: "NOT_FOUND",
      MANAGER: "FORBIDDEN",
      CONTRIBUTOR: "FORBIDDEN",
      VIEWER: "FORBIDDEN",
      OUTSIDER: "NOT_FOUND",
      ANONYMOUS: "UNAUTHENTICATED",
    },
  ],
] as const) {
  mutation({
    title: `inviteOrganizationMember(A, ${newRole})`,
    row,
    run: (client, fx) =>
      client.request(InviteOrganizationMemberDocument, {
        organizationId: fx.orgId,
        email: fx.freshEmail,
        role: newRole,
      }),
    async effect({ data, before, after, self, fx }) {
      expect(data.inviteOrganizationMember).toMatchObject({
        email: fx.freshEmail,
        role: newRole,
        status: "PENDING",
        invitedBy: { id: self.id },
      });
      expect(after).toEqual({
        ...before,
        invitations: { ...before.invitations, [fx.freshEmail]: `${newRole}/PENDING` },
      });
      expect(gh.outbox.messages.filter((m) => m.to === fx.freshEmail)).toHaveLength(1);
      expect(gh.outbox.last(fx.freshEmail).subject).toContain("Matrix");
      const list = await users.OWNER.client.ok(OrganizationInvitationsDocument, { id: fx.orgId });
      expect(list.organization?.invitations.edges.map((e) => e.node.email)).toContain(
        fx.freshEmail,
      );
    },
  });
}

mutation({
  title: "updateOrganizationMember(A, plain MEMBER TARGET → ADMIN)",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "FORBIDDEN",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "FORBIDDEN",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(UpdateOrganizationMemberDocument, {
      organizationId: fx.orgId,
      userId: users.TARGET.id,
      role: "ADMIN",
    }),
  async effect({ data, before, after, fx }) {
    expect(data.updateOrganizationMember).toMatchObject({
      role: "ADMIN",
      user: { id: users.TARGET.id },
    });
    expect(after).toEqual({ ...before, members: { ...before.members, TARGET: "ADMIN/ACTIVE" } });
    expect(await viewerRoleIn(users.TARGET, fx.orgId)).toBe("ADMIN");
  },
});

mutation({
  title: "updateOrganizationMember(A, OWNER target OWNER2 → ADMIN)",
  row: {
    OWNER: "allowed",
    ADMIN: "FORBIDDEN",
    MEMBER: "FORBIDDEN",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "FORBIDDEN",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(UpdateOrganizationMemberDocument, {
      organizationId: fx.orgId,
      userId: users.OWNER2.id,
      role: "ADMIN",
    }),
  async effect({ data, before, after, fx }) {
    expect(data.updateOrganizationMember).toMatchObject({
      role: "ADMIN",
      user: { id: users.OWNER2.id },
    });
    expect(after).toEqual({ ...before, members: { ...before.members, OWNER2: "ADMIN/ACTIVE" } });
    expect(await viewerRoleIn(users.OWNER2, fx.orgId)).toBe("ADMIN");
  },
});

mutation({
  title: "updateOrganizationMember(A, plain MEMBER TARGET → OWNER)",
  row: {
    OWNER: "allowed",
    ADMIN: "FORBIDDEN",
    MEMBER: "FORBIDDEN",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "FORBIDDEN",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(UpdateOrganizationMemberDocument, {
      organizationId: fx.orgId,
      userId: users.TARGET.id,
      role: "OWNER",
    }),
  async effect({ data, before, after, fx }) {
    expect(data.updateOrganizationMember).toMatchObject({
      role: "OWNER",
      user: { id: users.TARGET.id },
    });
    expect(after).toEqual({ ...before, members: { ...before.members, TARGET: "OWNER/ACTIVE" } });
    expect(await viewerRoleIn(users.TARGET, fx.orgId)).toBe("OWNER");
  },
});

mutation({
  title: "removeOrganizationMember(A, plain MEMBER TARGET)",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "FORBIDDEN",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "FORBIDDEN",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(RemoveOrganizationMemberDocument, {
      organizationId: fx.orgId,
      userId: users.TARGET.id,
    }),
  async effect({ data, before, after, fx }) {
    expect(data.removeOrganizationMember).toBe(true);
    expect(after).toEqual({
      ...before,
      members: without(before.members, "TARGET"),
      projectMembers: withoutProjectRolesOf(before.projectMembers, "TARGET"),
    });
    expect(await viewerRoleIn(users.TARGET, fx.orgId)).toBe(null);
  },
});

const leave = {
  run: (client: TestClient, fx: Fixture, self: Person | null) =>
    client.request(RemoveOrganizationMemberDocument, {
      organizationId: fx.orgId,
      // Anonymous has no self: it tries on a member's behalf.
      userId: (self ?? users.MEMBER).id,
    }),
  async effect({ data, before, after, self, fx }: Effect<{ removeOrganizationMember: boolean }>) {
    const me = label(self.id);
    expect(data.removeOrganizationMember).toBe(true);
    expect(after).toEqual({
      ...before,
      members: without(before.members, me),
      projectMembers: withoutProjectRolesOf(before.projectMembers, me),
    });
    expect(await viewerRoleIn(self, fx.orgId)).toBe(null);
  },
};

mutation({
  title: "removeOrganizationMember(A, self): leaving, with a second owner present",
  secondOwner: true,
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "allowed",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "allowed",
    VIEWER: "allowed",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  ...leave,
});

mutation({
  title: "removeOrganizationMember(A, self): leaving, OWNER is the only owner",
  secondOwner: false,
  row: {
    OWNER: "FAILED_PRECONDITION",
    ADMIN: "allowed",
    MEMBER: "allowed",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "allowed",
    VIEWER: "allowed",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  ...leave,
});

mutation({
  title: "revokeOrganizationInvitation(a MEMBER invitation of A)",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "FORBIDDEN",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "FORBIDDEN",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(RevokeOrganizationInvitationDocument, { id: fx.invitationId }),
  async effect({ data, before, after, fx }) {
    expect(data.revokeOrganizationInvitation).toBe(true);
    expect(after).toEqual({
      ...before,
      invitations: { ...before.invitations, [fx.invitationEmail]: "MEMBER/REVOKED" },
    });
    const list = await users.OWNER.client.ok(OrganizationInvitationsDocument, { id: fx.orgId });
    expect(
      list.organization?.invitations.edges.find((e) => e.node.id === fx.invitationId)?.node.status,
    ).toBe("REVOKED");
  },
});

mutation({
  title: "createProject(A)",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "FORBIDDEN",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "FORBIDDEN",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(CreateProjectDocument, { organizationId: fx.orgId, name: "New project" }),
  async effect({ data, before, after, self, fx }) {
    expect(data.createProject).toMatchObject({
      name: "New project",
      organization: { id: fx.orgId },
      viewerRole: "MANAGER",
    });
    expect(after).toEqual({
      ...before,
      projects: { ...before.projects, "New project": "New project|" },
      projectMembers: {
        ...before.projectMembers,
        [`New project/${label(self.id)}`]: "MANAGER/ACTIVE",
      },
    });
    expect(await projectRoleOf(self, data.createProject.id)).toBe("MANAGER");
  },
});

mutation({
  title: "updateProject(P)",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "allowed",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(UpdateProjectDocument, { id: fx.projectId, name: "Renamed P" }),
  async effect({ data, before, after, self, fx }) {
    expect(data.updateProject).toMatchObject({ id: fx.projectId, name: "Renamed P" });
    expect(after).toEqual({ ...before, projects: { ...before.projects, P: "Renamed P|" } });
    const seen = await self.client.ok(ProjectByIdDocument, { id: fx.projectId });
    expect(seen.project?.name).toBe("Renamed P");
  },
});

mutation({
  title: "deleteProject(P)",
  row: {
    OWNER: "allowed",
    ADMIN: "FORBIDDEN",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "FORBIDDEN",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) => client.request(DeleteProjectDocument, { id: fx.projectId }),
  async effect({ data, before, after, self, fx }) {
    expect(data.deleteProject).toBe(true);
    expect(after).toEqual({
      ...before,
      projects: without(before.projects, "P"),
      projectMembers: Object.fromEntries(
        Object.entries(before.projectMembers).filter(([key]) => !key.startsWith("P/")),
      ),
    });
    expect(await projectRoleOf(self, fx.projectId)).toBe("no access");
    expect(await projectRoleOf(users.MANAGER, fx.projectId)).toBe("no access");
  },
});

mutation({
  title: "addProjectMember(P, BYSTANDER, CONTRIBUTOR)",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(AddProjectMemberDocument, {
      projectId: fx.projectId,
      userId: users.BYSTANDER.id,
      role: "CONTRIBUTOR",
    }),
  async effect({ data, before, after, fx }) {
    expect(data.addProjectMember).toMatchObject({
      role: "CONTRIBUTOR",
      user: { id: users.BYSTANDER.id },
      project: { id: fx.projectId },
    });
    expect(after).toEqual({
      ...before,
      projectMembers: { ...before.projectMembers, "P/BYSTANDER": "CONTRIBUTOR/ACTIVE" },
    });
    expect(await projectRoleOf(users.BYSTANDER, fx.projectId)).toBe("CONTRIBUTOR");
  },
});

mutation({
  title: "updateProjectMember(P, TARGET VIEWER → CONTRIBUTOR)",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(UpdateProjectMemberDocument, {
      projectId: fx.projectId,
      userId: users.TARGET.id,
      role: "CONTRIBUTOR",
    }),
  async effect({ data, before, after, fx }) {
    expect(data.updateProjectMember).toMatchObject({
      role: "CONTRIBUTOR",
      user: { id: users.TARGET.id },
    });
    expect(after).toEqual({
      ...before,
      projectMembers: { ...before.projectMembers, "P/TARGET": "CONTRIBUTOR/ACTIVE" },
    });
    expect(await projectRoleOf(users.TARGET, fx.projectId)).toBe("CONTRIBUTOR");
  },
});

mutation({
  title: "removeProjectMember(P, TARGET)",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "FORBIDDEN",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(RemoveProjectMemberDocument, {
      projectId: fx.projectId,
      userId: users.TARGET.id,
    }),
  async effect({ data, before, after, fx }) {
    expect(data.removeProjectMember).toBe(true);
    expect(after).toEqual({
      ...before,
      projectMembers: without(before.projectMembers, "P/TARGET"),
    });
    expect(await projectRoleOf(users.TARGET, fx.projectId)).toBe("no access");
    // Still a member of the organization.
    expect(await viewerRoleIn(users.TARGET, fx.orgId)).toBe("MEMBER");
  },
});

async function policiesSeenBy(person: Person, fx: Fixture) {
  const data = await person.client.ok(ProjectPoliciesDocument, { id: fx.projectId });
  return data.project ? policiesOf(data.project) : "no access";
}

/** What P's end user sees of themself with their token: null once it no longer works. */
async function endUserMe(fx: Fixture) {
  const data = await fx.endUser!.client.ok(EndUserMeDocument, { projectId: fx.projectId });
  return data.endUserMe ? { id: data.endUserMe.id, email: data.endUserMe.email } : null;
}

async function endUserSeenBy(person: Person, fx: Fixture) {
  const data = await person.client.ok(ProjectEndUserDocument, {
    projectId: fx.projectId,
    id: fx.endUser!.id,
  });
  if (!data.project) return "no access";
  const found = data.project.endUser;
  return found && { role: found.role, status: found.status, live: found.sessions.totalCount };
}

// P's policies (`project.policies.manage`) and end users (`project.end_users.manage`): MANAGER
// and CONTRIBUTOR, so also organization OWNERs and ADMINs (DESIGN.md, "Roles"). The end user
// of P is no platform user: refused like anyone signed out, even on itself.
mutation({
  title: "createPasswordPolicy(P), P without policies",
  policies: "no policies",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "allowed",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
    END_USER: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(CreatePasswordPolicyDocument, { projectId: fx.projectId, minLength: 14 }),
  async effect({ data, before, after, self, fx }) {
    expect(data.createPasswordPolicy.minLength).toBe(14);
    expect(before.passwordPolicy).toBe(null);
    expect(after).toEqual({
      ...before,
      passwordPolicy: expect.objectContaining({ minLength: 14 }),
    });
    expect(await policiesSeenBy(self, fx)).toMatchObject({
      passwordPolicy: { minLength: 14 },
      policy: null,
    });
  },
});

mutation({
  title: "updatePasswordPolicy(P, minLength 16)",
  policies: "both policies",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "allowed",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
    END_USER: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(UpdatePasswordPolicyDocument, { projectId: fx.projectId, minLength: 16 }),
  async effect({ data, before, after, self, fx }) {
    expect(data.updatePasswordPolicy.minLength).toBe(16);
    expect(after).toEqual({
      ...before,
      passwordPolicy: { ...before.passwordPolicy, minLength: 16 },
    });
    expect(await policiesSeenBy(self, fx)).toEqual({
      ...FIXTURE_POLICIES,
      passwordPolicy: { ...FIXTURE_PASSWORD_POLICY, minLength: 16 },
    });
  },
});

mutation({
  title: "deletePasswordPolicy(P), P without a project policy",
  policies: "password policy only",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "allowed",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
    END_USER: "UNAUTHENTICATED",
  },
  run: (client, fx) => client.request(DeletePasswordPolicyDocument, { projectId: fx.projectId }),
  async effect({ data, before, after, self, fx }) {
    expect(data.deletePasswordPolicy).toBe(true);
    expect(before.passwordPolicy).not.toBe(null);
    expect(after).toEqual({ ...before, passwordPolicy: null });
    expect(await policiesSeenBy(self, fx)).toEqual({ passwordPolicy: null, policy: null });
  },
});

mutation({
  title: "createProjectPolicy(P), P with only its password policy",
  policies: "password policy only",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "allowed",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
    END_USER: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(CreateProjectPolicyDocument, {
      projectId: fx.projectId,
      roles: ["member", "staff"],
      defaultRole: "member",
    }),
  async effect({ data, before, after, self, fx }) {
    expect(data.createProjectPolicy).toMatchObject({
      roles: ["member", "staff"],
      defaultRole: "member",
    });
    expect(before.projectPolicy).toBe(null);
    expect(after).toEqual({
      ...before,
      projectPolicy: expect.objectContaining({ roles: ["member", "staff"], defaultRole: "member" }),
    });
    expect(await policiesSeenBy(self, fx)).toEqual({
      passwordPolicy: FIXTURE_PASSWORD_POLICY,
      policy: {
        roles: ["member", "staff"],
        statuses: [],
        defaultRole: "member",
        defaultStatus: null,
        passwordPolicy: true,
      },
    });
  },
});

mutation({
  title: "updateProjectPolicy(P, defaultRole vip)",
  policies: "both policies",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "allowed",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
    END_USER: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(UpdateProjectPolicyDocument, { projectId: fx.projectId, defaultRole: "vip" }),
  async effect({ data, before, after, self, fx }) {
    expect(data.updateProjectPolicy.defaultRole).toBe("vip");
    expect(after).toEqual({
      ...before,
      projectPolicy: { ...before.projectPolicy, defaultRole: "vip" },
    });
    expect(await policiesSeenBy(self, fx)).toEqual({
      ...FIXTURE_POLICIES,
      policy: { ...FIXTURE_POLICIES.policy, defaultRole: "vip" },
    });
  },
});

mutation({
  title: "deleteProjectPolicy(P)",
  policies: "both policies",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "allowed",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
    END_USER: "UNAUTHENTICATED",
  },
  run: (client, fx) => client.request(DeleteProjectPolicyDocument, { projectId: fx.projectId }),
  async effect({ data, before, after, self, fx }) {
    expect(data.deleteProjectPolicy).toBe(true);
    expect(before.projectPolicy).not.toBe(null);
    expect(after).toEqual({ ...before, projectPolicy: null });
    expect(await policiesSeenBy(self, fx)).toEqual({ ...FIXTURE_POLICIES, policy: null });
  },
});

mutation({
  title: "updateEndUser(P, E, role vip, status paused)",
  policies: "both policies",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "allowed",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
    END_USER: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(UpdateEndUserDocument, {
      projectId: fx.projectId,
      id: fx.endUser!.id,
      role: "vip",
      status: "paused",
    }),
  async effect({ data, before, after, self, fx }) {
    expect(data.updateEndUser).toMatchObject({ id: fx.endUser!.id, role: "vip", status: "paused" });
    expect(before.endUsers).toEqual({ END_USER: "customer/active/1 live" });
    expect(after).toEqual({ ...before, endUsers: { END_USER: "vip/paused/1 live" } });
    expect(await endUserSeenBy(self, fx)).toEqual({ role: "vip", status: "paused", live: 1 });
    // "paused" is not a blocked status: the end user stays signed in.
    expect(await endUserMe(fx)).toEqual({ id: fx.endUser!.id, email: fx.endUser!.email });
  },
});

mutation({
  title: "deleteEndUser(P, E)",
  policies: "both policies",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "allowed",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
    END_USER: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(DeleteEndUserDocument, { projectId: fx.projectId, id: fx.endUser!.id }),
  async effect({ data, before, after, self, fx }) {
    expect(data.deleteEndUser).toBe(true);
    expect(before.endUsers).toEqual({ END_USER: "customer/active/1 live" });
    expect(after).toEqual({ ...before, endUsers: {} });
    expect(await endUserSeenBy(self, fx)).toBe(null);
    expect(await endUserMe(fx)).toBe(null);
  },
});

mutation({
  title: "revokeEndUserSessions(P, E)",
  policies: "both policies",
  row: {
    OWNER: "allowed",
    ADMIN: "allowed",
    MEMBER: "NOT_FOUND",
    SUSPENDED: "NOT_FOUND",
    MANAGER: "allowed",
    CONTRIBUTOR: "allowed",
    VIEWER: "FORBIDDEN",
    OUTSIDER: "NOT_FOUND",
    ANONYMOUS: "UNAUTHENTICATED",
    END_USER: "UNAUTHENTICATED",
  },
  run: (client, fx) =>
    client.request(RevokeEndUserSessionsDocument, { projectId: fx.projectId, id: fx.endUser!.id }),
  async effect({ data, before, after, self, fx }) {
    expect(data.revokeEndUserSessions).toBe(1);
    expect(before.endUsers).toEqual({ END_USER: "customer/active/1 live" });
    expect(after).toEqual({ ...before, endUsers: { END_USER: "customer/active/0 live" } });
    expect(await endUserSeenBy(self, fx)).toEqual({ role: "customer", status: "active", live: 0 });
    expect(await endUserMe(fx)).toBe(null);
  },
});

describe("mutations", () => {
  describe.each(mutationCases.map((spec) => [spec.title, spec] as const))("%s", (_title, spec) => {
    const cases = actorsOf(spec.row).map((actor) => [actor, spec.row[actor]!] as const);
    it.each(cases)("%s → %s", async (actor, outcome) => {
      const fx = await buildFixture({
        secondOwner: spec.secondOwner ?? true,
        policies: spec.policies,
      });
      const before = await snapshot(fx);
      const mails = gh.outbox.messages.length;
      const events = await auditCount(fx);
      const self = selfOf(actor);
      const result = await spec.run(clientOf(actor, fx), fx, self);
      const after = await snapshot(fx);
      if (outcome !== "allowed") {
        expect(errorCodes(result)).toEqual([outcome]);
        expect(result.data ?? null).toBe(null);
        // Refused: nothing changed, no mail went out, nothing was written to the audit log.
        expect(after).toEqual(before);
        expect(gh.outbox.messages.length).toBe(mails);
        expect(await auditCount(fx)).toBe(events);
        if (actor === "END_USER") expect(await endUserMe(fx)).not.toBe(null);
      } else {
        expect(errorCodes(result)).toEqual([]);
        expect(result.data).toBeTruthy();
        await spec.effect({ data: result.data, fx, before, after, self: self! });
        // Every change is in the audit log.
        expect(await auditCount(fx)).toBeGreaterThan(events);
      }
    });
  });

  it("acceptOrganizationInvitation: ANONYMOUS → UNAUTHENTICATED, even with a valid token", async () => {
    const fx = await buildFixture({ secondOwner: true });
    const token = gh.outbox.lastToken(fx.invitationEmail);
    const before = await snapshot(fx);
    const result = await gh.client().request(AcceptOrganizationInvitationDocument, { token });
    expect(errorCodes(result)).toEqual(["UNAUTHENTICATED"]);
    expect(await snapshot(fx)).toEqual(before);
    expect(before.invitations[fx.invitationEmail]).toBe("MEMBER/PENDING");
  });
});
