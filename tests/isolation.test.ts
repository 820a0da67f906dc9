/**
 * Cross-tenant isolation: the owner and admin of organization A, guessing every id of
 * organization B, reach nothing of it, by root fields, mutations or nested fields.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AddOrganizationMemberDocument,
  AddProjectMemberDocument,
  AuditEventsDocument,
  CreateProjectDocument,
  DeleteOrganizationDocument,
  DeleteProjectDocument,
  InviteOrganizationMemberDocument,
  MembersMembershipsDocument,
  MembersPlatformRolesDocument,
  MembersPrivateDetailsDocument,
  OrganizationByIdDocument,
  OrganizationBySlugDocument,
  OrganizationMemberDocument,
  OrganizationMembersDocument,
  OrganizationProjectsDocument,
  ProjectByIdDocument,
  ProjectMembersDocument,
  RemoveOrganizationMemberDocument,
  RemoveProjectMemberDocument,
  RevokeOrganizationInvitationDocument,
  TransferOrganizationOwnershipDocument,
  UpdateOrganizationDocument,
  UpdateOrganizationMemberDocument,
  UpdateProjectDocument,
  UpdateProfileDocument,
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
  type Person,
} from "./helpers/tenancy";

let gh: Instance;
let a: { owner: Person; admin: Person; orgId: string; projectId: string };
let b: {
  owner: Person;
  member: Person;
  orgId: string;
  slug: string;
  projectId: string;
  invitationId: string;
};

beforeAll(async () => {
  gh = await startInstance();
  const [aOwner, aAdmin, bOwner, bMember] = await Promise.all([
    person(gh, "a-owner"),
    person(gh, "a-admin"),
    person(gh, "b-owner"),
    person(gh, "b-member"),
  ]);
  // A phone number to keep private from fellow members.
  await aOwner.client.ok(UpdateProfileDocument, { input: { phone: "+14155550123" } });
  await aAdmin.client.ok(UpdateProfileDocument, { input: { phone: "+14155550124" } });
  const orgA = await createOrganization(aOwner);
  await addMember(aOwner, orgA.id, aAdmin, "ADMIN");
  const projectA = await createProject(aOwner, orgA.id);
  const orgB = await createOrganization(bOwner);
  await addMember(bOwner, orgB.id, bMember, "MEMBER");
  const projectB = await createProject(bOwner, orgB.id, "Secret");
  await addProjectMember(bOwner, projectB.id, bMember, "VIEWER");
  const invitation = await bOwner.client.ok(InviteOrganizationMemberDocument, {
    organizationId: orgB.id,
    email: "invited-to-b@example.com",
    role: "MEMBER",
  });
  a = { owner: aOwner, admin: aAdmin, orgId: orgA.id, projectId: projectA.id };
  b = {
    owner: bOwner,
    member: bMember,
    orgId: orgB.id,
    slug: orgB.slug,
    projectId: projectB.id,
    invitationId: invitation.inviteOrganizationMember.id,
  };
});
afterAll(() => gh?.close());

describe.each(["owner", "admin"] as const)("organization A's %s", (who) => {
  const actor = () => a[who].client;

  it("reads nothing of B: root fields answer null, with no error", async () => {
    const reads = await Promise.all([
      actor().request(OrganizationByIdDocument, { id: b.orgId }),
      actor().request(OrganizationBySlugDocument, { slug: b.slug }),
      actor().request(OrganizationMembersDocument, { id: b.orgId }),
      actor().request(OrganizationProjectsDocument, { id: b.orgId }),
      actor().request(ProjectByIdDocument, { id: b.projectId }),
      actor().request(ProjectMembersDocument, { id: b.projectId }),
    ]);
    for (const read of reads) {
      expect(read.errors).toBeUndefined();
      expect(Object.values(read.data ?? {})).toEqual([null]);
    }
  });

  it("changes nothing of B: every mutation answers NOT_FOUND, as for an unknown id", async () => {
    const attempts = await Promise.all([
      actor().request(UpdateOrganizationDocument, { id: b.orgId, name: "Pwned" }),
      actor().request(DeleteOrganizationDocument, { id: b.orgId }),
      actor().request(AddOrganizationMemberDocument, {
        organizationId: b.orgId,
        email: a[who].email,
        role: "OWNER",
      }),
      actor().request(UpdateOrganizationMemberDocument, {
        organizationId: b.orgId,
        userId: b.member.id,
        role: "ADMIN",
      }),
      actor().request(RemoveOrganizationMemberDocument, {
        organizationId: b.orgId,
        userId: b.member.id,
      }),
      actor().request(InviteOrganizationMemberDocument, {
        organizationId: b.orgId,
        email: a[who].email,
        role: "OWNER",
      }),
      actor().request(RevokeOrganizationInvitationDocument, { id: b.invitationId }),
      actor().request(TransferOrganizationOwnershipDocument, {
        organizationId: b.orgId,
        userId: a[who].id,
      }),
      actor().request(CreateProjectDocument, { organizationId: b.orgId, name: "Mine" }),
      actor().request(UpdateProjectDocument, { id: b.projectId, name: "Pwned" }),
      actor().request(DeleteProjectDocument, { id: b.projectId }),
      actor().request(AddProjectMemberDocument, {
        projectId: b.projectId,
        userId: a[who].id,
        role: "MANAGER",
      }),
      actor().request(UpdateProjectMemberDocument, {
        projectId: b.projectId,
        userId: b.member.id,
        role: "MANAGER",
      }),
      actor().request(RemoveProjectMemberDocument, {
        projectId: b.projectId,
        userId: b.member.id,
      }),
      actor().request(AuditEventsDocument, { organizationId: b.orgId }),
      actor().request(AuditEventsDocument, { projectId: b.projectId }),
      // Naming its own organization does not open B's project's log.
      actor().request(AuditEventsDocument, { organizationId: a.orgId, projectId: b.projectId }),
    ]);
    for (const attempt of attempts) expect(errorCodes(attempt)).toEqual(["NOT_FOUND"]);
    // And the error says no more than "not found".
    for (const attempt of attempts) {
      expect(attempt.errors?.[0]?.message).toMatch(/not found/i);
      expect(JSON.stringify(attempt.errors)).not.toContain(b.slug);
    }
  });

  it("cannot pull B's people or projects into A, or reach them through nested fields", async () => {
    const intoA = await actor().request(AddProjectMemberDocument, {
      projectId: a.projectId,
      userId: b.member.id,
      role: "VIEWER",
    });
    expect(errorCodes(intoA)).toEqual(["FAILED_PRECONDITION"]);
    const member = await actor().ok(OrganizationMemberDocument, {
      id: a.orgId,
      userId: b.owner.id,
    });
    expect(member.organization?.member).toBeNull();
    // Other members' memberships (which would list B) are theirs alone, and so are their
    // phone numbers; names, emails and MFA status are what fellow members see.
    const nested = await actor().request(MembersMembershipsDocument, { id: a.orgId });
    expect(errorCodes(nested)).toContain("FORBIDDEN");
    const details = await actor().request(MembersPrivateDetailsDocument, { id: a.orgId });
    const people = details.data?.organization?.members.edges.map((e) => e.node.user) ?? [];
    expect(people.map((p) => p.id).sort()).toEqual([a.owner.id, a.admin.id].sort());
    for (const p of people) {
      expect(p.email).toMatch(/@example\.com$/);
      expect(typeof p.mfaEnabled).toBe("boolean");
    }
    const own = people.find((p) => p.id === a[who].id);
    expect(own?.phone).toMatch(/^\+1415555012[34]$/);
    expect(people.filter((p) => p.id !== a[who].id).map((p) => p.phone)).toEqual([null]);
    expect(errorCodes(details)).toEqual(["FORBIDDEN"]);
    // The platform role is not private: a UI may mark the server's administrators.
    const roles = await actor().ok(MembersPlatformRolesDocument, { id: a.orgId });
    expect(roles.organization?.members.edges.map((e) => e.node.user.platformRole)).toEqual([
      "USER",
      "USER",
    ]);
    const projects = await actor().ok(OrganizationProjectsDocument, { id: a.orgId });
    expect(projects.organization?.projects.edges.map((e) => e.node.id)).toEqual([a.projectId]);
  });
});

it("B is untouched after all of it", async () => {
  const org = await b.owner.client.ok(OrganizationByIdDocument, { id: b.orgId });
  expect(org.organization).toMatchObject({ name: "Acme", viewerRole: "OWNER" });
  const members = await b.owner.client.ok(OrganizationMembersDocument, { id: b.orgId });
  expect(members.organization?.members.edges.map((e) => [e.node.user.id, e.node.role])).toEqual([
    [b.owner.id, "OWNER"],
    [b.member.id, "MEMBER"],
  ]);
  const project = await b.owner.client.ok(ProjectMembersDocument, { id: b.projectId });
  expect(project.project?.members.edges.map((e) => [e.node.user.id, e.node.role])).toEqual([
    [b.owner.id, "MANAGER"],
    [b.member.id, "VIEWER"],
  ]);
  const log = await b.owner.client.ok(AuditEventsDocument, { organizationId: b.orgId });
  expect(log.auditEvents.edges.every((e) => e.node.actorUserId === b.owner.id)).toBe(true);
});
