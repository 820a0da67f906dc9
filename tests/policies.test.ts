/**
 * The password policy and the project policy, end to end over HTTP: every rule accepted and
 * refused, the setup order and the delete rules, who may change them, their audit events, and
 * how they govern end users' sign-up, log-in, refresh and password changes.
 */
import type { GraphQLFormattedError } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuditEventsDocument,
  CreatePasswordPolicyDocument,
  CreateProjectPolicyDocument,
  DeletePasswordPolicyDocument,
  DeleteProjectPolicyDocument,
  EndUserChangePasswordDocument,
  EndUserLogInDocument,
  EndUserMeDocument,
  EndUserRefreshSessionDocument,
  EndUserSignUpDocument,
  ProjectPoliciesDocument,
  UpdateEndUserDocument,
  UpdatePasswordPolicyDocument,
  UpdateProjectPolicyDocument,
  type CreatePasswordPolicyMutationVariables,
  type CreateProjectPolicyMutationVariables,
  type EndUserSignUpInput,
} from "./gql/graphql";
import { errorCodes, type TestClient } from "./helpers/client";
import { endUserEmail, openForSignUp, openProject, signUpEndUser } from "./helpers/end-users";
import { PASSWORD, startInstance, type Instance } from "./helpers/instance";
import {
  addMember,
  addProjectMember,
  createOrganization,
  createProject,
  person,
  type Person,
} from "./helpers/tenancy";

let gh: Instance;
/** Runs every project of this file but those of the role tests' own organization. */
let owner: Person;
let organizationId: string;
beforeAll(async () => {
  gh = await startInstance();
  owner = await person(gh, "owner");
  organizationId = (await createOrganization(owner)).id;
});
afterAll(() => gh?.close());

type Result = { errors?: readonly GraphQLFormattedError[] | undefined };
type PasswordOptions = Omit<CreatePasswordPolicyMutationVariables, "projectId">;
type PolicyOptions = Omit<CreateProjectPolicyMutationVariables, "projectId">;
interface FieldEntry {
  field: string;
  message: string;
}

/** The `extensions.fields` of a response's first error. */
function fieldsOf(result: Result): unknown {
  return result.errors?.[0]?.extensions?.fields;
}

/** Asserts a BAD_USER_INPUT answer with exactly these field entries, in this order. */
function expectInvalid(result: Result, fields: FieldEntry[], label?: string): void {
  expect(errorCodes(result), label).toEqual(["BAD_USER_INPUT"]);
  expect(fieldsOf(result), label).toEqual(fields);
}

const LABEL_RULE = "must be 1 to 64 letters, digits, dots, colons, hyphens or underscores";

const PASSWORD_DEFAULTS = {
  minLength: 8,
  maxLength: 128,
  requireNumbers: false,
  requireUppercase: false,
  requireSpecialChars: false,
  rejectCommonPasswords: true,
};

const POLICY_DEFAULTS = {
  authRequired: true,
  authType: "PASSWORD",
  authMethods: ["EMAIL"],
  phoneRequired: false,
  roles: [],
  statuses: [],
  selfAssignableRoles: [],
  selfAssignableStatuses: [],
  blockedStatuses: ["blocked", "suspended"],
  defaultRole: null,
  defaultStatus: null,
  requireVerifiedEmail: false,
};

async function readPolicies(actor: Person, projectId: string) {
  return (await actor.client.ok(ProjectPoliciesDocument, { id: projectId })).project;
}

/** The policy events of a project, oldest first. */
async function policyEvents(reader: Person, projectId: string) {
  const data = await reader.client.ok(AuditEventsDocument, { projectId, first: 100 });
  return data.auditEvents.edges
    .map((e) => e.node)
    .filter((e) => /^project\.(password_policy|policy)\./.test(e.action))
    .reverse();
}

/** A project of `owner`'s organization with only a password policy (or none). */
async function projectWith(
  owner: Person,
  organizationId: string,
  passwordPolicy: PasswordOptions | null = {},
): Promise<string> {
  const project = await createProject(owner, organizationId);
  if (passwordPolicy) {
    await owner.client.ok(CreatePasswordPolicyDocument, {
      projectId: project.id,
      ...passwordPolicy,
    });
  }
  return project.id;
}

function signUpInput(input: Partial<EndUserSignUpInput>): EndUserSignUpInput {
  return { fullName: "Grace Hopper", password: PASSWORD, authMethod: "EMAIL", ...input };
}

async function signUp(client: TestClient, projectId: string, input: Partial<EndUserSignUpInput>) {
  return client.request(EndUserSignUpDocument, { projectId, input: signUpInput(input) });
}

async function logIn(
  projectId: string,
  input: { email?: string; phone?: string; password: string },
) {
  return gh.client().request(EndUserLogInDocument, {
    projectId,
    input: { ...input, returnRefreshToken: true },
  });
}

/** A client whose bearer is `accessToken`, without cookies of its own. */
function bearerClient(accessToken: string): TestClient {
  const client = gh.client();
  client.bearer = accessToken;
  return client;
}

