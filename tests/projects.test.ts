import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AddProjectMemberDocument,
  AuditEventsDocument,
  CreateProjectDocument,
  DeleteProjectDocument,
  OrganizationProjectsDocument,
  ProjectByIdDocument,
  ProjectMembersDocument,
  RemoveOrganizationMemberDocument,
  RemoveProjectMemberDocument,
  UpdateOrganizationMemberDocument,
  UpdateProjectDocument,
  UpdateProjectMemberDocument,
} from "./gql/graphql";
import { projectLinkBase } from "../src/modules/projects/app-url";
import { errorCodes } from "./helpers/client";
import { startInstance, type Instance } from "./helpers/instance";
import {
  addMember,
  addProjectMember,
  createOrganization,
  createProject,
  person,
} from "./helpers/tenancy";

let gh: Instance;
beforeAll(async () => {
  gh = await startInstance();
});
afterAll(() => gh?.close());

describe("createProject", () => {
  it("makes the caller MANAGER; owners and admins manage every project of the organization", async () => {
    const [owner, admin] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, admin, "ADMIN");
    const created = await admin.client.ok(CreateProjectDocument, {
      organizationId: org.id,
      name: " Storefront ",
      description: "Customers of the shop",
    });
    expect(created.createProject).toMatchObject({
      name: "Storefront",
      description: "Customers of the shop",
      viewerRole: "MANAGER",
      organization: { id: org.id },
    });
    const members = await admin.client.ok(ProjectMembersDocument, {
      id: created.createProject.id,
    });
    expect(members.project?.members.edges.map((e) => [e.node.user.id, e.node.role])).toEqual([
      [admin.id, "MANAGER"],
    ]);
    // The owner holds no project role, and still acts as its manager.
    const seen = await owner.client.ok(ProjectByIdDocument, { id: created.createProject.id });
    expect(seen.project?.viewerRole).toBe("MANAGER");
  });

  it("refuses bad names and descriptions with one field entry each, writing nothing", async () => {
    const owner = await person(gh);
    const org = await createOrganization(owner);
    const result = await owner.client.request(CreateProjectDocument, {
      organizationId: org.id,
      name: "   ",
      description: "x".repeat(1001),
    });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(
      (result.errors?.[0]?.extensions?.fields as { field: string }[]).map((f) => f.field),
    ).toEqual(["name", "description"]);
    const projects = await owner.client.ok(OrganizationProjectsDocument, { id: org.id });
    expect(projects.organization?.projects.totalCount).toBe(0);
  });
});

describe("project visibility", () => {
  it("a MEMBER sees only the projects where it holds an active role", async () => {
    const [owner, member] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, member, "MEMBER");
    const mine = await createProject(owner, org.id, "Mine");
    const other = await createProject(owner, org.id, "Other");
    await addProjectMember(owner, mine.id, member, "VIEWER");

    const list = await member.client.ok(OrganizationProjectsDocument, { id: org.id });
    expect(list.organization?.projects.totalCount).toBe(1);
    expect(list.organization?.projects.edges.map((e) => e.node.id)).toEqual([mine.id]);
    expect((await member.client.ok(ProjectByIdDocument, { id: other.id })).project).toBeNull();

    // A suspended project role grants nothing either.
    await owner.client.ok(UpdateProjectMemberDocument, {
      projectId: mine.id,
      userId: member.id,
      status: "SUSPENDED",
    });
    expect((await member.client.ok(ProjectByIdDocument, { id: mine.id })).project).toBeNull();
    const after = await member.client.ok(OrganizationProjectsDocument, { id: org.id });
    expect(after.organization?.projects.totalCount).toBe(0);
  });

  it("suspension from the organization ends access to its projects", async () => {
    const [owner, member] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, member, "MEMBER");
    const project = await createProject(owner, org.id);
    await addProjectMember(owner, project.id, member, "MANAGER");
    await owner.client.ok(UpdateOrganizationMemberDocument, {
      organizationId: org.id,
      userId: member.id,
      status: "SUSPENDED",
    });
    expect((await member.client.ok(ProjectByIdDocument, { id: project.id })).project).toBeNull();
    const attempt = await member.client.request(UpdateProjectDocument, {
      id: project.id,
      name: "Still mine?",
    });
    expect(errorCodes(attempt)).toEqual(["NOT_FOUND"]);
  });

  it("pages projects in creation order with opaque cursors", async () => {
    const owner = await person(gh);
    const org = await createOrganization(owner);
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await createProject(owner, org.id, `P${i}`));
    const first = await owner.client.ok(OrganizationProjectsDocument, { id: org.id, first: 2 });
    const page = first.organization!.projects;
    expect(page.totalCount).toBe(3);
    expect(page.edges.map((e) => e.node.id)).toEqual([created[0]!.id, created[1]!.id]);
    const next = await owner.client.ok(OrganizationProjectsDocument, {
      id: org.id,
      after: page.pageInfo.endCursor,
    });
    expect(next.organization!.projects.edges.map((e) => e.node.id)).toEqual([created[2]!.id]);
    expect(next.organization!.projects.pageInfo.hasNextPage).toBe(false);
  });
});

