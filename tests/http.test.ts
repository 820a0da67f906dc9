import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRequire } from "node:module";
import { GraphQLError } from "graphql";
import { AppError } from "../src/errors";
import { formatError } from "../src/graphql/errors";
import type * as GraphQLModule from "graphql";
import { allow, rule } from "graphql-shield";
import { FORBIDDEN_ERROR } from "../src/graphql/rules";
import { applyPermissions } from "../src/graphql/schema";
import { MeDocument, SignUpDocument, UpdateProfileDocument } from "./gql/graphql";
import { errorCodes } from "./helpers/client";
import { signUp } from "./helpers/flows";
import { PASSWORD, startInstance, uniqueEmail, type Instance } from "./helpers/instance";

const APP_ORIGIN = "https://app.example.com";
let gh: Instance;
beforeAll(async () => {
  gh = await startInstance({ env: { CORS_ORIGINS: `${APP_ORIGIN},http://localhost:5173` } });
});
afterAll(() => gh?.close());

describe("REST endpoints", () => {
  it("healthz and readyz answer", async () => {
    expect(await (await fetch(`${gh.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${gh.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready" });
  });

  it("unknown paths are 404 in GraphQL's error shape", async () => {
    const response = await fetch(`${gh.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({
      errors: [{ extensions: { code: "NOT_FOUND" } }],
    });
  });
});

describe("CSRF prevention", () => {
  it("refuses a mutation sent as GET", async () => {
    const query = encodeURIComponent("mutation { logOut }");
    const response = await fetch(`${gh.url}/graphql?query=${query}`);
    expect(response.status).toBeGreaterThanOrEqual(400);
    const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it.each([
    ["a form post", "application/x-www-form-urlencoded", "query=mutation%20%7B%20logOut%20%7D"],
    ["a text/plain post", "text/plain", JSON.stringify({ query: "mutation { logOut }" })],
  ])(
    "refuses %s carrying the victim's cookies, and nothing happens",
    async (_label, type, body) => {
      const browser = gh.client();
      await signUp(browser);
      const response = await browser.raw(body, {
        "content-type": type,
        origin: "https://evil.example.com",
      });
      expect(response.status).toBe(400);
      expect(
        ((await response.json()) as { errors: { message: string }[] }).errors[0]?.message,
      ).toMatch(/CSRF/i);
      // Still signed in: the forged log-out never ran.
      expect((await browser.ok(MeDocument)).me).not.toBeNull();
    },
  );
});

describe("CORS", () => {
  const preflight = (origin: string) =>
    fetch(`${gh.url}/graphql`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });

  it("allows listed origins with credentials", async () => {
    const response = await preflight(APP_ORIGIN);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(response.headers.get("access-control-allow-credentials")).toBe("true");
  });

  it("gives other origins no CORS headers", async () => {
    const response = await preflight("https://evil.example.com");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("cookies in production", () => {
  let prod: Instance;
  beforeAll(async () => {
    prod = await startInstance({
      env: {
        NODE_ENV: "production",
        ALLOW_PGLITE_IN_PRODUCTION: "true",
        PUBLIC_URL: "https://auth.example.com",
      },
    });
  });
  afterAll(() => prod?.close());

  it("are httpOnly, Secure, SameSite=Lax, prefixed, and the refresh cookie is scoped to /graphql", async () => {
    const response = await prod.client().raw(
      JSON.stringify({
        query: "mutation($i: SignUpInput!) { signUp(input: $i) { user { id } } }",
        variables: { i: { fullName: "Prod", email: uniqueEmail(), password: PASSWORD } },
      }),
      { "content-type": "application/json" },
    );
    expect(response.headers.get("cache-control")).toBe("no-store");
    const cookies = response.headers.getSetCookie();
    expect(await response.json()).toMatchObject({ data: { signUp: { user: {} } } });
    const access = cookies.find((c) => c.startsWith("__Host-gh_at="));
    const refresh = cookies.find((c) => c.startsWith("__Secure-gh_rt="));
    expect(access).toBeDefined();
    expect(refresh).toBeDefined();
    for (const cookie of [access!, refresh!]) {
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/; SameSite=Lax/);
      expect(cookie).not.toMatch(/; Domain=/i);
    }
    expect(access).toMatch(/; Path=\/(;|$)/);
    expect(refresh).toMatch(/; Path=\/graphql(;|$)/);
  });
});

describe("bad requests", () => {
  const post = (body: string, type = "application/json") =>
    fetch(`${gh.url}/graphql`, { method: "POST", headers: { "content-type": type }, body });

  it("an oversized body is 413 with BAD_USER_INPUT", async () => {
    const response = await post(
      JSON.stringify({ query: "{ me { id } }", variables: { x: "x".repeat(3 * 1024 * 1024) } }),
    );
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({
      errors: [{ extensions: { code: "BAD_USER_INPUT" } }],
    });
  });

  it("malformed JSON is 400 with BAD_USER_INPUT", async () => {
    const response = await post("{not json");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      errors: [{ extensions: { code: "BAD_USER_INPUT" } }],
    });
  });

  it("an unknown field and a syntax error are BAD_USER_INPUT without stack traces", async () => {
    for (const query of ["{ me { password } }", "{ me { "]) {
      const response = await post(JSON.stringify({ query }));
      const body = (await response.json()) as { errors: { extensions: Record<string, unknown> }[] };
      expect(body.errors[0]?.extensions.code).toBe("BAD_USER_INPUT");
      expect(JSON.stringify(body)).not.toMatch(/stacktrace|at .*\.ts:\d+/);
    }
  });

  it("a wrong variable type is BAD_USER_INPUT", async () => {
    const result = await gh.client().request(SignUpDocument, {
      input: { fullName: "x", email: uniqueEmail(), password: 12345678 as unknown as string },
    });
    expect(errorCodes(result)).toEqual(["BAD_USER_INPUT"]);
  });

  it("every response carries a request id, and a caller's own id is echoed", async () => {
    const own = await fetch(`${gh.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "trace-123" },
      body: JSON.stringify({ query: "{ me { id } }" }),
    });
    expect(own.headers.get("x-request-id")).toBe("trace-123");
    const generated = await post(JSON.stringify({ query: "{ me { id } }" }));
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("when the database is down", () => {
  it("answers SERVICE_UNAVAILABLE (503) and readyz fails, with no SQL in the answer", async () => {
    const iso = await startInstance({ isolated: true });
    try {
      const client = iso.client();
      await signUp(client);
      await iso.database.close();
      const response = await client.raw(JSON.stringify({ query: "{ me { id } }" }), {
        "content-type": "application/json",
      });
      expect(response.status).toBe(503);
      const body = JSON.stringify(await response.json());
      expect(body).toContain("SERVICE_UNAVAILABLE");
      expect(body).not.toMatch(/select|sessions|users/i);
      expect((await fetch(`${iso.url}/readyz`)).status).toBe(503);
    } finally {
      await iso.close().catch(() => {});
    }
  });
});

describe("error masking", () => {
  it("never passes an unexpected error's message through, even when Apollo labelled it", () => {
    const leaked = new GraphQLError('Failed query: select "password_hash" from "users"', {
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
    const formatted = formatError(
      { message: leaked.message, extensions: leaked.extensions },
      leaked,
    );
    expect(formatted).toMatchObject({
      message: "Internal server error",
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    });
    const plain = new Error("connect ECONNREFUSED 10.0.0.5:5432");
    expect(formatError({ message: plain.message }, plain).message).toBe("Internal server error");
  });

  it("keeps a domain error's code, message and fields", () => {
    const error = new AppError(
      { code: "BAD_USER_INPUT", message: "Nope" },
      { fields: [{ field: "x", message: "bad" }] },
    );
    expect(formatError({ message: "ignored" }, error)).toMatchObject({
      message: "Nope",
      extensions: { code: "BAD_USER_INPUT", fields: [{ field: "x", message: "bad" }] },
    });
  });
});

describe("authorization layer (graphql-shield)", () => {
  it("refuses an anonymous mutation at the shield with UNAUTHENTICATED", async () => {
    const result = await gh.client().request(UpdateProfileDocument, { input: { fullName: "x" } });
    expect(errorCodes(result)).toEqual(["UNAUTHENTICATED"]);
  });

  it("closes a field nobody wrote a rule for (fallback deny, FORBIDDEN)", async () => {
    // The same function the server applies its rules with (it unwraps `allow` fields), over a
    // schema with unruled fields. graphql-shield loads graphql's CommonJS build; the schema
    // must come from the same one.
    const { graphql, buildSchema: buildSdl } = createRequire(import.meta.url)(
      "graphql",
    ) as typeof GraphQLModule;
    const schema = applyPermissions(
      buildSdl(`type Query { open: String, forgotten: String, refused: String, thing: Thing }
        type Thing { shown: String, hidden: String }
        type Other { a: String }`),
      {
        Query: { open: allow, thing: allow, refused: rule()(() => FORBIDDEN_ERROR()) },
        Thing: { shown: allow },
      },
    );
    const rootValue = {
      open: () => "yes",
      forgotten: () => "leaked",
      refused: () => "leaked",
      thing: { shown: "yes", hidden: "leaked" },
    };
    const open = await graphql({ schema, source: "{ open thing { shown } }", rootValue });
    expect(open).toEqual({ data: { open: "yes", thing: { shown: "yes" } } });
    for (const source of ["{ forgotten }", "{ refused }", "{ thing { hidden } }"]) {
      const closed = await graphql({ schema, source, rootValue });
      expect(JSON.stringify(closed.data)).not.toContain("leaked");
      expect(closed.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
  });

  it("covers every field of the real schema with an explicit rule", async () => {
    const { buildBareSchema, gatehouseRules } = await import("../src/graphql/schema");
    const schema = await buildBareSchema();
    const rules = gatehouseRules as Record<string, unknown>;
    const missing: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (
        type.name.startsWith("__") ||
        !("getFields" in type) ||
        type.constructor.name !== "GraphQLObjectType"
      )
        continue;
      const typeRules = rules[type.name];
      if (typeRules === undefined) {
        missing.push(type.name);
        continue;
      }
      if (
        typeof typeRules === "object" &&
        typeRules !== null &&
        !("resolve" in typeRules) &&
        !("*" in typeRules)
      ) {
        for (const field of Object.keys(type.getFields())) {
          if (!(field in typeRules)) missing.push(`${type.name}.${field}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

describe("operation limits", () => {
  it("refuses a query of thousands of aliases with BAD_USER_INPUT, before running it", async () => {
    const aliases = Array.from(
      { length: 1000 },
      (_, i) => `a${i}: me { sessions(first: 100) { edges { node { id } } } }`,
    );
    const response = await fetch(`${gh.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `{ ${aliases.join(" ")} }` }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      errors: { message: string; extensions: { code: string } }[];
    };
    expect(body.errors[0]?.extensions.code).toBe("BAD_USER_INPUT");
    expect(body.errors[0]?.message).toMatch(/too large/);
  });

  it("prices one document afresh for each page size and @include it is sent with", async () => {
    // The cost is cached per parsed document: the variables it depends on are part of the key.
    const aliases = Array.from(
      { length: 500 },
      (_, i) => `a${i}: me @include(if: $on) { sessions(first: $n) { edges { node { id } } } }`,
    );
    const query = `query Q($n: Int, $on: Boolean!) { ${aliases.join(" ")} }`;
    const send = async (variables: object) => {
      const response = await fetch(`${gh.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { errors?: { extensions: { code: string } }[] };
      return body.errors?.[0]?.extensions.code ?? "OK";
    };
    expect(await send({ n: 1, on: true })).toBe("OK");
    expect(await send({ n: 100, on: true })).toBe("BAD_USER_INPUT");
    expect(await send({ n: 100, on: false })).toBe("OK");
    expect(await send({ n: 100, on: true })).toBe("BAD_USER_INPUT");
    expect(await send({ n: 1, on: true })).toBe("OK");
  });

  it("refuses a request with more than 10 mutations", async () => {
    const email = uniqueEmail("many");
    const fields = Array.from(
      { length: 11 },
      (_, i) =>
        `m${i}: logIn(input: { email: "${email}", password: "wrong password!" }) { __typename }`,
    );
    const response = await fetch(`${gh.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: `mutation { ${fields.join(" ")} }` }),
    });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]?.extensions.code).toBe("BAD_USER_INPUT");
  });

  it("counts mutations inside fragments too", async () => {
    const email = uniqueEmail("fragments");
    const fields = Array.from(
      { length: 11 },
      (_, i) =>
        `m${i}: logIn(input: { email: "${email}", password: "wrong password!" }) { __typename }`,
    );
    const response = await fetch(`${gh.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: `mutation { ...A ...B } fragment A on Mutation { ${fields.slice(0, 6).join(" ")} } fragment B on Mutation { ${fields.slice(6).join(" ")} }`,
      }),
    });
    const body = (await response.json()) as {
      data?: unknown;
      errors: { extensions: { code: string } }[];
    };
    expect(body.errors[0]?.extensions.code).toBe("BAD_USER_INPUT");
    expect(body.data).toBeUndefined();
  });

  it("lets an ordinary nested query through", async () => {
    const client = gh.client();
    await signUp(client);
    const result = await client.raw(
      JSON.stringify({
        query: "{ me { id sessions(first: 100) { totalCount edges { node { id current } } } } }",
      }),
      { "content-type": "application/json" },
    );
    expect(((await result.json()) as { errors?: unknown }).errors).toBeUndefined();
  });
});