describe("password policy: create, read, update", () => {
  it("creates with defaults 8/128 and no composition rules; the project shows it, null before", async () => {
    const projectId = await projectWith(owner, organizationId, null);
    expect(await readPolicies(owner, projectId)).toEqual({
      id: projectId,
      passwordPolicy: null,
      policy: null,
    });
    const created = await owner.client.ok(CreatePasswordPolicyDocument, { projectId });
    expect(created.createPasswordPolicy).toMatchObject(PASSWORD_DEFAULTS);
    const read = await readPolicies(owner, projectId);
    expect(read?.passwordPolicy).toEqual(created.createPasswordPolicy);
    expect(read?.policy).toBeNull();
  });

  it("creates with every field given", async () => {
    const projectId = await projectWith(owner, organizationId, null);
    const created = await owner.client.ok(CreatePasswordPolicyDocument, {
      projectId,
      minLength: 12,
      maxLength: 100,
      requireNumbers: true,
      requireUppercase: true,
      requireSpecialChars: true,
    });
    expect(created.createPasswordPolicy).toMatchObject({
      minLength: 12,
      maxLength: 100,
      requireNumbers: true,
      requireUppercase: true,
      requireSpecialChars: true,
    });
  });

  it("accepts lengths at and within the bounds", async () => {
    const cases: [string, PasswordOptions, Partial<typeof PASSWORD_DEFAULTS>][] = [
      [
        "the lowest bounds (8 and 64)",
        { minLength: 8, maxLength: 64 },
        { minLength: 8, maxLength: 64 },
      ],
      [
        "the highest bounds (128 and 128)",
        { minLength: 128, maxLength: 128 },
        { minLength: 128, maxLength: 128 },
      ],
      [
        "minLength equal to maxLength (64)",
        { minLength: 64, maxLength: 64 },
        { minLength: 64, maxLength: 64 },
      ],
      [
        "minLength alone, under the default maxLength",
        { minLength: 100 },
        { minLength: 100, maxLength: 128 },
      ],
    ];
    for (const [name, input, expected] of cases) {
      const projectId = await projectWith(owner, organizationId, null);
      const created = await owner.client.request(CreatePasswordPolicyDocument, {
        projectId,
        ...input,
      });
      expect(errorCodes(created), name).toEqual([]);
      expect(created.data?.createPasswordPolicy, name).toMatchObject(expected);
    }
  });

  it("refuses lengths out of bounds with BAD_USER_INPUT, one entry per field, creating nothing", async () => {
    const cases: [string, PasswordOptions, FieldEntry[]][] = [
      [
        "minLength 7",
        { minLength: 7 },
        [{ field: "minLength", message: "must be a whole number from 8 to 128" }],
      ],
      [
        "minLength 129",
        { minLength: 129 },
        [{ field: "minLength", message: "must be a whole number from 8 to 128" }],
      ],
      [
        "a negative minLength",
        { minLength: -8 },
        [{ field: "minLength", message: "must be a whole number from 8 to 128" }],
      ],
      [
        "maxLength 63",
        { maxLength: 63 },
        [{ field: "maxLength", message: "must be a whole number from 64 to 128" }],
      ],
      [
        "maxLength 129",
        { maxLength: 129 },
        [{ field: "maxLength", message: "must be a whole number from 64 to 128" }],
      ],
      [
        "both lengths out of range",
        { minLength: 0, maxLength: 0 },
        [
          { field: "minLength", message: "must be a whole number from 8 to 128" },
          { field: "maxLength", message: "must be a whole number from 64 to 128" },
        ],
      ],
      [
        "minLength above maxLength",
        { minLength: 65, maxLength: 64 },
        [{ field: "minLength", message: "must not exceed maxLength" }],
      ],
    ];
    const projectId = await projectWith(owner, organizationId, null);
    for (const [name, input, fields] of cases) {
      const result = await owner.client.request(CreatePasswordPolicyDocument, {
        projectId,
        ...input,
      });
      expectInvalid(result, fields, name);
    }
    expect((await readPolicies(owner, projectId))?.passwordPolicy).toBeNull();
    expect(await policyEvents(owner, projectId)).toEqual([]);
  });

  it("refuses a second password policy with CONFLICT, keeping the first", async () => {
    const projectId = await projectWith(owner, organizationId, { minLength: 10 });
    const before = await readPolicies(owner, projectId);
    const again = await owner.client.request(CreatePasswordPolicyDocument, {
      projectId,
      minLength: 20,
    });
    expect(errorCodes(again)).toEqual(["CONFLICT"]);
    expect(await readPolicies(owner, projectId)).toEqual(before);
    expect(before?.passwordPolicy?.minLength).toBe(10);
  });

  it("updatePasswordPolicy changes only the fields given", async () => {
    const projectId = await projectWith(owner, organizationId, {
      minLength: 10,
      requireNumbers: true,
    });
    const one = await owner.client.ok(UpdatePasswordPolicyDocument, {
      projectId,
      requireUppercase: true,
    });
    expect(one.updatePasswordPolicy).toMatchObject({
      minLength: 10,
      maxLength: 128,
      requireNumbers: true,
      requireUppercase: true,
      requireSpecialChars: false,
    });
    const two = await owner.client.ok(UpdatePasswordPolicyDocument, {
      projectId,
      maxLength: 64,
      requireNumbers: false,
      requireSpecialChars: true,
    });
    expect(two.updatePasswordPolicy).toMatchObject({
      minLength: 10,
      maxLength: 64,
      requireNumbers: false,
      requireUppercase: true,
      requireSpecialChars: true,
    });
    expect(two.updatePasswordPolicy.id).toBe(one.updatePasswordPolicy.id);
    expect((await readPolicies(owner, projectId))?.passwordPolicy).toEqual(
      two.updatePasswordPolicy,
    );
  });

  it("updatePasswordPolicy validates the policy as it would become, changing nothing when refused", async () => {
    const projectId = await projectWith(owner, organizationId, { maxLength: 64 });
    const before = await readPolicies(owner, projectId);
    // 65 is a valid minLength on its own, but not above the stored maxLength of 64.
    expectInvalid(
      await owner.client.request(UpdatePasswordPolicyDocument, { projectId, minLength: 65 }),
      [{ field: "minLength", message: "must not exceed maxLength" }],
    );
    expectInvalid(
      await owner.client.request(UpdatePasswordPolicyDocument, {
        projectId,
        minLength: 7,
        requireNumbers: true,
      }),
      [{ field: "minLength", message: "must be a whole number from 8 to 128" }],
    );
    expectInvalid(
      await owner.client.request(UpdatePasswordPolicyDocument, { projectId, maxLength: 200 }),
      [{ field: "maxLength", message: "must be a whole number from 64 to 128" }],
    );
    expect(await readPolicies(owner, projectId)).toEqual(before);
    // The bounds themselves are accepted.
    const edge = await owner.client.ok(UpdatePasswordPolicyDocument, {
      projectId,
      minLength: 128,
      maxLength: 128,
    });
    expect(edge.updatePasswordPolicy).toMatchObject({ minLength: 128, maxLength: 128 });
  });

  it("updatePasswordPolicy without a password policy is NOT_FOUND and creates none", async () => {
    const projectId = await projectWith(owner, organizationId, null);
    const result = await owner.client.request(UpdatePasswordPolicyDocument, {
      projectId,
      minLength: 10,
    });
    expect(errorCodes(result)).toEqual(["NOT_FOUND"]);
    expect((await readPolicies(owner, projectId))?.passwordPolicy).toBeNull();
  });
});

