import { and, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  auditEvents,
  organizationInvitations,
  organizationMembers,
  projectMembers,
  projects,
} from "../src/db/schema/index";
import {
  AcceptOrganizationInvitationDocument,
  AddOrganizationMemberDocument,
  AuditEventsDocument,
  CreateOrganizationDocument,
  DeleteOrganizationDocument,
  InviteOrganizationMemberDocument,
  LogInDocument,
  LogInWithMembershipsDocument,
  MyMembershipsDocument,
  MyOrganizationsDocument,
  OrganizationByIdDocument,
  OrganizationBySlugDocument,
  OrganizationInvitationsDocument,
  OrganizationMembersDocument,
  RemoveOrganizationMemberDocument,
  RevokeOrganizationInvitationDocument,
  TransferOrganizationOwnershipDocument,
  UpdateOrganizationDocument,
  UpdateOrganizationMemberDocument,
  MeVerifiedDocument,
} from "./gql/graphql";
import { errorCodes } from "./helpers/client";
import { PASSWORD, startInstance, usingPostgres, type Instance } from "./helpers/instance";
import {
  addMember,
  addProjectMember,
  createOrganization,
  createProject,
  person,
  uniqueSlug,
} from "./helpers/tenancy";

let gh: Instance;
beforeAll(async () => {
  gh = await startInstance();
});
afterAll(() => gh?.close());