describe("updateProject and deleteProject", () => {
  it("updates the name, clears the description with an empty string, leaves it when omitted", async () => {
    const owner = await person(gh);
    const org = await createOrganization(owner);
    const project = await owner.client.ok(CreateProjectDocument, {
      organizationId: org.id,
      name: "A",
      description: "First",
    });
    const id = project.createProject.id;
    const renamed = await owner.client.ok(UpdateProjectDocument, { id, name: "B" });
    expect(renamed.updateProject).toMatchObject({ name: "B", description: "First" });
    const cleared = await owner.client.ok(UpdateProjectDocument, { id, description: "" });
    expect(cleared.updateProject).toMatchObject({ name: "B", description: null });
  });

  it("only an organization OWNER deletes a project; its members go with it", async () => {
    const [owner, admin, manager] = [await person(gh), await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, admin, "ADMIN");
    await addMember(owner, org.id, manager, "MEMBER");
    const project = await createProject(admin, org.id);
    await addProjectMember(admin, project.id, manager, "MANAGER");
    for (const who of [admin, manager]) {
      const refused = await who.client.request(DeleteProjectDocument, { id: project.id });
      expect(errorCodes(refused)).toEqual(["FORBIDDEN"]);
    }
    await owner.client.ok(DeleteProjectDocument, { id: project.id });
    expect((await owner.client.ok(ProjectByIdDocument, { id: project.id })).project).toBeNull();
    const again = await owner.client.request(DeleteProjectDocument, { id: project.id });
    expect(errorCodes(again)).toEqual(["NOT_FOUND"]);
    const log = await owner.client.ok(AuditEventsDocument, { organizationId: org.id });
    expect(log.auditEvents.edges[0]?.node).toMatchObject({
      action: "project.deleted",
      projectId: project.id,
    });
  });
});