describe("project policy: create, read, update", () => {
  it("creates with the documented defaults, referencing the password policy", async () => {
    const projectId = await projectWith(owner, organizationId);
    const created = await owner.client.ok(CreateProjectPolicyDocument, { projectId });
    expect(created.createProjectPolicy).toMatchObject(POLICY_DEFAULTS);
    const read = await readPolicies(owner, projectId);
    expect(created.createProjectPolicy.passwordPolicy.id).toBe(read?.passwordPolicy?.id);
    expect(read?.policy).toEqual(created.createProjectPolicy);
  });

  it("accepts every valid combination of methods and labels", async () => {
    const cases: [string, PolicyOptions][] = [
      [
        "every field set",
        {
          authRequired: false,
          authType: "PASSWORD",
          authMethods: ["EMAIL", "PHONE"],
          phoneRequired: true,
          roles: ["reader", "writer"],
          statuses: ["active", "trial", "banned"],
          selfAssignableRoles: ["writer"],
          selfAssignableStatuses: ["trial"],
          blockedStatuses: ["banned"],
          defaultRole: "reader",
          defaultStatus: "active",
        },
      ],
      ["OAUTH with GOOGLE", { authType: "OAUTH", authMethods: ["GOOGLE"] }],
      ["OAUTH with GITHUB and EMAIL", { authType: "OAUTH", authMethods: ["GITHUB", "EMAIL"] }],
      ["PASSWORD by PHONE alone", { authType: "PASSWORD", authMethods: ["PHONE"] }],
      ["PASSWORD by EMAIL beside GOOGLE", { authMethods: ["EMAIL", "GOOGLE"] }],
      ["TWO_FACTOR by EMAIL", { authType: "TWO_FACTOR", authMethods: ["EMAIL"] }],
      [
        "labels at the edges of the pattern",
        { roles: ["A-z_0.9:x", "r".repeat(64)], defaultRole: "r".repeat(64) },
      ],
      ["50 roles", { roles: Array.from({ length: 50 }, (_, i) => `role-${i}`) }],
      [
        "a default role and self-assignable roles when roles is empty (no restriction)",
        { defaultRole: "anything", selfAssignableRoles: ["whatever", "else"] },
      ],
      [
        "a default status and self-assignable statuses when statuses is empty (no restriction)",
        { defaultStatus: "active", selfAssignableStatuses: ["trial"] },
      ],
      [
        "default blocked statuses as ordinary ones once the blocked list is emptied",
        { blockedStatuses: [], defaultStatus: "suspended", selfAssignableStatuses: ["blocked"] },
      ],
    ];
    for (const [name, input] of cases) {
      const projectId = await projectWith(owner, organizationId);
      const created = await owner.client.request(CreateProjectPolicyDocument, {
        projectId,
        ...input,
      });
      expect(errorCodes(created), name).toEqual([]);
      expect(created.data?.createProjectPolicy, name).toMatchObject({
        ...POLICY_DEFAULTS,
        ...input,
      });
    }
  });

  it("refuses each broken rule with BAD_USER_INPUT and its field entries, creating nothing", async () => {
    const cases: [string, PolicyOptions, FieldEntry[]][] = [
      [
        "no auth methods",
        { authMethods: [] },
        [{ field: "authMethods", message: "must not be empty" }],
      ],
      [
        "PASSWORD with only OAuth methods",
        { authType: "PASSWORD", authMethods: ["GOOGLE", "GITHUB"] },
        [{ field: "authMethods", message: "must include EMAIL or PHONE for authType PASSWORD" }],
      ],
      [
        "TWO_FACTOR with only OAuth methods",
        { authType: "TWO_FACTOR", authMethods: ["GITHUB"] },
        [{ field: "authMethods", message: "must include EMAIL or PHONE for authType TWO_FACTOR" }],
      ],
      [
        "OAUTH with only password methods",
        { authType: "OAUTH", authMethods: ["EMAIL", "PHONE"] },
        [{ field: "authMethods", message: "must include GOOGLE or GITHUB for OAUTH" }],
      ],
      [
        "OAUTH with the default methods ([EMAIL])",
        { authType: "OAUTH" },
        [{ field: "authMethods", message: "must include GOOGLE or GITHUB for OAUTH" }],
      ],
      [
        "a role with a space",
        { roles: ["reader", "has space"] },
        [{ field: "roles", message: `"has space" ${LABEL_RULE}` }],
      ],
      [
        "a status of 65 characters",
        { statuses: ["s".repeat(65)] },
        [{ field: "statuses", message: `"${"s".repeat(65)}" ${LABEL_RULE}` }],
      ],
      [
        "an empty self-assignable role",
        { selfAssignableRoles: [""] },
        [{ field: "selfAssignableRoles", message: `"" ${LABEL_RULE}` }],
      ],
      [
        "a self-assignable status with a slash",
        { selfAssignableStatuses: ["a/b"] },
        [{ field: "selfAssignableStatuses", message: `"a/b" ${LABEL_RULE}` }],
      ],
      [
        "a blocked status with a non-ASCII letter",
        { blockedStatuses: ["gesperrt-ä"] },
        [{ field: "blockedStatuses", message: `"gesperrt-ä" ${LABEL_RULE}` }],
      ],
      [
        "51 roles",
        { roles: Array.from({ length: 51 }, (_, i) => `role-${i}`) },
        [{ field: "roles", message: "must hold at most 50 values" }],
      ],
      [
        "a default role that is not a label",
        { defaultRole: "two words" },
        [{ field: "defaultRole", message: LABEL_RULE }],
      ],
      [
        "a default role outside the roles",
        { roles: ["reader", "writer"], defaultRole: "admin" },
        [{ field: "defaultRole", message: "must be one of the allowed roles" }],
      ],
      [
        "a default status outside the statuses",
        { statuses: ["active"], defaultStatus: "trial" },
        [{ field: "defaultStatus", message: "must be one of the allowed statuses" }],
      ],
      [
        "a default status blocked by default",
        { defaultStatus: "suspended" },
        [
          {
            field: "defaultStatus",
            message: "must not be a blocked status (new end users could not log in)",
          },
        ],
      ],
      [
        "a default status on a custom blocked list",
        { statuses: ["active", "banned"], blockedStatuses: ["banned"], defaultStatus: "banned" },
        [
          {
            field: "defaultStatus",
            message: "must not be a blocked status (new end users could not log in)",
          },
        ],
      ],
      [
        "a self-assignable role outside the roles",
        { roles: ["reader"], selfAssignableRoles: ["reader", "admin"] },
        [{ field: "selfAssignableRoles", message: '"admin" is not an allowed role' }],
      ],
      [
        "a self-assignable status outside the statuses",
        { statuses: ["active"], selfAssignableStatuses: ["trial"] },
        [{ field: "selfAssignableStatuses", message: '"trial" is not an allowed status' }],
      ],
      [
        "a blocked self-assignable status",
        { selfAssignableStatuses: ["blocked"] },
        [{ field: "selfAssignableStatuses", message: '"blocked" is a blocked status' }],
      ],
      [
        "several broken rules at once, one entry each",
        { authMethods: [], roles: ["reader"], defaultRole: "admin", defaultStatus: "blocked" },
        [
          { field: "authMethods", message: "must not be empty" },
          { field: "defaultRole", message: "must be one of the allowed roles" },
          {
            field: "defaultStatus",
            message: "must not be a blocked status (new end users could not log in)",
          },
        ],
      ],
    ];
    const projectId = await projectWith(owner, organizationId);
    for (const [name, input, fields] of cases) {
      const result = await owner.client.request(CreateProjectPolicyDocument, {
        projectId,
        ...input,
      });
      expectInvalid(result, fields, name);
    }
    expect((await readPolicies(owner, projectId))?.policy).toBeNull();
    expect(await policyEvents(owner, projectId)).toEqual([
      expect.objectContaining({ action: "project.password_policy.created" }),
    ]);
    // Nothing was created: the project still cannot take sign-ups.
    const signUpResult = await signUp(gh.client(), projectId, { email: endUserEmail() });
    expect(errorCodes(signUpResult)).toEqual(["FAILED_PRECONDITION"]);
  });

  it("refuses a second project policy with CONFLICT, keeping the first", async () => {
    const projectId = await projectWith(owner, organizationId);
    await owner.client.ok(CreateProjectPolicyDocument, { projectId, roles: ["reader"] });
    const before = await readPolicies(owner, projectId);
    const again = await owner.client.request(CreateProjectPolicyDocument, {
      projectId,
      roles: ["writer"],
    });
    expect(errorCodes(again)).toEqual(["CONFLICT"]);
    expect(await readPolicies(owner, projectId)).toEqual(before);
    expect(before?.policy?.roles).toEqual(["reader"]);
  });

  it("updateProjectPolicy changes only the fields given; an empty string clears the defaults", async () => {
    const projectId = await projectWith(owner, organizationId);
    const full = {
      authRequired: false,
      authType: "PASSWORD" as const,
      authMethods: ["EMAIL" as const, "PHONE" as const],
      phoneRequired: true,
      roles: ["reader", "writer"],
      statuses: ["active", "trial", "banned"],
      selfAssignableRoles: ["writer"],
      selfAssignableStatuses: ["trial"],
      blockedStatuses: ["banned"],
      defaultRole: "reader",
      defaultStatus: "active",
    };
    const created = await owner.client.ok(CreateProjectPolicyDocument, { projectId, ...full });
    const { updatedAt: _at, ...createdValues } = created.createProjectPolicy;

    const phone = await owner.client.ok(UpdateProjectPolicyDocument, {
      projectId,
      phoneRequired: false,
    });
    const { updatedAt: _at2, ...afterPhone } = phone.updateProjectPolicy;
    expect(afterPhone).toEqual({ ...createdValues, phoneRequired: false });

    const cleared = await owner.client.ok(UpdateProjectPolicyDocument, {
      projectId,
      defaultRole: "",
      defaultStatus: "",
    });
    expect(cleared.updateProjectPolicy).toMatchObject({
      ...full,
      phoneRequired: false,
      defaultRole: null,
      defaultStatus: null,
    });

    const methods = await owner.client.ok(UpdateProjectPolicyDocument, {
      projectId,
      authType: "TWO_FACTOR",
      authMethods: ["PHONE"],
      authRequired: true,
      roles: [],
    });
    expect(methods.updateProjectPolicy).toMatchObject({
      ...full,
      authType: "TWO_FACTOR",
      authMethods: ["PHONE"],
      authRequired: true,
      roles: [],
      phoneRequired: false,
      defaultRole: null,
      defaultStatus: null,
    });
    expect((await readPolicies(owner, projectId))?.policy).toEqual(methods.updateProjectPolicy);
  });

  it("updateProjectPolicy validates the policy as it would become, changing nothing when refused", async () => {
    const projectId = await projectWith(owner, organizationId);
    await owner.client.ok(CreateProjectPolicyDocument, {
      projectId,
      roles: ["reader", "writer"],
      statuses: ["active", "trial"],
      selfAssignableRoles: ["writer"],
      selfAssignableStatuses: ["trial"],
      defaultRole: "reader",
      defaultStatus: "active",
    });
    const before = await readPolicies(owner, projectId);
    const attempts: [PolicyOptions, FieldEntry[]][] = [
      // The stored default role and self-assignable role fall outside the new roles.
      [
        { roles: ["admin"] },
        [
          { field: "defaultRole", message: "must be one of the allowed roles" },
          { field: "selfAssignableRoles", message: '"writer" is not an allowed role' },
        ],
      ],
      // Blocking the stored default status, and the stored self-assignable one.
      [
        { blockedStatuses: ["active", "trial"] },
        [
          {
            field: "defaultStatus",
            message: "must not be a blocked status (new end users could not log in)",
          },
          { field: "selfAssignableStatuses", message: '"trial" is a blocked status' },
        ],
      ],
      // OAUTH against the stored [EMAIL].
      [
        { authType: "OAUTH" },
        [{ field: "authMethods", message: "must include GOOGLE or GITHUB for OAUTH" }],
      ],
      [{ authMethods: [] }, [{ field: "authMethods", message: "must not be empty" }]],
      [
        { defaultStatus: "gone" },
        [{ field: "defaultStatus", message: "must be one of the allowed statuses" }],
      ],
      [
        { statuses: ["active", "trial", "bad label"] },
        [{ field: "statuses", message: `"bad label" ${LABEL_RULE}` }],
      ],
    ];
    for (const [input, fields] of attempts) {
      expectInvalid(
        await owner.client.request(UpdateProjectPolicyDocument, { projectId, ...input }),
        fields,
      );
    }
    expect(await readPolicies(owner, projectId)).toEqual(before);
  });

  it("updateProjectPolicy without a project policy is NOT_FOUND and creates none", async () => {
    const projectId = await projectWith(owner, organizationId);
    const result = await owner.client.request(UpdateProjectPolicyDocument, {
      projectId,
      phoneRequired: true,
    });
    expect(errorCodes(result)).toEqual(["NOT_FOUND"]);
    expect((await readPolicies(owner, projectId))?.policy).toBeNull();
  });
});

