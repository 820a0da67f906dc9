/**
 * The nested tenancy query costs a constant number of SQL statements: DataLoaders batch every
 * level, so 200 members cost what 5 do.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { organizationMembers, projectMembers, users } from "../src/db/schema/index";
import { NestedTenancyDocument } from "./gql/graphql";
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
