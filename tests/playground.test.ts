import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fs from "node:fs";
import { PLAYGROUND_MANIFEST } from "../src/http/playground";
import { startInstance, type Instance } from "./helpers/instance";

/** What Chromium sends when navigating. */
const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const PRODUCTION = {
  NODE_ENV: "production",
  ALLOW_PGLITE_IN_PRODUCTION: "true",
  PUBLIC_URL: "https://auth.example.com",
};
const INTROSPECTION = JSON.stringify({ query: "{ __schema { queryType { name } } }" });

const openPage = (instance: Instance) =>
  fetch(`${instance.url}/graphql`, { headers: { accept: BROWSER_ACCEPT } });

/** The page's asset URLs, from its <script src> and <link href>. */
function assetsOf(html: string): { scripts: string[]; stylesheets: string[] } {
  return {
    scripts: [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!),
    stylesheets: [...html.matchAll(/<link\b[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map(
      (m) => m[1]!,
    ),
  };
}

const directives = (policy: string) =>
  Object.fromEntries(
    policy.split(";").map((part) => {
      const [name, ...values] = part.trim().split(/\s+/);
      return [name!, values.join(" ")];
    }),
  );

describe("the GraphQL playground (development defaults)", () => {
  let gh: Instance;
  let html: string;
  let response: Response;
  beforeAll(async () => {
    gh = await startInstance();
    response = await openPage(gh);
    html = await response.text();
  });
  afterAll(() => gh?.close());

  it("answers a browser's GET /graphql with GraphiQL's page, under a strict policy", () => {
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(html).toContain('<div id="graphiql">');
    const policy = directives(response.headers.get("content-security-policy") ?? "");
    const nonce = /<meta property="csp-nonce" nonce="([^"]+)"/.exec(html)?.[1];
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(policy).toEqual({
      "default-src": "'none'",
      "script-src": "'self'",
      "style-src": `'self' 'nonce-${nonce}'`,
      "connect-src": "'self'",
      "img-src": "'self' data:",
      "font-src": "'self' data:",
      "base-uri": "'none'",
      "form-action": "'none'",
      "frame-ancestors": "'none'",
    });
  });

  it("has no inline script, style or event handler, and loads nothing from elsewhere", () => {
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) expect(tag).toMatch(/\bsrc="\//);
    expect(html).not.toMatch(/<script\b[^>]*>[^<]+<\/script>/);
    expect(html).not.toMatch(/<style\b/);
    expect(html).not.toMatch(/\s(on[a-z]+|style)=/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it("gives every response a new nonce", async () => {
    const again = await openPage(gh);
    expect(again.headers.get("content-security-policy")).not.toBe(
      response.headers.get("content-security-policy"),
    );
  });

  it("serves the assets it names, with their content types and long-lived caching", async () => {
    const { scripts, stylesheets } = assetsOf(html);
    expect(scripts).toHaveLength(1);
    expect(stylesheets).toHaveLength(1);
    for (const [url, type] of [
      [scripts[0]!, "text/javascript; charset=utf-8"],
      [stylesheets[0]!, "text/css; charset=utf-8"],
    ] as const) {
      expect(url).toMatch(/^\/playground\/main-[A-Z0-9]+\.(js|css)$/);
      const asset = await fetch(`${gh.url}${url}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get("content-type")).toBe(type);
      expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(asset.headers.get("x-content-type-options")).toBe("nosniff");
      expect(asset.headers.get("content-security-policy")).toMatch(/^default-src 'none';/);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
    const missing = await fetch(`${gh.url}/playground/nope.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ errors: [{ extensions: { code: "NOT_FOUND" } }] });
  });

  it("bundles the nonce hand-over and the CSRF header, and no CDN", async () => {
    const script = await (await fetch(`${gh.url}${assetsOf(html).scripts[0]}`)).text();
    expect(script).toContain("csp-nonce");
    expect(script).toContain("apollo-require-preflight");
    expect(script).not.toMatch(/unpkg\.com|jsdelivr|cdn\.apollographql|embeddable-sandbox/);
  });

  it.each([
    ["no Accept", {}],
    ["Accept: application/json", { accept: "application/json" }],
    ["Accept: */*", { accept: "*/*" }],
    ["the GraphQL media type", { accept: "application/graphql-response+json" }],
  ])("leaves a GET with %s to Apollo", async (_label, headers) => {
    const refused = await fetch(`${gh.url}/graphql?query=%7B__typename%7D`, { headers });
    expect(refused.status).toBe(400);
    expect(refused.headers.get("content-type")).toMatch(/json/);
    expect(JSON.stringify(await refused.json())).toMatch(/CSRF/);
    const preflighted = await fetch(`${gh.url}/graphql?query=%7B__typename%7D`, {
      headers: { ...headers, "apollo-require-preflight": "true" },
    });
    expect(await preflighted.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("leaves POST to Apollo, even from a client that prefers HTML", async () => {
    const answer = await fetch(`${gh.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: BROWSER_ACCEPT },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { __typename: "Query" } });
  });
});

describe("the GraphQL playground in production", () => {
  it("is off by default: a browser's GET is Apollo's, the assets 404, introspection off", async () => {
    const prod = await startInstance({ env: PRODUCTION });
    try {
      expect(prod.config.graphql).toEqual({ playground: false, introspection: false });
      const page = await openPage(prod);
      expect(page.status).toBe(400);
      expect(page.headers.get("content-type")).toMatch(/^application\/json/);
      expect(JSON.stringify(await page.json())).toMatch(/CSRF/);
      // The files of the build that the other instances serve.
      const manifest = JSON.parse(fs.readFileSync(PLAYGROUND_MANIFEST, "utf8")) as {
        script: string;
        stylesheet: string;
      };
      for (const file of [manifest.script, manifest.stylesheet]) {
        expect((await fetch(`${prod.url}/playground/${file}`)).status).toBe(404);
      }
      const introspection = await prod.client().raw(INTROSPECTION, {
        "content-type": "application/json",
      });
      expect(JSON.stringify(await introspection.json())).toMatch(/introspection/i);
    } finally {
      await prod.close();
    }
  });

  it("is on with GRAPHQL_PLAYGROUND=true, and so is introspection (its docs need it)", async () => {
    const prod = await startInstance({ env: { ...PRODUCTION, GRAPHQL_PLAYGROUND: "true" } });
    try {
      expect(prod.config.graphql).toEqual({ playground: true, introspection: true });
      const page = await openPage(prod);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(page.headers.get("content-security-policy")).toMatch(/^default-src 'none';/);
      const script = await fetch(`${prod.url}${assetsOf(html).scripts[0]}`);
      expect(script.status).toBe(200);
      const introspection = await prod.client().raw(INTROSPECTION, {
        "content-type": "application/json",
      });
      expect(await introspection.json()).toEqual({
        data: { __schema: { queryType: { name: "Query" } } },
      });
    } finally {
      await prod.close();
    }
  });

  it("can be turned off outside production, and Apollo's CDN landing page stays off", async () => {
    const off = await startInstance({ env: { GRAPHQL_PLAYGROUND: "false" } });
    try {
      expect(off.config.graphql).toEqual({ playground: false, introspection: true });
      const page = await openPage(off);
      expect(page.status).toBe(400);
      expect(page.headers.get("content-type")).toMatch(/^application\/json/);
      expect(JSON.stringify(await page.json())).toMatch(/CSRF/);
    } finally {
      await off.close();
    }
  });
});