describe("setup order and delete rules", () => {
  it("sign-up needs the password policy, then the project policy; log-in needs the project policy", async () => {
    const projectId = await projectWith(owner, organizationId, null);
    const email = endUserEmail();

    const bare = await signUp(gh.client(), projectId, { email });
    expect(errorCodes(bare)).toEqual(["FAILED_PRECONDITION"]);
    expect(bare.errors?.[0]?.message).toContain("no password policy");

    // The project policy cannot come first.
    const early = await owner.client.request(CreateProjectPolicyDocument, { projectId });
    expect(errorCodes(early)).toEqual(["FAILED_PRECONDITION"]);
    expect(early.errors?.[0]?.message).toContain("password policy first");
    expect(await readPolicies(owner, projectId)).toEqual({
      id: projectId,
      passwordPolicy: null,
      policy: null,
    });

    await owner.client.ok(CreatePasswordPolicyDocument, { projectId });
    const half = await signUp(gh.client(), projectId, { email });
    expect(errorCodes(half)).toEqual(["FAILED_PRECONDITION"]);
    expect(half.errors?.[0]?.message).toContain("no project policy");
    expect(half.errors?.[0]?.message).not.toContain("no password policy");
    const halfLogIn = await logIn(projectId, { email, password: PASSWORD });
    expect(errorCodes(halfLogIn)).toEqual(["FAILED_PRECONDITION"]);

    await owner.client.ok(CreateProjectPolicyDocument, { projectId });
    const signed = await gh.client().ok(EndUserSignUpDocument, {
      projectId,
      input: signUpInput({ email }),
    });
    expect(signed.endUserSignUp.endUser.email).toBe(email);
    const loggedIn = await gh.client().ok(EndUserLogInDocument, {
      projectId,
      input: { email, password: PASSWORD },
    });
    expect(loggedIn.endUserLogIn.__typename).toBe("EndUserAuthPayload");
  });

  it("the password policy cannot be deleted while the project policy exists; either is NOT_FOUND when missing", async () => {
    const { owner, projectId } = await openProject(gh, { password: { minLength: 10 } });
    const signed = await signUpEndUser(gh.client(), projectId);
    const before = await readPolicies(owner, projectId);

    const inUse = await owner.client.request(DeletePasswordPolicyDocument, { projectId });
    expect(errorCodes(inUse)).toEqual(["FAILED_PRECONDITION"]);
    expect(inUse.errors?.[0]?.message).toContain("delete the project policy first");
    expect(await readPolicies(owner, projectId)).toEqual(before);

    // Without the project policy, no one signs up or logs in; the password policy stays.
    expect(
      (await owner.client.ok(DeleteProjectPolicyDocument, { projectId })).deleteProjectPolicy,
    ).toBe(true);
    const afterPolicy = await readPolicies(owner, projectId);
    expect(afterPolicy?.policy).toBeNull();
    expect(afterPolicy?.passwordPolicy).toEqual(before?.passwordPolicy);
    const noPolicySignUp = await signUp(gh.client(), projectId, { email: endUserEmail() });
    expect(errorCodes(noPolicySignUp)).toEqual(["FAILED_PRECONDITION"]);
    expect(noPolicySignUp.errors?.[0]?.message).toContain("no project policy");
    const noPolicyLogIn = await logIn(projectId, { email: signed.email, password: PASSWORD });
    expect(errorCodes(noPolicyLogIn)).toEqual(["FAILED_PRECONDITION"]);
    const policyAgain = await owner.client.request(DeleteProjectPolicyDocument, { projectId });
    expect(errorCodes(policyAgain)).toEqual(["NOT_FOUND"]);

    expect(
      (await owner.client.ok(DeletePasswordPolicyDocument, { projectId })).deletePasswordPolicy,
    ).toBe(true);
    expect(await readPolicies(owner, projectId)).toEqual({
      id: projectId,
      passwordPolicy: null,
      policy: null,
    });
    const noneSignUp = await signUp(gh.client(), projectId, { email: endUserEmail() });
    expect(errorCodes(noneSignUp)).toEqual(["FAILED_PRECONDITION"]);
    expect(noneSignUp.errors?.[0]?.message).toContain("no password policy");
    const passwordAgain = await owner.client.request(DeletePasswordPolicyDocument, { projectId });
    expect(errorCodes(passwordAgain)).toEqual(["NOT_FOUND"]);

    // Set up again, in order: the existing end user logs in once more.
    const early = await owner.client.request(CreateProjectPolicyDocument, { projectId });
    expect(errorCodes(early)).toEqual(["FAILED_PRECONDITION"]);
    await openForSignUp(owner, projectId);
    const back = await gh.client().ok(EndUserLogInDocument, {
      projectId,
      input: { email: signed.email, password: PASSWORD },
    });
    expect(back.endUserLogIn.__typename).toBe("EndUserAuthPayload");
  });
});

