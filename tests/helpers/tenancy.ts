/** Building blocks for tenancy tests: signed-in users, organizations and projects over the API. */
import { randomUUID } from "node:crypto";
import {
  AddOrganizationMemberDocument,
  AddProjectMemberDocument,
  CreateOrganizationDocument,
  CreateProjectDocument,
  type OrganizationRole,
  type ProjectRole,
} from "../gql/graphql";
import type { TestClient } from "./client";
import { signUp } from "./flows";
import type { Instance } from "./instance";

export interface Person {
  client: TestClient;
  id: string;
  email: string;
}

/** A new platform user, signed in with a bearer token on their own client. */
export async function person(gh: Instance, label = "user"): Promise<Person> {
  const client = gh.client();
  const email = `${label}-${randomUUID().slice(0, 12)}@example.com`;
  const { user, tokens } = await signUp(client, { email });
  client.bearer = tokens.accessToken;
  return { client, id: user.id, email };
}

export function uniqueSlug(label = "org"): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

export async function createOrganization(owner: Person, slug = uniqueSlug()) {
  const data = await owner.client.ok(CreateOrganizationDocument, { name: "Acme", slug });
  return data.createOrganization;
}

export async function addMember(
  actor: Person,
  organizationId: string,
  member: Person,
  role: OrganizationRole,
) {
  await actor.client.ok(AddOrganizationMemberDocument, {
    organizationId,
    email: member.email,
    role,
  });
}

export async function createProject(actor: Person, organizationId: string, name = "Web app") {
  const data = await actor.client.ok(CreateProjectDocument, { organizationId, name });
  return data.createProject;
}

export async function addProjectMember(
  actor: Person,
  projectId: string,
  member: Person,
  role: ProjectRole,
) {
  await actor.client.ok(AddProjectMemberDocument, { projectId, userId: member.id, role });
}