describe("createOrganization", () => {
  it("makes the caller OWNER and the organization readable by id and by slug", async () => {
    const owner = await person(gh, "owner");
    const slug = uniqueSlug();
    const created = await createOrganization(owner, slug);
    expect(created).toMatchObject({ name: "Acme", slug, viewerRole: "OWNER" });
    expect(created.viewerPermissions).toContain("organization.delete");

    const byId = await owner.client.ok(OrganizationByIdDocument, { id: created.id });
    expect(byId.organization?.slug).toBe(slug);
    const bySlug = await owner.client.ok(OrganizationBySlugDocument, { slug });
    expect(bySlug.organization?.id).toBe(created.id);

    const mine = await owner.client.ok(MyOrganizationsDocument, {});
    expect(mine.organizations.edges.map((e) => e.node.id)).toEqual([created.id]);
    const memberships = await owner.client.ok(MyMembershipsDocument);
    expect(memberships.me?.organizations.edges[0]?.node).toMatchObject({
      role: "OWNER",
      status: "ACTIVE",
      organization: { id: created.id, slug },
    });
  });

  it.each([
    ["ab", "too short"],
    ["a".repeat(49), "too long"],
    ["Acme-Inc", "uppercase"],
    ["acme_inc", "underscore"],
    ["acme inc", "space"],
    ["---", "hyphens only"],
    ["-acme", "leading hyphen"],
    ["acme-", "trailing hyphen"],
  ])("refuses the slug %j (%s) with BAD_USER_INPUT naming the field", async (slug) => {
    const owner = await person(gh);
    const result = await owner.client.request(CreateOrganizationDocument, { name: "A", slug });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
    expect(result.errors?.[0]?.extensions?.fields).toEqual([
      expect.objectContaining({ field: "slug" }),
    ]);
  });

  it("accepts slugs of 3 and 48 characters", async () => {
    const owner = await person(gh);
    const short = `${Math.random().toString(36).slice(2, 5).padEnd(3, "x")}`;
    const long = uniqueSlug().padEnd(48, "0");
    for (const slug of [short, long]) {
      const result = await owner.client.request(CreateOrganizationDocument, { name: "A", slug });
      if (result.errors) expect(errorCodes(result)).toEqual(["CONFLICT"]);
      else expect(result.data?.createOrganization.slug).toBe(slug);
    }
  });

  it("answers CONFLICT for a taken slug, and creates one organization when two race", async () => {
    const [a, b] = [await person(gh), await person(gh)];
    const slug = uniqueSlug("race");
    const results = await Promise.all([
      a.client.request(CreateOrganizationDocument, { name: "A", slug }),
      b.client.request(CreateOrganizationDocument, { name: "B", slug }),
    ]);
    expect(results.filter((r) => r.data?.createOrganization).length).toBe(1);
    expect(results.flatMap(errorCodes)).toEqual(["CONFLICT"]);
    const again = await a.client.request(CreateOrganizationDocument, { name: "C", slug });
    expect(errorCodes(again)).toEqual(["CONFLICT"]);
  });

  it("refuses an anonymous caller with UNAUTHENTICATED", async () => {
    const result = await gh
      .client()
      .request(CreateOrganizationDocument, { name: "A", slug: uniqueSlug() });
    expect(errorCodes(result)).toEqual(["UNAUTHENTICATED"]);
  });

  it("refuses organization() without exactly one of id and slug", async () => {
    const owner = await person(gh);
    const result = await owner.client.raw(JSON.stringify({ query: "{ organization { id } }" }), {
      "content-type": "application/json",
    });
    const body = (await result.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe("BAD_USER_INPUT");
  });
});

describe("the session a request starts", () => {
  it("is the viewer for the rest of it: a log-in answer can list the user's organizations", async () => {
    const owner = await person(gh);
    const org = await createOrganization(owner);
    const fresh = gh.client();
    const data = await fresh.ok(
      LogInWithMembershipsDocument,
      { input: { email: owner.email, password: PASSWORD } },
      { cookies: false },
    );
    const payload = data.logIn as Extract<typeof data.logIn, { tokens: unknown }>;
    expect(payload.tokens.accessToken).toBeTruthy();
    expect(payload.user.sessions.totalCount).toBeGreaterThanOrEqual(2);
    expect(payload.user.organizations.edges.map((e) => e.node)).toEqual([
      { role: "OWNER", organization: { id: org.id, viewerRole: "OWNER" } },
    ]);
  });
});

describe("updateOrganization", () => {
  it("renames and re-slugs; a taken slug is CONFLICT and changes nothing", async () => {
    const owner = await person(gh);
    const org = await createOrganization(owner);
    const other = await createOrganization(owner);
    const slug = uniqueSlug("renamed");
    const updated = await owner.client.ok(UpdateOrganizationDocument, {
      id: org.id,
      name: "  Acme Two ",
      slug,
    });
    expect(updated.updateOrganization).toMatchObject({ name: "Acme Two", slug });
    const clash = await owner.client.request(UpdateOrganizationDocument, {
      id: org.id,
      name: "Changed",
      slug: other.slug,
    });
    expect(errorCodes(clash)).toEqual(["CONFLICT"]);
    const now = await owner.client.ok(OrganizationByIdDocument, { id: org.id });
    expect(now.organization).toMatchObject({ name: "Acme Two", slug });
  });
});

describe("owners", () => {
  it("keeps one active owner: the last cannot leave, be demoted or be suspended", async () => {
    const owner = await person(gh);
    const org = await createOrganization(owner);
    const attempts = await Promise.all([
      owner.client.request(RemoveOrganizationMemberDocument, {
        organizationId: org.id,
        userId: owner.id,
      }),
      owner.client.request(UpdateOrganizationMemberDocument, {
        organizationId: org.id,
        userId: owner.id,
        role: "ADMIN",
      }),
      owner.client.request(UpdateOrganizationMemberDocument, {
        organizationId: org.id,
        userId: owner.id,
        status: "SUSPENDED",
      }),
    ]);
    for (const attempt of attempts) expect(errorCodes(attempt)).toEqual(["FAILED_PRECONDITION"]);
    const still = await owner.client.ok(OrganizationByIdDocument, { id: org.id });
    expect(still.organization?.viewerRole).toBe("OWNER");
  });

  it("two simultaneous demotions of the last two owners leave exactly one owner", async () => {
    for (let round = 0; round < 3; round++) {
      const [a, b] = [await person(gh), await person(gh)];
      const org = await createOrganization(a);
      await addMember(a, org.id, b, "OWNER");
      const results = await Promise.all([
        a.client.request(UpdateOrganizationMemberDocument, {
          organizationId: org.id,
          userId: a.id,
          role: "ADMIN",
        }),
        b.client.request(UpdateOrganizationMemberDocument, {
          organizationId: org.id,
          userId: b.id,
          role: "ADMIN",
        }),
      ]);
      expect(results.flatMap(errorCodes)).toEqual(["FAILED_PRECONDITION"]);
      const owners = await a.client.ok(OrganizationMembersDocument, {
        id: org.id,
        role: "OWNER",
      });
      expect(owners.organization?.members.totalCount).toBe(1);
    }
  });

  it("ADMINs cannot add, promote to, change or remove OWNERs", async () => {
    const [owner, admin, member] = [await person(gh), await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, admin, "ADMIN");
    await addMember(owner, org.id, member, "MEMBER");
    const outsider = await person(gh);
    const attempts = await Promise.all([
      admin.client.request(AddOrganizationMemberDocument, {
        organizationId: org.id,
        email: outsider.email,
        role: "OWNER",
      }),
      admin.client.request(UpdateOrganizationMemberDocument, {
        organizationId: org.id,
        userId: member.id,
        role: "OWNER",
      }),
      admin.client.request(UpdateOrganizationMemberDocument, {
        organizationId: org.id,
        userId: owner.id,
        status: "SUSPENDED",
      }),
      admin.client.request(RemoveOrganizationMemberDocument, {
        organizationId: org.id,
        userId: owner.id,
      }),
      admin.client.request(InviteOrganizationMemberDocument, {
        organizationId: org.id,
        email: outsider.email,
        role: "OWNER",
      }),
    ]);
    for (const attempt of attempts) expect(errorCodes(attempt)).toEqual(["FORBIDDEN"]);
    // …but manage everyone else.
    await admin.client.ok(UpdateOrganizationMemberDocument, {
      organizationId: org.id,
      userId: member.id,
      role: "ADMIN",
    });
    const members = await owner.client.ok(OrganizationMembersDocument, { id: org.id });
    expect(members.organization?.members.edges.map((e) => e.node.role).sort()).toEqual([
      "ADMIN",
      "ADMIN",
      "OWNER",
    ]);
  });

  it("transferOrganizationOwnership makes the other member OWNER and the caller ADMIN", async () => {
    const [owner, next] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, next, "MEMBER");
    const result = await owner.client.ok(TransferOrganizationOwnershipDocument, {
      organizationId: org.id,
      userId: next.id,
    });
    // The answer already reflects the change.
    expect(result.transferOrganizationOwnership.viewerRole).toBe("ADMIN");
    const seen = await next.client.ok(OrganizationByIdDocument, { id: org.id });
    expect(seen.organization?.viewerRole).toBe("OWNER");
    // The former owner, now ADMIN, cannot transfer again.
    const again = await owner.client.request(TransferOrganizationOwnershipDocument, {
      organizationId: org.id,
      userId: owner.id,
    });
    expect(errorCodes(again)).toEqual(["FORBIDDEN"]);
  });

  it("treats an id in capitals as the same id (no transfer to oneself, no self-suspension)", async () => {
    const [owner, admin] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, admin, "ADMIN");
    const toSelf = await owner.client.request(TransferOrganizationOwnershipDocument, {
      organizationId: org.id.toUpperCase(),
      userId: owner.id.toUpperCase(),
    });
    expect(errorCodes(toSelf)).toEqual(["FAILED_PRECONDITION"]);
    const suspendSelf = await admin.client.request(UpdateOrganizationMemberDocument, {
      organizationId: org.id,
      userId: admin.id.toUpperCase(),
      status: "SUSPENDED",
    });
    expect(errorCodes(suspendSelf)).toEqual(["FAILED_PRECONDITION"]);
    const owners = await owner.client.ok(OrganizationMembersDocument, {
      id: org.id.toUpperCase(),
      role: "OWNER",
    });
    expect(owners.organization?.members.edges.map((e) => e.node.user.id)).toEqual([owner.id]);
  });

  it("refuses to transfer ownership to a non-member or a suspended member", async () => {
    const [owner, stranger, suspended] = [await person(gh), await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, suspended, "MEMBER");
    await owner.client.ok(UpdateOrganizationMemberDocument, {
      organizationId: org.id,
      userId: suspended.id,
      status: "SUSPENDED",
    });
    for (const target of [stranger, suspended]) {
      const result = await owner.client.request(TransferOrganizationOwnershipDocument, {
        organizationId: org.id,
        userId: target.id,
      });
      expect(errorCodes(result)).toEqual(["FAILED_PRECONDITION"]);
    }
  });
});