describe("the password policy at sign-up and password change", () => {
  async function openWith(password: PasswordOptions): Promise<string> {
    const project = await createProject(owner, organizationId);
    await openForSignUp(owner, project.id, { password });
    return project.id;
  }

  it("reports every broken rule of a password at once, one field entry each", async () => {
    const projectId = await openWith({
      minLength: 12,
      requireNumbers: true,
      requireUppercase: true,
      requireSpecialChars: true,
    });
    const email = endUserEmail();
    expectInvalid(await signUp(gh.client(), projectId, { email, password: "short" }), [
      { field: "input.password", message: "must be at least 12 characters" },
      { field: "input.password", message: "must contain a number" },
      { field: "input.password", message: "must contain an uppercase letter" },
      {
        field: "input.password",
        message: "must contain a special character (punctuation, a symbol or a space)",
      },
    ]);
    // One character short of the minimum, every composition rule met.
    expectInvalid(await signUp(gh.client(), projectId, { email, password: "Abcdefghi1!" }), [
      { field: "input.password", message: "must be at least 12 characters" },
    ]);
    // Exactly the minimum is enough; the refused attempts created no account with this email.
    const signed = await gh.client().ok(EndUserSignUpDocument, {
      projectId,
      input: signUpInput({ email, password: "Abcdefghij1!" }),
    });
    expect(signed.endUserSignUp.endUser.email).toBe(email);
  });

  it.each<[string, PasswordOptions, string, string, string]>([
    [
      "a number",
      { requireNumbers: true },
      "No Numbers Here!",
      "must contain a number",
      "only lowercase 1",
    ],
    [
      "an uppercase letter",
      { requireUppercase: true },
      "lowercase only 1!",
      "must contain an uppercase letter",
      "JustLetters",
    ],
    [
      "a special character (punctuation, a symbol or a space)",
      { requireSpecialChars: true },
      "Letters1AndDigits2",
      "must contain a special character (punctuation, a symbol or a space)",
      "spaces count too",
    ],
  ])("requires %s when asked, and nothing else", async (_name, rules, missing, message, enough) => {
    const projectId = await openWith(rules);
    expectInvalid(
      await signUp(gh.client(), projectId, { email: endUserEmail(), password: missing }),
      [{ field: "input.password", message }],
    );
    const email = endUserEmail();
    const signed = await signUp(gh.client(), projectId, { email, password: enough });
    expect(errorCodes(signed)).toEqual([]);
    expect(signed.data?.endUserSignUp.endUser.email).toBe(email);
  });

  it("does not count combining marks or control characters as special; emoji count", async () => {
    const projectId = await openWith({ requireSpecialChars: true });
    for (const password of ["Passwo\u0308rdA1", "ABCDEFGH1\u0000", "zero\u200dwidth1"]) {
      expectInvalid(
        await signUp(gh.client(), projectId, { email: endUserEmail(), password }),
        [
          {
            field: "input.password",
            message: "must contain a special character (punctuation, a symbol or a space)",
          },
        ],
        JSON.stringify(password),
      );
    }
    const signed = await signUp(gh.client(), projectId, {
      email: endUserEmail(),
      password: "unlock🔑please",
    });
    expect(errorCodes(signed)).toEqual([]);
  });

  it("with every composition flag off, accepts letters alone and refuses only on length", async () => {
    const projectId = await openWith({});
    expectInvalid(
      await signUp(gh.client(), projectId, { email: endUserEmail(), password: "abcdefg" }),
      [{ field: "input.password", message: "must be at least 8 characters" }],
    );
    const email = endUserEmail();
    const signed = await signUp(gh.client(), projectId, { email, password: "alllowercaseletters" });
    expect(errorCodes(signed)).toEqual([]);
    expect(signed.data?.endUserSignUp.endUser.email).toBe(email);
  });

  it("counts length in Unicode code points, not UTF-16 units", async () => {
    const projectId = await openWith({ minLength: 8, maxLength: 64 });
    const smile = "😀"; // two UTF-16 units, one code point
    expectInvalid(
      await signUp(gh.client(), projectId, { email: endUserEmail(), password: smile.repeat(7) }),
      [{ field: "input.password", message: "must be at least 8 characters" }],
    );
    expectInvalid(
      await signUp(gh.client(), projectId, { email: endUserEmail(), password: smile.repeat(65) }),
      [{ field: "input.password", message: "must be at most 64 characters" }],
    );
    for (const password of [smile.repeat(8), smile.repeat(64)]) {
      const email = endUserEmail();
      await gh
        .client()
        .ok(EndUserSignUpDocument, { projectId, input: signUpInput({ email, password }) });
      const back = await logIn(projectId, { email, password });
      expect(errorCodes(back)).toEqual([]);
    }
  });

  it("refuses a password over maxLength with one entry, at sign-up and password change", async () => {
    const projectId = await openWith({ maxLength: 64 });
    expectInvalid(
      await signUp(gh.client(), projectId, { email: endUserEmail(), password: "a".repeat(65) }),
      [{ field: "input.password", message: "must be at most 64 characters" }],
    );
    const client = gh.client();
    await signUpEndUser(client, projectId, { password: "a".repeat(64) });
    const change = await client.request(EndUserChangePasswordDocument, {
      projectId,
      currentPassword: "a".repeat(64),
      newPassword: "b".repeat(65),
    });
    expectInvalid(change, [{ field: "newPassword", message: "must be at most 64 characters" }]);
  });

  it("at the 128 ceiling, reports a too-long password once, at sign-up and password change", async () => {
    const projectId = await openWith({});
    const client = gh.client();
    await signUpEndUser(client, projectId);
    const change = await client.request(EndUserChangePasswordDocument, {
      projectId,
      currentPassword: PASSWORD,
      newPassword: "b".repeat(129),
    });
    expectInvalid(change, [{ field: "newPassword", message: "must be at most 128 characters" }]);
    expectInvalid(
      await signUp(gh.client(), projectId, { email: endUserEmail(), password: "a".repeat(129) }),
      [{ field: "input.password", message: "must be at most 128 characters" }],
    );
  });

  it("applies the policy as it stands to endUserChangePassword, on newPassword", async () => {
    const projectId = await openWith({ minLength: 10, requireNumbers: true });
    const client = gh.client();
    const first = "first password 1";
    const signed = await signUpEndUser(client, projectId, { password: first });

    const weak = await client.request(EndUserChangePasswordDocument, {
      projectId,
      currentPassword: first,
      newPassword: "short",
    });
    expectInvalid(weak, [
      { field: "newPassword", message: "must be at least 10 characters" },
      { field: "newPassword", message: "must contain a number" },
    ]);
    // The refused change changed nothing: the old password still logs in.
    expect(errorCodes(await logIn(projectId, { email: signed.email, password: first }))).toEqual(
      [],
    );

    const second = "second password 2";
    const changed = await client.ok(EndUserChangePasswordDocument, {
      projectId,
      currentPassword: first,
      newPassword: second,
    });
    expect(changed.endUserChangePassword).toBe(true);
    expect(errorCodes(await logIn(projectId, { email: signed.email, password: second }))).toEqual(
      [],
    );

    // A stricter policy applies to the next change at once...
    await owner.client.ok(UpdatePasswordPolicyDocument, { projectId, requireUppercase: true });
    const noUpper = await client.request(EndUserChangePasswordDocument, {
      projectId,
      currentPassword: second,
      newPassword: "third password 3",
    });
    expectInvalid(noUpper, [{ field: "newPassword", message: "must contain an uppercase letter" }]);
    // ...and at sign-up, while the password already set still logs in.
    expectInvalid(
      await signUp(gh.client(), projectId, { email: endUserEmail(), password: "lowercase 12345" }),
      [{ field: "input.password", message: "must contain an uppercase letter" }],
    );
    expect(errorCodes(await logIn(projectId, { email: signed.email, password: second }))).toEqual(
      [],
    );
  });
});

