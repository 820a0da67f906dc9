/**
 * Input errors a form can place: graphql's own coercion failures (a variable or a literal that
 * fails its scalar, a missing or unknown input field, a bad list item) and the rules services
 * check answer BAD_USER_INPUT with `extensions.fields: [{ field, message }]`, where `field` is
 * the path from the variable or argument (`input.email`). Nothing is written.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChangePasswordDocument,
  CreateProjectPolicyDocument,
  SignUpDocument,
  UpdateProfileDocument,
  type SignUpInput,
} from "./gql/graphql";
import { openProject } from "./helpers/end-users";
import { PASSWORD, startInstance, uniqueEmail, type Instance } from "./helpers/instance";

let gh: Instance;
beforeAll(async () => {
  gh = await startInstance();
});
afterAll(() => gh?.close());

interface Answer {
  status: number;
  errors?: { message: string; extensions?: { code?: string; fields?: unknown } }[];
}

async function post(query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await gh.client().raw(JSON.stringify({ query, variables }), {
    "content-type": "application/json",
  });
  return { status: response.status, ...((await response.json()) as Omit<Answer, "status">) };
}

/** The single error's code and the field paths it names. */
function placed(answer: { errors?: Answer["errors"] }) {
  expect(answer.errors).toHaveLength(1);
  const [error] = answer.errors!;
  const fields = (error!.extensions?.fields ?? []) as { field: string; message: string }[];
  for (const entry of fields) expect(entry.message.length).toBeGreaterThan(0);
  return { code: error!.extensions?.code, fields: fields.map((f) => f.field) };
}

const SIGN_UP = `mutation SignUp($input: SignUpInput!) { signUp(input: $input) { user { id } } }`;
const goodInput = () => ({ fullName: "Ada", email: uniqueEmail(), password: PASSWORD });

async function emailIsFree(email: string): Promise<boolean> {
  const result = await gh.client().request(SignUpDocument, {
    input: { ...goodInput(), email } as SignUpInput,
  });
  return result.errors === undefined;
}

describe("variables", () => {
  it("an invalid email in $input answers input.email, and nothing is written", async () => {
    const answer = await post(SIGN_UP, { input: { ...goodInput(), email: "not-an-email" } });
    expect(answer.status).toBe(400);
    expect(placed(answer)).toEqual({ code: "BAD_USER_INPUT", fields: ["input.email"] });
    expect(JSON.stringify(answer)).toMatch(/email address/);
  });

  it("a missing or unknown input field names the field", async () => {
    const { fullName: _dropped, ...withoutName } = goodInput();
    expect(placed(await post(SIGN_UP, { input: withoutName }))).toEqual({
      code: "BAD_USER_INPUT",
      fields: ["input.fullName"],
    });
    const input = { ...goodInput(), favouriteColour: "green" };
    expect(placed(await post(SIGN_UP, { input }))).toEqual({
      code: "BAD_USER_INPUT",
      fields: ["input.favouriteColour"],
    });
    expect(await emailIsFree(input.email)).toBe(true);
  });

  it("a UUID variable that is not one, or one not given, names the variable", async () => {
    const query = `query Org($id: UUID!) { organization(id: $id) { id } }`;
    expect(placed(await post(query, { id: "42" }))).toEqual({
      code: "BAD_USER_INPUT",
      fields: ["id"],
    });
    expect(placed(await post(query))).toEqual({ code: "BAD_USER_INPUT", fields: ["id"] });
  });

  it("a bad item of a list names its index", async () => {
    const p = await openProject(gh, { policy: {} });
    const result = await p.owner.client.request(CreateProjectPolicyDocument, {
      projectId: p.projectId,
      authMethods: ["EMAIL", "CARRIER_PIGEON" as never],
    });
    expect(placed(result)).toEqual({ code: "BAD_USER_INPUT", fields: ["authMethods[1]"] });
  });
});

describe("literals in the document", () => {
  it("an invalid email literal answers input.email", async () => {
    const answer = await post(
      `mutation { signUp(input: { fullName: "Ada", email: "nope", password: "${PASSWORD}" }) { user { id } } }`,
    );
    expect(answer.status).toBe(400);
    expect(placed(answer)).toEqual({ code: "BAD_USER_INPUT", fields: ["input.email"] });
  });

  it("a UUID argument, a missing and an unknown input field", async () => {
    expect(placed(await post(`{ organization(id: "zz") { id } }`))).toEqual({
      code: "BAD_USER_INPUT",
      fields: ["id"],
    });
    expect(
      placed(
        await post(
          `mutation { signUp(input: { email: "${uniqueEmail()}", password: "${PASSWORD}" }) { user { id } } }`,
        ),
      ),
    ).toEqual({ code: "BAD_USER_INPUT", fields: ["input.fullName"] });
    expect(
      placed(
        await post(
          `mutation { signUp(input: { fullName: "A", email: "${uniqueEmail()}", password: "${PASSWORD}", x: 1 }) { user { id } } }`,
        ),
      ),
    ).toEqual({ code: "BAD_USER_INPUT", fields: ["input.x"] });
  });

  it("errors that are not about a value carry no fields", async () => {
    const unknownField = await post(`{ me { id nope } }`);
    expect(unknownField.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(unknownField.errors?.[0]?.extensions?.fields).toBeUndefined();
    const wrongVariableType = await post(
      `query Org($id: String!) { organization(id: $id) { id } }`,
      { id: "x" },
    );
    expect(wrongVariableType.errors?.[0]?.extensions?.fields).toBeUndefined();
  });
});

describe("rules checked by services", () => {
  it("use the same paths: input.password, input.fullName", async () => {
    const result = await gh.client().request(SignUpDocument, {
      input: { fullName: " ", email: uniqueEmail(), password: "short" },
    });
    expect(placed(result)).toEqual({
      code: "BAD_USER_INPUT",
      fields: ["input.fullName", "input.password"],
    });
  });

  it("also behind a permission rule: changePassword and updateProfile name input.…", async () => {
    const signedIn = gh.client();
    await signedIn.ok(SignUpDocument, { input: goodInput() as SignUpInput });
    const change = await signedIn.request(ChangePasswordDocument, {
      input: { currentPassword: PASSWORD, newPassword: "short" },
    });
    expect(placed(change)).toEqual({ code: "BAD_USER_INPUT", fields: ["input.newPassword"] });
    const profile = await signedIn.request(UpdateProfileDocument, { input: { fullName: " " } });
    expect(placed(profile)).toEqual({ code: "BAD_USER_INPUT", fields: ["input.fullName"] });
  });

  it("an argument that is not an input object keeps its own name", async () => {
    const signedIn = gh.client();
    await signedIn.ok(SignUpDocument, { input: goodInput() as SignUpInput });
    const tooMany = await signedIn.raw(
      JSON.stringify({ query: `{ me { sessions(first: 1000) { totalCount } } }` }),
      { "content-type": "application/json" },
    );
    const body = (await tooMany.json()) as { errors?: Answer["errors"] };
    expect(placed(body)).toEqual({ code: "BAD_USER_INPUT", fields: ["first"] });
  });
});