describe("changes racing a change of the actor's own role", () => {
  it("the services check the actor themselves, not only shield before them", async () => {
    const [owner, admin, member] = [await person(gh), await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, admin, "ADMIN");
    await addMember(owner, org.id, member, "MEMBER");
    // Demoted after shield would have let the request in: the service must refuse on its own.
    await gh.database.db
      .update(organizationMembers)
      .set({ role: "MEMBER" })
      .where(
        and(
          eq(organizationMembers.organizationId, org.id),
          eq(organizationMembers.userId, admin.id),
        ),
      );
    const actor = { userId: admin.id, meta: { ipAddress: null, userAgent: null } };
    const services = gh.app.services;
    const attempts = [
      () => services.organizations.updateMember(actor, org.id, member.id, { role: "ADMIN" }),
      () => services.organizations.update(actor, org.id, { name: "Renamed" }),
      () => services.organizations.removeMember(actor, org.id, member.id),
      () => services.invitations.invite(actor, org.id, "someone@example.com", "MEMBER"),
      () => services.projects.create(actor, org.id, { name: "Sneaky" }),
    ];
    for (const attempt of attempts) {
      await expect(attempt()).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
  });

  // Only PostgreSQL runs the request while the other transaction holds the lock (PGlite has one
  // connection, so there the request would simply run after the commit).
  it.runIf(usingPostgres)("checks the actor again under the organization's lock", async () => {
    const [owner, admin, member] = [await person(gh), await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, admin, "ADMIN");
    await addMember(owner, org.id, member, "MEMBER");
    const db = gh.database.db;
    let request: Promise<Awaited<ReturnType<typeof admin.client.request>>> | undefined;
    // The admin is demoted inside a transaction that holds the organization's lock while the
    // admin's own promotion of someone else is already on its way.
    await db.transaction(async (tx) => {
      await tx.execute(sql`select id from organizations where id = ${org.id} for update`);
      await tx
        .update(organizationMembers)
        .set({ role: "MEMBER" })
        .where(
          and(
            eq(organizationMembers.organizationId, org.id),
            eq(organizationMembers.userId, admin.id),
          ),
        );
      request = admin.client.request(UpdateOrganizationMemberDocument, {
        organizationId: org.id,
        userId: member.id,
        role: "ADMIN",
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    expect(errorCodes((await request)!)).toEqual(["FORBIDDEN"]);
    const members = await owner.client.ok(OrganizationMembersDocument, {
      id: org.id,
      role: "ADMIN",
    });
    expect(members.organization?.members.totalCount).toBe(0);
  });
});

describe("members", () => {
  it("addOrganizationMember adds an existing user by email, in any letter case", async () => {
    const [owner, member] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    const added = await owner.client.ok(AddOrganizationMemberDocument, {
      organizationId: org.id,
      email: member.email.toUpperCase(),
      role: "MEMBER",
    });
    expect(added.addOrganizationMember).toMatchObject({
      role: "MEMBER",
      status: "ACTIVE",
      user: { id: member.id },
    });
    const again = await owner.client.request(AddOrganizationMemberDocument, {
      organizationId: org.id,
      email: member.email,
      role: "ADMIN",
    });
    expect(errorCodes(again)).toEqual(["CONFLICT"]);
    const unknown = await owner.client.request(AddOrganizationMemberDocument, {
      organizationId: org.id,
      email: "nobody-here@example.com",
      role: "MEMBER",
    });
    expect(errorCodes(unknown)).toEqual(["NOT_FOUND"]);
  });

  it("a SUSPENDED membership grants nothing, and reactivating restores it", async () => {
    const [owner, member] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, member, "ADMIN");
    await owner.client.ok(UpdateOrganizationMemberDocument, {
      organizationId: org.id,
      userId: member.id,
      status: "SUSPENDED",
    });
    expect((await member.client.ok(OrganizationByIdDocument, { id: org.id })).organization).toBe(
      null,
    );
    expect((await member.client.ok(MyOrganizationsDocument, {})).organizations.totalCount).toBe(0);
    const tryUpdate = await member.client.request(UpdateOrganizationDocument, {
      id: org.id,
      name: "Mine now",
    });
    expect(errorCodes(tryUpdate)).toEqual(["NOT_FOUND"]);
    await owner.client.ok(UpdateOrganizationMemberDocument, {
      organizationId: org.id,
      userId: member.id,
      status: "ACTIVE",
    });
    const back = await member.client.ok(OrganizationByIdDocument, { id: org.id });
    expect(back.organization?.viewerRole).toBe("ADMIN");
  });

  it("nobody can suspend themselves (they would be locked out mid-request)", async () => {
    const [owner, admin] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, admin, "ADMIN");
    const result = await admin.client.request(UpdateOrganizationMemberDocument, {
      organizationId: org.id,
      userId: admin.id,
      status: "SUSPENDED",
    });
    expect(errorCodes(result)).toEqual(["FAILED_PRECONDITION"]);
    const still = await admin.client.ok(OrganizationByIdDocument, { id: org.id });
    expect(still.organization?.viewerRole).toBe("ADMIN");
  });

  it("a member can leave; leaving ends their project roles in the organization", async () => {
    const [owner, member] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, member, "MEMBER");
    const project = await createProject(owner, org.id);
    await addProjectMember(owner, project.id, member, "CONTRIBUTOR");
    await member.client.ok(RemoveOrganizationMemberDocument, {
      organizationId: org.id,
      userId: member.id,
    });
    const rows = await gh.database.db
      .select()
      .from(projectMembers)
      .where(eq(projectMembers.userId, member.id));
    expect(rows).toEqual([]);
    // The project's own log says so.
    const log = await owner.client.ok(AuditEventsDocument, { projectId: project.id });
    expect(log.auditEvents.edges[0]?.node).toMatchObject({
      action: "project.member.removed",
      targetId: member.id,
    });
  });

  it("members pages: stable order, opaque cursors, totalCount, role filter, at most 100", async () => {
    const owner = await person(gh);
    const org = await createOrganization(owner);
    const people = [];
    for (let i = 0; i < 4; i++) {
      const p = await person(gh);
      await addMember(owner, org.id, p, i % 2 === 0 ? "MEMBER" : "ADMIN");
      people.push(p);
    }
    const first = await owner.client.ok(OrganizationMembersDocument, { id: org.id, first: 2 });
    const page1 = first.organization!.members;
    expect(page1.totalCount).toBe(5);
    expect(page1.pageInfo).toMatchObject({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: page1.edges[0]?.cursor,
      endCursor: page1.edges[1]?.cursor,
    });
    expect(page1.edges.map((e) => e.node.user.id)).toEqual([owner.id, people[0]!.id]);
    const second = await owner.client.ok(OrganizationMembersDocument, {
      id: org.id,
      first: 10,
      after: page1.pageInfo.endCursor,
    });
    expect(second.organization!.members.edges.map((e) => e.node.user.id)).toEqual(
      people.slice(1).map((p) => p.id),
    );
    expect(second.organization!.members.pageInfo).toMatchObject({
      hasNextPage: false,
      hasPreviousPage: true,
    });
    const admins = await owner.client.ok(OrganizationMembersDocument, {
      id: org.id,
      role: "ADMIN",
    });
    expect(admins.organization!.members.totalCount).toBe(2);
    const tooMany = await owner.client.request(OrganizationMembersDocument, {
      id: org.id,
      first: 101,
    });
    expect(errorCodes(tooMany)).toEqual(["BAD_USER_INPUT"]);
    const forged = (iso: string) => Buffer.from(`${iso}|${owner.id}`, "utf8").toString("base64url");
    for (const after of ["not-a-cursor", forged("+100000-01-01T00:00:00.000Z"), forged("x")]) {
      const badCursor = await owner.client.request(OrganizationMembersDocument, {
        id: org.id,
        after,
      });
      expect(errorCodes(badCursor)).toEqual(["BAD_USER_INPUT"]);
    }
  });
});

describe("invitations", () => {
  it("emails a single-use token that the invited address accepts once", async () => {
    const owner = await person(gh);
    const org = await createOrganization(owner);
    const invitee = await person(gh, "invitee");
    const invited = await owner.client.ok(InviteOrganizationMemberDocument, {
      organizationId: org.id,
      email: invitee.email,
      role: "ADMIN",
    });
    expect(invited.inviteOrganizationMember).toMatchObject({
      email: invitee.email,
      role: "ADMIN",
      status: "PENDING",
      invitedBy: { id: owner.id },
    });
    const mail = gh.outbox.last(invitee.email);
    expect(mail.subject).toContain("Acme");
    expect(mail.text).toContain(mail.link);
    const token = gh.outbox.lastToken(invitee.email);

    // Stored only as a hash.
    const [row] = await gh.database.db
      .select()
      .from(organizationInvitations)
      .where(eq(organizationInvitations.id, invited.inviteOrganizationMember.id));
    expect(row?.tokenHash).not.toContain(token);
    expect(JSON.stringify(row)).not.toContain(token);

    // Someone else holding the link cannot use it.
    const thief = await person(gh);
    const stolen = await thief.client.request(AcceptOrganizationInvitationDocument, { token });
    expect(errorCodes(stolen)).toEqual(["FORBIDDEN"]);

    expect((await invitee.client.ok(MeVerifiedDocument)).me?.emailVerified).toBe(false);
    const accepted = await invitee.client.ok(AcceptOrganizationInvitationDocument, { token });
    expect(accepted.acceptOrganizationInvitation).toMatchObject({
      role: "ADMIN",
      organization: { id: org.id, viewerRole: "ADMIN" },
    });
    // The mailed token proved the address.
    expect((await invitee.client.ok(MeVerifiedDocument)).me?.emailVerified).toBe(true);
    const twice = await invitee.client.request(AcceptOrganizationInvitationDocument, { token });
    expect(errorCodes(twice)).toEqual(["FAILED_PRECONDITION"]);
    const list = await owner.client.ok(OrganizationInvitationsDocument, { id: org.id });
    expect(list.organization?.invitations.edges[0]?.node).toMatchObject({
      status: "ACCEPTED",
      acceptedAt: expect.any(String),
    });
  });

  it("re-inviting replaces the token; revoking kills it; expired tokens are refused", async () => {
    const owner = await person(gh);
    const org = await createOrganization(owner);
    const invitee = await person(gh);
    const invite = () =>
      owner.client.ok(InviteOrganizationMemberDocument, {
        organizationId: org.id,
        email: invitee.email,
        role: "MEMBER",
      });
    const first = await invite();
    const oldToken = gh.outbox.lastToken(invitee.email);
    const second = await invite();
    const newToken = gh.outbox.lastToken(invitee.email);
    expect(second.inviteOrganizationMember.id).toBe(first.inviteOrganizationMember.id);
    expect(newToken).not.toBe(oldToken);
    const old = await invitee.client.request(AcceptOrganizationInvitationDocument, {
      token: oldToken,
    });
    expect(errorCodes(old)).toEqual(["NOT_FOUND"]);

    // Expired after seven days (the invitee signs in again then: access tokens expire too).
    gh.clock.advance(7 * 86_400 + 1);
    try {
      const later = gh.client();
      await later.ok(LogInDocument, { input: { email: invitee.email, password: PASSWORD } });
      const late = await later.request(AcceptOrganizationInvitationDocument, { token: newToken });
      expect(errorCodes(late)).toEqual(["FAILED_PRECONDITION"]);
    } finally {
      gh.clock.advance(-(7 * 86_400 + 1));
    }

    await owner.client.ok(RevokeOrganizationInvitationDocument, {
      id: second.inviteOrganizationMember.id,
    });
    const revoked = await invitee.client.request(AcceptOrganizationInvitationDocument, {
      token: newToken,
    });
    expect(errorCodes(revoked)).toEqual(["NOT_FOUND"]);
    const rows = await gh.database.db
      .select()
      .from(organizationMembers)
      .where(eq(organizationMembers.userId, invitee.id));
    expect(rows).toEqual([]);
  });

  it("an ADMIN cannot rewrite an open OWNER invitation by inviting the address again", async () => {
    const [owner, admin] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, admin, "ADMIN");
    const email = `future-owner-${uniqueSlug()}@example.com`;
    const invited = await owner.client.ok(InviteOrganizationMemberDocument, {
      organizationId: org.id,
      email,
      role: "OWNER",
    });
    const token = gh.outbox.lastToken(email);
    const rewrite = await admin.client.request(InviteOrganizationMemberDocument, {
      organizationId: org.id,
      email,
      role: "MEMBER",
    });
    expect(errorCodes(rewrite)).toEqual(["FORBIDDEN"]);
    expect(gh.outbox.lastToken(email)).toBe(token);
    const list = await owner.client.ok(OrganizationInvitationsDocument, { id: org.id });
    expect(list.organization?.invitations.edges[0]?.node).toMatchObject({
      id: invited.inviteOrganizationMember.id,
      role: "OWNER",
      status: "PENDING",
    });
  });

  it("an invitation lapses when its sender can no longer grant the role", async () => {
    const [owner, admin] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, admin, "ADMIN");
    const invitee = await person(gh, "invitee");
    await admin.client.ok(InviteOrganizationMemberDocument, {
      organizationId: org.id,
      email: invitee.email,
      role: "ADMIN",
    });
    await owner.client.ok(UpdateOrganizationMemberDocument, {
      organizationId: org.id,
      userId: admin.id,
      role: "MEMBER",
    });
    const result = await invitee.client.request(AcceptOrganizationInvitationDocument, {
      token: gh.outbox.lastToken(invitee.email),
    });
    expect(errorCodes(result)).toEqual(["FAILED_PRECONDITION"]);
    expect((await invitee.client.ok(MyOrganizationsDocument, {})).organizations.totalCount).toBe(0);
  });

  it("limits how many invitations one person sends (INVITATION_RATE_LIMIT_*)", async () => {
    const strict = await startInstance({
      env: { INVITATION_RATE_LIMIT_POINTS: "3" },
      database: gh.database,
    });
    try {
      const owner = await person(strict);
      const org = await createOrganization(owner);
      const results = [];
      for (let i = 0; i < 4; i++) {
        results.push(
          await owner.client.request(InviteOrganizationMemberDocument, {
            organizationId: org.id,
            email: `limited-${i}-${uniqueSlug()}@example.com`,
            role: "MEMBER",
          }),
        );
      }
      expect(results.map((r) => errorCodes(r)[0] ?? "ok")).toEqual([
        "ok",
        "ok",
        "ok",
        "RATE_LIMITED",
      ]);
      expect(results[3]?.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
      // Sign-ups mail verification links too: count the invitations.
      const invitations = strict.outbox.messages.filter((m) =>
        m.link?.includes("/accept-invitation?"),
      );
      expect(invitations).toHaveLength(3);
    } finally {
      await strict.close();
    }
  });

  it("adding or removing someone directly revokes their open invitation", async () => {
    const [owner, admin] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, admin, "ADMIN");
    const invitee = await person(gh, "invitee");
    await owner.client.ok(InviteOrganizationMemberDocument, {
      organizationId: org.id,
      email: invitee.email,
      role: "ADMIN",
    });
    const token = gh.outbox.lastToken(invitee.email);
    await addMember(admin, org.id, invitee, "MEMBER");
    await admin.client.ok(RemoveOrganizationMemberDocument, {
      organizationId: org.id,
      userId: invitee.id,
    });
    // The old link does not bring them back as ADMIN.
    const back = await invitee.client.request(AcceptOrganizationInvitationDocument, { token });
    expect(errorCodes(back)).toEqual(["NOT_FOUND"]);
    const list = await owner.client.ok(OrganizationInvitationsDocument, { id: org.id });
    expect(list.organization?.invitations.edges[0]?.node.status).toBe("REVOKED");
  });

  it("refuses to invite someone who is already a member", async () => {
    const [owner, member] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, member, "MEMBER");
    const result = await owner.client.request(InviteOrganizationMemberDocument, {
      organizationId: org.id,
      email: member.email,
      role: "ADMIN",
    });
    expect(errorCodes(result)).toEqual(["CONFLICT"]);
  });
});