describe("rejectCommonPasswords (password policy) and requireVerifiedEmail (project policy)", () => {
  const COMMON = "is one of the most common passwords";

  async function openWith(password: PasswordOptions, policy: PolicyOptions = {}) {
    const project = await createProject(owner, organizationId);
    await openForSignUp(owner, project.id, { password, policy });
    return project.id;
  }

  it("rejectCommonPasswords is on by default: a common password is refused at sign-up with the field's message", async () => {
    const projectId = await openWith({});
    expect((await readPolicies(owner, projectId))?.passwordPolicy?.rejectCommonPasswords).toBe(
      true,
    );
    for (const password of ["password123", "Password123!", "qwerty123", "iloveyou!!"]) {
      const email = endUserEmail();
      expectInvalid(
        await signUp(gh.client(), projectId, { email, password }),
        [{ field: "input.password", message: COMMON }],
        password,
      );
      // Nothing was created: the same email signs up with a good password.
      const good = await signUp(gh.client(), projectId, { email });
      expect(errorCodes(good), password).toEqual([]);
    }
  });

  it("refuses a password built from the end user's own email or name", async () => {
    const projectId = await openWith({});
    const email = endUserEmail("quonk");
    const local = email.slice(0, email.indexOf("@"));
    const cases: [string, string][] = [
      [`${local}!!`, "is too close to your email address"],
      [`${email}1`, "is too close to your email address"],
      ["GraceHopper1906", "is too close to your name"],
      ["grace hopper!", "is too close to your name"],
    ];
    for (const [password, message] of cases) {
      expectInvalid(
        await signUp(gh.client(), projectId, { email, fullName: "Grace Hopper", password }),
        [{ field: "input.password", message }],
        password,
      );
    }
    // A passphrase around the name is fine, and so is all of it once the policy allows it.
    const ok = await signUp(gh.client(), projectId, {
      email,
      fullName: "Grace Hopper",
      password: "grace hopper wrote the first compiler",
    });
    expect(errorCodes(ok)).toEqual([]);
    const lax = await openWith({ rejectCommonPasswords: false });
    const laxSignUp = await signUp(gh.client(), lax, {
      email: endUserEmail(),
      fullName: "Grace Hopper",
      password: "GraceHopper1906",
    });
    expect(errorCodes(laxSignUp)).toEqual([]);
  });

  it("reports it beside the composition rules, one entry each", async () => {
    const projectId = await openWith({ requireUppercase: true, requireSpecialChars: true });
    expectInvalid(
      await signUp(gh.client(), projectId, { email: endUserEmail(), password: "password123" }),
      [
        { field: "input.password", message: "must contain an uppercase letter" },
        {
          field: "input.password",
          message: "must contain a special character (punctuation, a symbol or a space)",
        },
        { field: "input.password", message: COMMON },
      ],
    );
    // Meeting the composition rules does not make a common password acceptable.
    expectInvalid(
      await signUp(gh.client(), projectId, { email: endUserEmail(), password: "Password123!" }),
      [{ field: "input.password", message: COMMON }],
    );
  });

  it("created false, accepts a common password the other rules allow; lengths still apply", async () => {
    const projectId = await openWith({ rejectCommonPasswords: false });
    expect((await readPolicies(owner, projectId))?.passwordPolicy).toMatchObject({
      ...PASSWORD_DEFAULTS,
      rejectCommonPasswords: false,
    });
    const email = endUserEmail();
    const signed = await signUp(gh.client(), projectId, { email, password: "password123" });
    expect(errorCodes(signed)).toEqual([]);
    expect(errorCodes(await logIn(projectId, { email, password: "password123" }))).toEqual([]);
    expectInvalid(
      await signUp(gh.client(), projectId, { email: endUserEmail(), password: "qwerty" }),
      [{ field: "input.password", message: "must be at least 8 characters" }],
    );
  });

  it("updatePasswordPolicy turns it off and on again, for sign-up and password change alike", async () => {
    const projectId = await openWith({});
    const off = await owner.client.ok(UpdatePasswordPolicyDocument, {
      projectId,
      rejectCommonPasswords: false,
    });
    expect(off.updatePasswordPolicy).toMatchObject({
      ...PASSWORD_DEFAULTS,
      rejectCommonPasswords: false,
    });
    const client = gh.client();
    const signed = await signUpEndUser(client, projectId, { password: "sunshine1" });

    // Other changes keep it as it is.
    const other = await owner.client.ok(UpdatePasswordPolicyDocument, { projectId, minLength: 9 });
    expect(other.updatePasswordPolicy.rejectCommonPasswords).toBe(false);

    await owner.client.ok(UpdatePasswordPolicyDocument, { projectId, rejectCommonPasswords: true });
    const refused = await client.request(EndUserChangePasswordDocument, {
      projectId,
      currentPassword: "sunshine1",
      newPassword: "letmein2024!",
    });
    expectInvalid(refused, [{ field: "newPassword", message: COMMON }]);
    // The password set while it was off still logs in: the policy applies to new passwords.
    expect(
      errorCodes(await logIn(projectId, { email: signed.email, password: "sunshine1" })),
    ).toEqual([]);
    const changed = await client.ok(EndUserChangePasswordDocument, {
      projectId,
      currentPassword: "sunshine1",
      newPassword: PASSWORD,
    });
    expect(changed.endUserChangePassword).toBe(true);
  });

  it("requireVerifiedEmail is false by default, stored when created true, and read back", async () => {
    const byDefault = await openWith({});
    expect((await readPolicies(owner, byDefault))?.policy?.requireVerifiedEmail).toBe(false);

    const projectId = await projectWith(owner, organizationId);
    const created = await owner.client.ok(CreateProjectPolicyDocument, {
      projectId,
      requireVerifiedEmail: true,
    });
    expect(created.createProjectPolicy).toMatchObject({
      ...POLICY_DEFAULTS,
      requireVerifiedEmail: true,
    });
    expect((await readPolicies(owner, projectId))?.policy).toEqual(created.createProjectPolicy);

    const other = await owner.client.ok(UpdateProjectPolicyDocument, {
      projectId,
      phoneRequired: true,
    });
    expect(other.updateProjectPolicy.requireVerifiedEmail).toBe(true);
    const off = await owner.client.ok(UpdateProjectPolicyDocument, {
      projectId,
      requireVerifiedEmail: false,
    });
    expect(off.updateProjectPolicy).toMatchObject({
      phoneRequired: true,
      requireVerifiedEmail: false,
    });
    expect((await readPolicies(owner, projectId))?.policy?.requireVerifiedEmail).toBe(false);
  });

  it("each change is audited with its field; a VIEWER cannot change either", async () => {
    const projectId = await openWith({});
    await owner.client.ok(UpdatePasswordPolicyDocument, {
      projectId,
      rejectCommonPasswords: false,
    });
    await owner.client.ok(UpdateProjectPolicyDocument, { projectId, requireVerifiedEmail: true });
    const events = (await policyEvents(owner, projectId)).slice(-2);
    expect(events.map((e) => [e.action, JSON.parse(e.metadata ?? "null")])).toEqual([
      ["project.password_policy.updated", { fields: ["rejectCommonPasswords"] }],
      ["project.policy.updated", { fields: ["requireVerifiedEmail"], sessionsEnded: 0 }],
    ]);

    const viewer = await person(gh, "viewer");
    await addMember(owner, organizationId, viewer, "MEMBER");
    await addProjectMember(owner, projectId, viewer, "VIEWER");
    const attempts = [
      await viewer.client.request(UpdatePasswordPolicyDocument, {
        projectId,
        rejectCommonPasswords: true,
      }),
      await viewer.client.request(UpdateProjectPolicyDocument, {
        projectId,
        requireVerifiedEmail: false,
      }),
    ];
    expect(attempts.map((a) => errorCodes(a))).toEqual([["FORBIDDEN"], ["FORBIDDEN"]]);
    expect(await readPolicies(owner, projectId)).toMatchObject({
      passwordPolicy: { rejectCommonPasswords: false },
      policy: { requireVerifiedEmail: true },
    });
  });
});