describe("project members", () => {
  it("adds only active organization members, once, and records each change", async () => {
    const [owner, member, stranger] = [await person(gh), await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, member, "MEMBER");
    const project = await createProject(owner, org.id);

    const notInOrg = await owner.client.request(AddProjectMemberDocument, {
      projectId: project.id,
      userId: stranger.id,
      role: "VIEWER",
    });
    expect(errorCodes(notInOrg)).toEqual(["FAILED_PRECONDITION"]);

    const added = await owner.client.ok(AddProjectMemberDocument, {
      projectId: project.id,
      userId: member.id,
      role: "VIEWER",
    });
    expect(added.addProjectMember).toMatchObject({
      role: "VIEWER",
      status: "ACTIVE",
      user: { id: member.id },
      project: { id: project.id },
    });
    const twice = await owner.client.request(AddProjectMemberDocument, {
      projectId: project.id,
      userId: member.id,
      role: "MANAGER",
    });
    expect(errorCodes(twice)).toEqual(["CONFLICT"]);

    const promoted = await owner.client.ok(UpdateProjectMemberDocument, {
      projectId: project.id,
      userId: member.id,
      role: "CONTRIBUTOR",
    });
    expect(promoted.updateProjectMember.role).toBe("CONTRIBUTOR");
    expect(
      (await member.client.ok(ProjectByIdDocument, { id: project.id })).project?.viewerRole,
    ).toBe("CONTRIBUTOR");

    await owner.client.ok(RemoveProjectMemberDocument, {
      projectId: project.id,
      userId: member.id,
    });
    expect((await member.client.ok(ProjectByIdDocument, { id: project.id })).project).toBeNull();
    const missing = await owner.client.request(RemoveProjectMemberDocument, {
      projectId: project.id,
      userId: member.id,
    });
    expect(errorCodes(missing)).toEqual(["NOT_FOUND"]);

    const log = await owner.client.ok(AuditEventsDocument, { projectId: project.id });
    expect(log.auditEvents.edges.map((e) => e.node.action)).toEqual([
      "project.member.removed",
      "project.member.role_changed",
      "project.member.added",
      "project.created",
    ]);
  });

  it("a manager cannot suspend its own project role", async () => {
    const [owner, manager] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, manager, "MEMBER");
    const project = await createProject(owner, org.id);
    await addProjectMember(owner, project.id, manager, "MANAGER");
    const result = await manager.client.request(UpdateProjectMemberDocument, {
      projectId: project.id,
      userId: manager.id,
      status: "SUSPENDED",
    });
    expect(errorCodes(result)).toEqual(["FAILED_PRECONDITION"]);
    expect(
      (await manager.client.ok(ProjectByIdDocument, { id: project.id })).project?.viewerRole,
    ).toBe("MANAGER");
  });

  it("removing someone from the organization removes their project roles", async () => {
    const [owner, member] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, member, "MEMBER");
    const project = await createProject(owner, org.id);
    await addProjectMember(owner, project.id, member, "CONTRIBUTOR");
    await owner.client.ok(RemoveOrganizationMemberDocument, {
      organizationId: org.id,
      userId: member.id,
    });
    const members = await owner.client.ok(ProjectMembersDocument, { id: project.id });
    expect(members.project?.members.edges.map((e) => e.node.user.id)).toEqual([owner.id]);
    // Re-added to the organization, they do not get the old project role back.
    await addMember(owner, org.id, member, "MEMBER");
    expect((await member.client.ok(ProjectByIdDocument, { id: project.id })).project).toBeNull();
  });
});