describe("deleteOrganization", () => {
  it("deletes projects, memberships and invitations with it; the audit trail remains", async () => {
    const [owner, member] = [await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, member, "MEMBER");
    const project = await createProject(owner, org.id);
    await addProjectMember(owner, project.id, member, "VIEWER");
    await owner.client.ok(InviteOrganizationMemberDocument, {
      organizationId: org.id,
      email: "later@example.com",
      role: "MEMBER",
    });
    await owner.client.ok(DeleteOrganizationDocument, { id: org.id });
    const db = gh.database.db;
    expect(await db.select().from(projects).where(eq(projects.organizationId, org.id))).toEqual([]);
    expect(
      await db
        .select()
        .from(organizationMembers)
        .where(eq(organizationMembers.organizationId, org.id)),
    ).toEqual([]);
    expect(
      await db
        .select()
        .from(organizationInvitations)
        .where(eq(organizationInvitations.organizationId, org.id)),
    ).toEqual([]);
    expect(
      await db.select().from(projectMembers).where(eq(projectMembers.projectId, project.id)),
    ).toEqual([]);
    expect((await owner.client.ok(OrganizationByIdDocument, { id: org.id })).organization).toBe(
      null,
    );
    const trail = await db
      .select({ action: auditEvents.action })
      .from(auditEvents)
      .where(eq(auditEvents.organizationId, org.id))
      .orderBy(auditEvents.at);
    expect(trail.map((e) => e.action)).toEqual([
      "org.created",
      "org.member.added",
      "project.created",
      "project.member.added",
      "org.invitation.sent",
      "org.deleted",
    ]);
  });
});