describe("the project policy at sign-up and log-in", () => {
  async function openWith(policy: PolicyOptions): Promise<string> {
    const project = await createProject(owner, organizationId);
    await openForSignUp(owner, project.id, { policy });
    return project.id;
  }

  it("with authMethods [EMAIL], refuses PHONE sign-up and log-in, and needs an email", async () => {
    const projectId = await openWith({});
    expectInvalid(
      await signUp(gh.client(), projectId, { authMethod: "PHONE", phone: "+14155550123" }),
      [
        {
          field: "input.authMethod",
          message: "is not accepted by this project (it accepts EMAIL)",
        },
      ],
    );
    expectInvalid(await signUp(gh.client(), projectId, { authMethod: "EMAIL" }), [
      { field: "input.email", message: "is required to sign up with EMAIL" },
    ]);
    const signed = await signUpEndUser(gh.client(), projectId, { phone: "+14155550123" });
    expect(signed.endUser.phone).toBe("+14155550123");
    expectInvalid(await logIn(projectId, { phone: "+14155550123", password: PASSWORD }), [
      { field: "input.phone", message: "this project does not accept log-in by PHONE" },
    ]);
    expect(errorCodes(await logIn(projectId, { email: signed.email, password: PASSWORD }))).toEqual(
      [],
    );
  });

  it("with authMethods [PHONE], signs up and logs in by an E.164 phone, and refuses email", async () => {
    const projectId = await openWith({ authMethods: ["PHONE"] });
    expectInvalid(await signUp(gh.client(), projectId, { email: endUserEmail() }), [
      { field: "input.authMethod", message: "is not accepted by this project (it accepts PHONE)" },
    ]);
    expectInvalid(await signUp(gh.client(), projectId, { authMethod: "PHONE" }), [
      { field: "input.phone", message: "is required to sign up with PHONE" },
    ]);
    expectInvalid(
      await signUp(gh.client(), projectId, { authMethod: "PHONE", phone: "04155550123" }),
      [{ field: "input.phone", message: "must be in E.164 form, like +14155550123" }],
    );
    const signed = await gh.client().ok(EndUserSignUpDocument, {
      projectId,
      input: signUpInput({ authMethod: "PHONE", phone: "+442071838750" }),
    });
    expect(signed.endUserSignUp.endUser).toMatchObject({ phone: "+442071838750", email: null });

    const byPhone = await gh.client().ok(EndUserLogInDocument, {
      projectId,
      input: { phone: "+442071838750", password: PASSWORD },
    });
    expect(byPhone.endUserLogIn.__typename).toBe("EndUserAuthPayload");
    if (byPhone.endUserLogIn.__typename !== "EndUserAuthPayload") throw new Error("MFA challenge");
    expect(byPhone.endUserLogIn.endUser.id).toBe(signed.endUserSignUp.endUser.id);
    expectInvalid(await logIn(projectId, { email: endUserEmail(), password: PASSWORD }), [
      { field: "input.email", message: "this project does not accept log-in by EMAIL" },
    ]);
  });

  it("refuses a password sign-up for an OAuth method, even one the policy accepts", async () => {
    const projectId = await openWith({ authMethods: ["EMAIL", "GOOGLE"] });
    expectInvalid(
      await signUp(gh.client(), projectId, { authMethod: "GOOGLE", email: endUserEmail() }),
      [{ field: "input.authMethod", message: "GOOGLE accounts are not created with a password" }],
    );
    expectInvalid(
      await signUp(gh.client(), projectId, { authMethod: "GITHUB", email: endUserEmail() }),
      [
        {
          field: "input.authMethod",
          message: "is not accepted by this project (it accepts EMAIL, GOOGLE)",
        },
      ],
    );
  });

  it("phoneRequired refuses a sign-up without a phone and keeps the one given", async () => {
    const projectId = await openWith({ phoneRequired: true });
    const email = endUserEmail();
    expectInvalid(await signUp(gh.client(), projectId, { email }), [
      { field: "input.phone", message: "is required by this project" },
    ]);
    const signed = await signUpEndUser(gh.client(), projectId, { email, phone: "+14155550199" });
    expect(signed.endUser).toMatchObject({ email, phone: "+14155550199" });
  });

  it("gives the default role and status, and lets end users choose only self-assignable ones", async () => {
    const projectId = await openWith({
      roles: ["reader", "writer", "admin"],
      statuses: ["active", "trial", "blocked"],
      selfAssignableRoles: ["writer"],
      selfAssignableStatuses: ["trial"],
      defaultRole: "reader",
      defaultStatus: "active",
    });
    const plain = await signUpEndUser(gh.client(), projectId);
    expect(plain.endUser).toMatchObject({ role: "reader", status: "active" });
    const chosen = await signUpEndUser(gh.client(), projectId, { role: "writer", status: "trial" });
    expect(chosen.endUser).toMatchObject({ role: "writer", status: "trial" });

    const email = endUserEmail();
    expectInvalid(await signUp(gh.client(), projectId, { email, role: "admin" }), [
      { field: "input.role", message: "is not a role end users may choose here" },
    ]);
    expectInvalid(await signUp(gh.client(), projectId, { email, status: "blocked" }), [
      { field: "input.status", message: "is not a status end users may choose here" },
    ]);
    expectInvalid(
      await signUp(gh.client(), projectId, { email, role: "reader", status: "active" }),
      [
        { field: "input.role", message: "is not a role end users may choose here" },
        { field: "input.status", message: "is not a status end users may choose here" },
      ],
    );
    // None of the refused attempts created the account.
    const later = await signUpEndUser(gh.client(), projectId, { email });
    expect(later.endUser).toMatchObject({ email, role: "reader", status: "active" });
  });

  it("leaves role and status null without defaults, and refuses any choice when nothing is self-assignable", async () => {
    const projectId = await openWith({});
    const plain = await signUpEndUser(gh.client(), projectId);
    expect(plain.endUser).toMatchObject({ role: null, status: null });
    expectInvalid(
      await signUp(gh.client(), projectId, { email: endUserEmail(), role: "anything" }),
      [{ field: "input.role", message: "is not a role end users may choose here" }],
    );
  });

  it("a blocked status ends sessions at once and refuses log-in (FORBIDDEN only with the right password) and refresh", async () => {
    const projectId = await openWith({});
    const signed = await signUpEndUser(gh.client(), projectId);
    const token = bearerClient(signed.tokens.accessToken);
    expect((await token.ok(EndUserMeDocument, { projectId })).endUserMe?.id).toBe(
      signed.endUser.id,
    );

    const blocked = await owner.client.ok(UpdateEndUserDocument, {
      projectId,
      id: signed.endUser.id,
      status: "blocked",
    });
    expect(blocked.updateEndUser.status).toBe("blocked");
    expect((await token.ok(EndUserMeDocument, { projectId })).endUserMe).toBeNull();
    const refresh = await gh.client().request(EndUserRefreshSessionDocument, {
      projectId,
      refreshToken: signed.tokens.refreshToken,
    });
    expect(errorCodes(refresh)).toEqual(["UNAUTHENTICATED"]);

    const right = await logIn(projectId, { email: signed.email, password: PASSWORD });
    expect(errorCodes(right)).toEqual(["FORBIDDEN"]);
    expect(right.data?.endUserLogIn ?? null).toBeNull();
    const wrong = await logIn(projectId, { email: signed.email, password: "not the password" });
    expect(errorCodes(wrong)).toEqual(["UNAUTHENTICATED"]);

    // "suspended" is blocked by default too; an unblocked status logs in again.
    await owner.client.ok(UpdateEndUserDocument, {
      projectId,
      id: signed.endUser.id,
      status: "suspended",
    });
    expect(errorCodes(await logIn(projectId, { email: signed.email, password: PASSWORD }))).toEqual(
      ["FORBIDDEN"],
    );
    await owner.client.ok(UpdateEndUserDocument, {
      projectId,
      id: signed.endUser.id,
      status: "active",
    });
    expect(errorCodes(await logIn(projectId, { email: signed.email, password: PASSWORD }))).toEqual(
      [],
    );
  });

  it("newly blocked statuses end the sessions of the end users who have them, and only theirs", async () => {
    const projectId = await openWith({
      statuses: ["active", "trial"],
      selfAssignableStatuses: ["trial"],
      defaultStatus: "active",
    });
    const trial = await signUpEndUser(gh.client(), projectId, { status: "trial" });
    const active = await signUpEndUser(gh.client(), projectId);
    const trialToken = bearerClient(trial.tokens.accessToken);
    const activeToken = bearerClient(active.tokens.accessToken);
    expect((await trialToken.ok(EndUserMeDocument, { projectId })).endUserMe?.id).toBe(
      trial.endUser.id,
    );

    const updated = await owner.client.ok(UpdateProjectPolicyDocument, {
      projectId,
      selfAssignableStatuses: [],
      blockedStatuses: ["blocked", "suspended", "trial"],
    });
    expect(updated.updateProjectPolicy.blockedStatuses).toEqual(["blocked", "suspended", "trial"]);
    expect((await trialToken.ok(EndUserMeDocument, { projectId })).endUserMe).toBeNull();
    expect((await activeToken.ok(EndUserMeDocument, { projectId })).endUserMe?.id).toBe(
      active.endUser.id,
    );
    const refresh = await gh.client().request(EndUserRefreshSessionDocument, {
      projectId,
      refreshToken: trial.tokens.refreshToken,
    });
    expect(errorCodes(refresh)).toEqual(["UNAUTHENTICATED"]);
    expect(errorCodes(await logIn(projectId, { email: trial.email, password: PASSWORD }))).toEqual([
      "FORBIDDEN",
    ]);

    // Unblocking lets them log in again.
    await owner.client.ok(UpdateProjectPolicyDocument, {
      projectId,
      blockedStatuses: ["blocked", "suspended"],
    });
    expect(errorCodes(await logIn(projectId, { email: trial.email, password: PASSWORD }))).toEqual(
      [],
    );
  });

  it("a TWO_FACTOR policy signs up and logs in with the password alone until MFA exists", async () => {
    const projectId = await openWith({ authType: "TWO_FACTOR" });
    const signed = await signUpEndUser(gh.client(), projectId);
    expect(signed.endUser.mfaEnabled).toBe(false);
    const loggedIn = await gh.client().ok(EndUserLogInDocument, {
      projectId,
      input: { email: signed.email, password: PASSWORD },
    });
    expect(loggedIn.endUserLogIn.__typename).toBe("EndUserAuthPayload");
    if (loggedIn.endUserLogIn.__typename !== "EndUserAuthPayload") throw new Error("MFA challenge");
    const me = await bearerClient(loggedIn.endUserLogIn.tokens.accessToken).ok(EndUserMeDocument, {
      projectId,
    });
    expect(me.endUserMe?.id).toBe(signed.endUser.id);
  });
});

