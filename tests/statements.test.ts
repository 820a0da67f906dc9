/**
 * The nested tenancy query costs a constant number of SQL statements: DataLoaders batch every
 * level, so 200 members cost what 5 do. The same holds for the project staff dashboard (every
 * project with its policies and a page of its end users): 6 projects of 40 end users cost what
 * 2 projects of 3 do.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { endUsers, organizationMembers, projectMembers, users } from "../src/db/schema/index";
import { NestedTenancyDocument, StaffDashboardDocument } from "./gql/graphql";
import { endUserEmail, openForSignUp, signUpEndUser } from "./helpers/end-users";
import { startInstance, type Instance } from "./helpers/instance";
import { createOrganization, createProject, person, type Person } from "./helpers/tenancy";

let gh: Instance;
const log: string[] = [];

beforeAll(async () => {
  gh = await startInstance({
    onQuery: (query) => log.push(query),
  });
});
afterAll(() => gh?.close());

/** An organization of `size` members and `projectCount` projects of up to 10 members each. */
async function organizationOf(size: number, projectCount: number): Promise<Person> {
  const owner = await person(gh, "owner");
  const org = await createOrganization(owner);
  const db = gh.database.db;
  // The members never sign in: rows are enough, and much faster than hashing 200 passwords.
  const others = await db
    .insert(users)
    .values(
      Array.from({ length: size - 1 }, (_, i) => ({
        email: `member-${i}-${randomUUID().slice(0, 8)}@example.com`,
        fullName: `Member ${i}`,
        passwordHash: "not-a-hash",
      })),
    )
    .returning();
  await db.insert(organizationMembers).values(
    others.map((user, i) => ({
      organizationId: org.id,
      userId: user.id,
      role: i % 10 === 0 ? ("ADMIN" as const) : ("MEMBER" as const),
    })),
  );
  for (let p = 0; p < projectCount; p++) {
    const project = await createProject(owner, org.id, `Project ${p}`);
    const staff = others.slice(p * 3, p * 3 + 9);
    if (staff.length > 0) {
      await db.insert(projectMembers).values(
        staff.map((user) => ({
          projectId: project.id,
          userId: user.id,
          role: "VIEWER" as const,
        })),
      );
    }
  }
  return owner;
}

async function countStatements(owner: Person) {
  await owner.client.ok(NestedTenancyDocument); // warm-up: the session touch, caches
  log.length = 0;
  const data = await owner.client.ok(NestedTenancyDocument);
  return { count: log.length, statements: log.join("\n"), data };
}

/**
 * An organization of `projectCount` projects open for sign-up, each with `endUserCount` end
 * users: the first signs up over the API, the others are rows (no password to hash), half of
 * them with a status.
 */
async function dashboardOf(projectCount: number, endUserCount: number): Promise<Person> {
  const owner = await person(gh, "staff");
  const org = await createOrganization(owner);
  for (let p = 0; p < projectCount; p++) {
    const project = await createProject(owner, org.id, `Project ${p}`);
    await openForSignUp(owner, project.id);
    await signUpEndUser(gh.client(), project.id);
    if (endUserCount > 1) {
      await gh.database.db.insert(endUsers).values(
        Array.from({ length: endUserCount - 1 }, (_, i) => ({
          projectId: project.id,
          email: endUserEmail(`customer-${i}`),
          fullName: `Customer ${i}`,
          passwordHash: "not-a-hash",
          status: i % 2 === 0 ? "active" : null,
        })),
      );
    }
  }
  return owner;
}

async function countDashboardStatements(owner: Person) {
  await owner.client.ok(StaffDashboardDocument); // warm-up: the session touch, caches
  log.length = 0;
  const data = await owner.client.ok(StaffDashboardDocument);
  return { count: log.length, statements: log.join("\n"), data };
}

it("runs the same number of SQL statements for 5 members as for 200", async () => {
  const small = await countStatements(await organizationOf(5, 2));
  const large = await countStatements(await organizationOf(200, 20));

  const org = large.data.organizations.edges[0]!.node;
  expect(org.members.totalCount).toBe(200);
  expect(org.members.edges).toHaveLength(20);
  expect(org.projects.totalCount).toBe(20);
  expect(org.projects.edges).toHaveLength(20);
  expect(org.projects.edges[0]!.node.members.totalCount).toBe(10);
  expect(org.members.edges.every((e) => e.node.user.email.includes("@"))).toBe(true);
  expect(small.data.organizations.edges[0]!.node.members.totalCount).toBe(5);

  expect(large.count, large.statements).toBe(small.count);
  // The viewer, then one or two statements per level: nowhere near one per member.
  expect(large.count, large.statements).toBeLessThanOrEqual(14);
});

it("runs the same number of SQL statements for a staff dashboard of 2 projects as of 6, and of 3 end users per project as of 40", async () => {
  const small = await countDashboardStatements(await dashboardOf(2, 3));
  const moreProjects = await countDashboardStatements(await dashboardOf(6, 3));
  const moreEndUsers = await countDashboardStatements(await dashboardOf(2, 40));
  const large = await countDashboardStatements(await dashboardOf(6, 40));

  const projects = large.data.organizations.edges[0]!.node.projects.edges.map((e) => e.node);
  expect(projects).toHaveLength(6);
  for (const project of projects) {
    expect(project.policy?.roles).toEqual([]);
    expect(project.policy?.passwordPolicy.minLength).toBe(8);
    expect(project.passwordPolicy?.id).toEqual(expect.any(String));
    expect(project.endUsers.totalCount).toBe(40);
    expect(project.endUsers.edges).toHaveLength(40);
    expect(project.endUsers.edges.every((e) => e.node.email?.includes("@"))).toBe(true);
    expect(project.endUsers.edges.filter((e) => e.node.status === "active")).toHaveLength(20);
  }
  const smallProjects = small.data.organizations.edges[0]!.node.projects.edges;
  expect(smallProjects).toHaveLength(2);
  expect(smallProjects.map((e) => e.node.endUsers.totalCount)).toEqual([3, 3]);

  expect(moreProjects.count, moreProjects.statements).toBe(small.count);
  expect(moreEndUsers.count, moreEndUsers.statements).toBe(small.count);
  expect(large.count, large.statements).toBe(small.count);
  // The viewer; two per page (organizations, projects, end users); the viewer's memberships and
  // project access; one per policy table, which both passwordPolicy fields share.
  expect(large.count, large.statements).toBeLessThanOrEqual(12);
});