describe("audit events", () => {
  it("records every change with the organization, newest first, for OWNER and ADMIN", async () => {
    const [owner, admin, member] = [await person(gh), await person(gh), await person(gh)];
    const org = await createOrganization(owner);
    await addMember(owner, org.id, admin, "ADMIN");
    await addMember(owner, org.id, member, "MEMBER");
    await owner.client.ok(UpdateOrganizationMemberDocument, {
      organizationId: org.id,
      userId: member.id,
      role: "ADMIN",
    });
    const project = await createProject(admin, org.id);
    const events = await admin.client.ok(AuditEventsDocument, { organizationId: org.id });
    expect(events.auditEvents.edges.map((e) => e.node.action)).toEqual([
      "project.created",
      "org.member.role_changed",
      "org.member.added",
      "org.member.added",
      "org.created",
    ]);
    expect(events.auditEvents.edges[0]?.node).toMatchObject({
      actorUserId: admin.id,
      organizationId: org.id,
      projectId: project.id,
    });
    expect(JSON.parse(events.auditEvents.edges[1]!.node.metadata!)).toEqual({
      from: "MEMBER",
      to: "ADMIN",
    });
    const filtered = await owner.client.ok(AuditEventsDocument, {
      organizationId: org.id,
      action: "org.member.added",
    });
    expect(filtered.auditEvents.totalCount).toBe(2);
    const paged = await owner.client.ok(AuditEventsDocument, {
      organizationId: org.id,
      first: 2,
    });
    const rest = await owner.client.ok(AuditEventsDocument, {
      organizationId: org.id,
      after: paged.auditEvents.pageInfo.endCursor,
    });
    expect([...paged.auditEvents.edges, ...rest.auditEvents.edges].map((e) => e.node.id)).toEqual(
      events.auditEvents.edges.map((e) => e.node.id),
    );
  });

  it("platform users who are not admins cannot read the whole log", async () => {
    const someone = await person(gh);
    const result = await someone.client.request(AuditEventsDocument, {});
    expect(errorCodes(result)).toEqual(["FORBIDDEN"]);
  });
});