describe("who may change policies", () => {
  const people: Record<string, Person> = {};

  beforeAll(async () => {
    for (const label of ["admin", "manager", "contributor", "viewer", "member", "outsider"]) {
      people[label] = await person(gh, label);
    }
    await addMember(owner, organizationId, people.admin!, "ADMIN");
    for (const label of ["manager", "contributor", "viewer", "member"]) {
      await addMember(owner, organizationId, people[label]!, "MEMBER");
    }
  });

  /** A project where the manager, contributor and viewer hold their project roles. */
  async function staffedProject(passwordPolicy: PasswordOptions | null): Promise<string> {
    const projectId = await projectWith(owner, organizationId, passwordPolicy);
    await addProjectMember(owner, projectId, people.manager!, "MANAGER");
    await addProjectMember(owner, projectId, people.contributor!, "CONTRIBUTOR");
    await addProjectMember(owner, projectId, people.viewer!, "VIEWER");
    return projectId;
  }

  it.each(["owner", "admin", "manager", "contributor"])(
    "an organization or project %s creates, updates and deletes both policies",
    async (label) => {
      const actor = label === "owner" ? owner : people[label]!;
      const projectId = await staffedProject(null);
      const pp = await actor.client.ok(CreatePasswordPolicyDocument, { projectId, minLength: 9 });
      expect(pp.createPasswordPolicy.minLength).toBe(9);
      const policy = await actor.client.ok(CreateProjectPolicyDocument, {
        projectId,
        roles: ["reader"],
      });
      expect(policy.createProjectPolicy.roles).toEqual(["reader"]);
      const pp2 = await actor.client.ok(UpdatePasswordPolicyDocument, { projectId, minLength: 11 });
      expect(pp2.updatePasswordPolicy.minLength).toBe(11);
      const policy2 = await actor.client.ok(UpdateProjectPolicyDocument, {
        projectId,
        phoneRequired: true,
      });
      expect(policy2.updateProjectPolicy.phoneRequired).toBe(true);
      expect((await readPolicies(actor, projectId))?.policy).toEqual(policy2.updateProjectPolicy);
      expect(
        (await actor.client.ok(DeleteProjectPolicyDocument, { projectId })).deleteProjectPolicy,
      ).toBe(true);
      expect(
        (await actor.client.ok(DeletePasswordPolicyDocument, { projectId })).deletePasswordPolicy,
      ).toBe(true);
      expect(await readPolicies(owner, projectId)).toEqual({
        id: projectId,
        passwordPolicy: null,
        policy: null,
      });
      const events = await policyEvents(owner, projectId);
      expect(events.map((e) => [e.action, e.actorUserId])).toEqual([
        ["project.password_policy.created", actor.id],
        ["project.policy.created", actor.id],
        ["project.password_policy.updated", actor.id],
        ["project.policy.updated", actor.id],
        ["project.policy.deleted", actor.id],
        ["project.password_policy.deleted", actor.id],
      ]);
    },
  );

  describe("refusals", () => {
    let bare: string; // no policies
    let half: string; // the password policy only
    let open: string; // both policies
    let endUserToken: string;
    let snapshot: unknown[];
    let eventCounts: number[];

    beforeAll(async () => {
      bare = await staffedProject(null);
      half = await staffedProject({ minLength: 10 });
      open = await staffedProject({ minLength: 12 });
      await owner.client.ok(CreateProjectPolicyDocument, { projectId: open, roles: ["reader"] });
      const endUser = await signUpEndUser(gh.client(), open, { password: "end user password" });
      endUserToken = endUser.tokens.accessToken;
      snapshot = await Promise.all([bare, half, open].map((id) => readPolicies(owner, id)));
      eventCounts = await Promise.all(
        [bare, half, open].map(async (id) => (await policyEvents(owner, id)).length),
      );
    });

    /**
     * Every policy change `client` could try, each where it would otherwise succeed; then
     * checks that none of them wrote a policy or an audit event. Returns the error codes.
     */
    async function attemptAll(client: TestClient) {
      const codes = [
        await client.request(CreatePasswordPolicyDocument, { projectId: bare }),
        await client.request(CreateProjectPolicyDocument, { projectId: half }),
        await client.request(UpdatePasswordPolicyDocument, { projectId: half, minLength: 20 }),
        await client.request(DeletePasswordPolicyDocument, { projectId: half }),
        await client.request(UpdateProjectPolicyDocument, { projectId: open, roles: ["writer"] }),
        await client.request(DeleteProjectPolicyDocument, { projectId: open }),
      ].map((result) => errorCodes(result));
      expect(await Promise.all([bare, half, open].map((id) => readPolicies(owner, id)))).toEqual(
        snapshot,
      );
      expect(
        await Promise.all(
          [bare, half, open].map(async (id) => (await policyEvents(owner, id)).length),
        ),
      ).toEqual(eventCounts);
      return codes;
    }

    it("a VIEWER reads both policies but every change is FORBIDDEN and writes nothing", async () => {
      const viewer = people.viewer!;
      const read = await readPolicies(viewer, open);
      expect(read?.passwordPolicy?.minLength).toBe(12);
      expect(read?.policy?.roles).toEqual(["reader"]);
      expect(await readPolicies(viewer, bare)).toEqual({
        id: bare,
        passwordPolicy: null,
        policy: null,
      });
      expect(await attemptAll(viewer.client)).toEqual(Array(6).fill(["FORBIDDEN"]));
    });

    it("an organization MEMBER without a project role and an outsider get NOT_FOUND, read nothing and write nothing", async () => {
      for (const label of ["member", "outsider"]) {
        const someone = people[label]!;
        expect(await readPolicies(someone, open), label).toBeNull();
        expect(await attemptAll(someone.client), label).toEqual(Array(6).fill(["NOT_FOUND"]));
      }
    });

    it("anonymous callers and end users' tokens are UNAUTHENTICATED and write nothing", async () => {
      expect(await attemptAll(gh.client())).toEqual(Array(6).fill(["UNAUTHENTICATED"]));
      expect(await attemptAll(bearerClient(endUserToken))).toEqual(
        Array(6).fill(["UNAUTHENTICATED"]),
      );
      // The project's password policy still applies as it was: 12 characters at least.
      expectInvalid(
        await signUp(gh.client(), open, { email: endUserEmail(), password: "elevenchars" }),
        [{ field: "input.password", message: "must be at least 12 characters" }],
      );
    });
  });
});

describe("audit events of policy changes", () => {
  it("records each change with its project, actor, target and changed fields; refusals record none", async () => {
    const projectId = await projectWith(owner, organizationId, null);
    const c = owner.client;

    const pp = (await c.ok(CreatePasswordPolicyDocument, { projectId })).createPasswordPolicy;
    expect(errorCodes(await c.request(CreatePasswordPolicyDocument, { projectId }))).toEqual([
      "CONFLICT",
    ]);
    const policy = (await c.ok(CreateProjectPolicyDocument, { projectId })).createProjectPolicy;
    expect(errorCodes(await c.request(CreateProjectPolicyDocument, { projectId }))).toEqual([
      "CONFLICT",
    ]);
    expect(
      errorCodes(await c.request(UpdatePasswordPolicyDocument, { projectId, minLength: 7 })),
    ).toEqual(["BAD_USER_INPUT"]);
    await c.ok(UpdatePasswordPolicyDocument, { projectId, minLength: 10, requireNumbers: true });
    expect(
      errorCodes(await c.request(UpdateProjectPolicyDocument, { projectId, authMethods: [] })),
    ).toEqual(["BAD_USER_INPUT"]);
    await c.ok(UpdateProjectPolicyDocument, { projectId, phoneRequired: true });
    expect(errorCodes(await c.request(DeletePasswordPolicyDocument, { projectId }))).toEqual([
      "FAILED_PRECONDITION",
    ]);
    await c.ok(DeleteProjectPolicyDocument, { projectId });
    await c.ok(DeletePasswordPolicyDocument, { projectId });
    expect(errorCodes(await c.request(DeletePasswordPolicyDocument, { projectId }))).toEqual([
      "NOT_FOUND",
    ]);

    const events = await policyEvents(owner, projectId);
    expect(
      events.map((e) => ({
        action: e.action,
        actorUserId: e.actorUserId,
        organizationId: e.organizationId,
        projectId: e.projectId,
        targetId: e.targetId,
        metadata: e.metadata ? (JSON.parse(e.metadata) as unknown) : null,
      })),
    ).toEqual(
      [
        { action: "project.password_policy.created", target: pp.id, metadata: null },
        { action: "project.policy.created", target: policy.id, metadata: { sessionsEnded: 0 } },
        {
          action: "project.password_policy.updated",
          target: pp.id,
          metadata: { fields: ["minLength", "requireNumbers"] },
        },
        {
          action: "project.policy.updated",
          target: policy.id,
          metadata: { fields: ["phoneRequired"], sessionsEnded: 0 },
        },
        { action: "project.policy.deleted", target: policy.id, metadata: null },
        { action: "project.password_policy.deleted", target: pp.id, metadata: null },
      ].map(({ action, target, metadata }) => ({
        action,
        actorUserId: owner.id,
        organizationId,
        projectId,
        targetId: target,
        metadata,
      })),
    );
  });
});
