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