describe("the project's appUrl", () => {
  const HTTPS_ONLY = "must be an https URL, like https://app.example.com";
  const HTTPS_OR_LOCAL =
    "must be an https URL (or http://localhost or http://127.0.0.1), like https://app.example.com";

  async function ownedProject() {
    const owner = await person(gh);
    const org = await createOrganization(owner);
    const project = await createProject(owner, org.id);
    return { owner, org, id: project.id };
  }

  it('is null at first; set normalised without a trailing slash, kept when omitted, cleared by ""', async () => {
    const { owner, id } = await ownedProject();
    expect((await owner.client.ok(ProjectByIdDocument, { id })).project?.appUrl).toBeNull();

    const set = await owner.client.ok(UpdateProjectDocument, {
      id,
      appUrl: " https://App.Example.com:443/shop/ ",
    });
    expect(set.updateProject.appUrl).toBe("https://app.example.com/shop");
    expect((await owner.client.ok(ProjectByIdDocument, { id })).project?.appUrl).toBe(
      "https://app.example.com/shop",
    );

    // Omitted or null leaves it; other fields change alone.
    const renamed = await owner.client.ok(UpdateProjectDocument, { id, name: "Shop" });
    expect(renamed.updateProject).toMatchObject({
      name: "Shop",
      appUrl: "https://app.example.com/shop",
    });
    const untouched = await owner.client.ok(UpdateProjectDocument, { id, appUrl: null });
    expect(untouched.updateProject.appUrl).toBe("https://app.example.com/shop");

    const port = await owner.client.ok(UpdateProjectDocument, {
      id,
      appUrl: "https://app.example.com:8443",
    });
    expect(port.updateProject.appUrl).toBe("https://app.example.com:8443");

    const cleared = await owner.client.ok(UpdateProjectDocument, { id, appUrl: "" });
    expect(cleared.updateProject.appUrl).toBeNull();
    expect((await owner.client.ok(ProjectByIdDocument, { id })).project?.appUrl).toBeNull();
  });

  it("can be given at creation, under the same rules", async () => {
    const owner = await person(gh);
    const org = await createOrganization(owner);
    const created = await owner.client.ok(CreateProjectDocument, {
      organizationId: org.id,
      name: "Storefront",
      appUrl: "https://shop.example.com/",
    });
    expect(created.createProject.appUrl).toBe("https://shop.example.com");
    const refused = await owner.client.request(CreateProjectDocument, {
      organizationId: org.id,
      name: "Bad",
      appUrl: "javascript:alert(1)",
    });
    expect(errorCodes(refused)).toEqual(["BAD_USER_INPUT"]);
    expect(refused.errors?.[0]?.extensions?.fields).toEqual([
      { field: "appUrl", message: HTTPS_OR_LOCAL },
    ]);
    const projects = await owner.client.ok(OrganizationProjectsDocument, { id: org.id });
    expect(projects.organization?.projects.totalCount).toBe(1);
  });

  it("refuses what is not an https URL of an app, with a field entry, changing nothing", async () => {
    const { owner, id } = await ownedProject();
    await owner.client.ok(UpdateProjectDocument, { id, appUrl: "https://app.example.com" });
    const cases: [string, string][] = [
      ["javascript:alert(1)", HTTPS_OR_LOCAL],
      ["JavaScript://app.example.com/%0aalert(1)", HTTPS_OR_LOCAL],
      ["data:text/html,<script>alert(1)</script>", HTTPS_OR_LOCAL],
      ["http://app.example.com", HTTPS_OR_LOCAL],
      ["http://localhost.example.com", HTTPS_OR_LOCAL],
      ["ftp://app.example.com", HTTPS_OR_LOCAL],
      ["app.example.com", HTTPS_OR_LOCAL],
      ["//app.example.com", HTTPS_OR_LOCAL],
      ["https:app.example.com", HTTPS_OR_LOCAL],
      ["https://", HTTPS_OR_LOCAL],
      ["https://user:secret@app.example.com", "must not contain a user name or password"],
      ["https://user@app.example.com", "must not contain a user name or password"],
      ["https://@app.example.com", "must not contain a user name or password"],
      ["https://app.example.com/#/home", "must not have a fragment (#…)"],
      ["https://app.example.com/?ref=mail", "must not have a query string (?…)"],
      ["https://app.exa mple.com", "must not contain spaces, backslashes or control characters"],
      [
        "https://app.example.com\\@evil.example",
        "must not contain spaces, backslashes or control characters",
      ],
      ["https://app.example.com/\nx", "must not contain spaces, backslashes or control characters"],
      [`https://app.example.com/${"a".repeat(2048)}`, "must be at most 2048 characters"],
    ];
    for (const [appUrl, message] of cases) {
      const result = await owner.client.request(UpdateProjectDocument, { id, appUrl });
      expect(errorCodes(result), appUrl).toEqual(["BAD_USER_INPUT"]);
      expect(result.errors?.[0]?.extensions?.fields, appUrl).toEqual([
        { field: "appUrl", message },
      ]);
    }
    // With another broken field, both are reported.
    const both = await owner.client.request(UpdateProjectDocument, {
      id,
      name: " ",
      appUrl: "http://app.example.com",
    });
    expect(
      (both.errors?.[0]?.extensions?.fields as { field: string }[]).map((f) => f.field),
    ).toEqual(["name", "appUrl"]);
    expect((await owner.client.ok(ProjectByIdDocument, { id })).project?.appUrl).toBe(
      "https://app.example.com",
    );
  });

  it("accepts http://localhost and http://127.0.0.1 outside production", async () => {
    const { owner, id } = await ownedProject();
    for (const [appUrl, stored] of [
      ["http://localhost:3000/", "http://localhost:3000"],
      ["http://127.0.0.1:5173/app/", "http://127.0.0.1:5173/app"],
      ["http://LOCALHOST", "http://localhost"],
    ]) {
      const result = await owner.client.ok(UpdateProjectDocument, { id, appUrl });
      expect(result.updateProject.appUrl, appUrl).toBe(stored);
    }
  });

  it("refuses any http URL in production, localhost included", async () => {
    const prod = await startInstance({
      env: {
        NODE_ENV: "production",
        ALLOW_PGLITE_IN_PRODUCTION: "true",
        PUBLIC_URL: "https://auth.example.com",
      },
    });
    try {
      const owner = await person(prod);
      const org = await createOrganization(owner);
      const project = await createProject(owner, org.id);
      for (const appUrl of [
        "http://localhost:3000",
        "http://127.0.0.1:5173",
        "http://app.example.com",
      ]) {
        const result = await owner.client.request(UpdateProjectDocument, {
          id: project.id,
          appUrl,
        });
        expect(errorCodes(result), appUrl).toEqual(["BAD_USER_INPUT"]);
        expect(result.errors?.[0]?.extensions?.fields, appUrl).toEqual([
          { field: "appUrl", message: HTTPS_ONLY },
        ]);
      }
      const ok = await owner.client.ok(UpdateProjectDocument, {
        id: project.id,
        appUrl: "https://app.example.com/",
      });
      expect(ok.updateProject.appUrl).toBe("https://app.example.com");
    } finally {
      await prod.close();
    }
  });

  it("takes project.update: a CONTRIBUTOR sets it, a VIEWER is FORBIDDEN; each change is audited", async () => {
    const { owner, org, id } = await ownedProject();
    const [contributor, viewer] = [await person(gh), await person(gh)];
    await addMember(owner, org.id, contributor, "MEMBER");
    await addMember(owner, org.id, viewer, "MEMBER");
    await addProjectMember(owner, id, contributor, "CONTRIBUTOR");
    await addProjectMember(owner, id, viewer, "VIEWER");

    const set = await contributor.client.ok(UpdateProjectDocument, {
      id,
      appUrl: "https://app.example.com",
    });
    expect(set.updateProject.appUrl).toBe("https://app.example.com");
    const refused = await viewer.client.request(UpdateProjectDocument, {
      id,
      appUrl: "https://evil.example.com",
    });
    expect(errorCodes(refused)).toEqual(["FORBIDDEN"]);
    const seen = await viewer.client.ok(ProjectByIdDocument, { id });
    expect(seen.project?.appUrl).toBe("https://app.example.com");
    await owner.client.ok(UpdateProjectDocument, { id, appUrl: "" });

    const log = await owner.client.ok(AuditEventsDocument, {
      projectId: id,
      action: "project.updated",
    });
    expect(
      log.auditEvents.edges
        .map((e) => ({
          actor: e.node.actorUserId,
          metadata: JSON.parse(e.node.metadata ?? "null"),
        }))
        .reverse(),
    ).toEqual([
      {
        actor: contributor.id,
        metadata: { fields: ["appUrl"], appUrl: { from: null, to: "https://app.example.com" } },
      },
      {
        actor: owner.id,
        metadata: { fields: ["appUrl"], appUrl: { from: "https://app.example.com", to: null } },
      },
    ]);
  });

  it("projectLinkBase gives the base of mail links, or null without one", () => {
    expect(projectLinkBase({ appUrl: "https://app.example.com/shop" })).toBe(
      "https://app.example.com/shop",
    );
    expect(projectLinkBase({ appUrl: "https://app.example.com/" })).toBe("https://app.example.com");
    expect(projectLinkBase({ appUrl: null })).toBeNull();
    expect(projectLinkBase({ appUrl: " " })).toBeNull();
  });
});
