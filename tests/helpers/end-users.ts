/** Building blocks for end-user tests: projects open for sign-up, end users signed in. */
import { randomUUID } from "node:crypto";
import {
  CreatePasswordPolicyDocument,
  CreateProjectPolicyDocument,
  EndUserSignUpDocument,
  type CreatePasswordPolicyMutationVariables,
  type CreateProjectPolicyMutationVariables,
  type EndUserSignUpInput,
} from "../gql/graphql";
import type { TestClient } from "./client";
import type { Instance } from "./instance";
import { PASSWORD } from "./instance";
import { createOrganization, createProject, person, type Person } from "./tenancy";

export interface OpenProject {
  owner: Person;
  organizationId: string;
  projectId: string;
}

type PasswordPolicyOptions = Omit<CreatePasswordPolicyMutationVariables, "projectId">;
type ProjectPolicyOptions = Omit<CreateProjectPolicyMutationVariables, "projectId">;

/** Creates both policies of `projectId` (password policy first, as the order requires). */
export async function openForSignUp(
  actor: Person,
  projectId: string,
  options: { password?: PasswordPolicyOptions; policy?: ProjectPolicyOptions } = {},
): Promise<void> {
  await actor.client.ok(CreatePasswordPolicyDocument, { projectId, ...options.password });
  await actor.client.ok(CreateProjectPolicyDocument, { projectId, ...options.policy });
}

/** A new organization with one project whose policies are in place; `owner` runs it. */
export async function openProject(
  gh: Instance,
  options: {
    owner?: Person;
    organizationId?: string;
    password?: PasswordPolicyOptions;
    policy?: ProjectPolicyOptions;
  } = {},
): Promise<OpenProject> {
  const owner = options.owner ?? (await person(gh, "owner"));
  const organizationId = options.organizationId ?? (await createOrganization(owner)).id;
  const project = await createProject(owner, organizationId);
  await openForSignUp(owner, project.id, options);
  return { owner, organizationId, projectId: project.id };
}

export function endUserEmail(label = "customer"): string {
  return `${label}-${randomUUID().slice(0, 12)}@example.com`;
}

/** Signs an end user up by email on `client` (cookies land in its jar); returns the payload. */
export async function signUpEndUser(
  client: TestClient,
  projectId: string,
  input: Partial<EndUserSignUpInput> = {},
) {
  const email = input.email ?? endUserEmail();
  const data = await client.ok(EndUserSignUpDocument, {
    projectId,
    input: {
      fullName: "Grace Hopper",
      password: PASSWORD,
      authMethod: "EMAIL",
      returnRefreshToken: true,
      ...input,
      email,
    },
  });
  return { email, ...data.endUserSignUp };
}
