/**
 * A frontend team's app in real Chromium: Apollo Client 4 with `credentials: "include"`, the
 * README's refresh link (examples/apollo-refresh-link.ts), served from another port of
 * 127.0.0.1 that CORS_ORIGINS allows. Cookie sessions through expiry, refresh, log-out and
 * sign-out; a platform and an end-user session side by side; and the same app on an origin
 * outside CORS_ORIGINS, which can neither read answers nor change anything.
 */
import path from "node:path";
import { build } from "esbuild";
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogInDocument, RevokeAllSessionsDocument, SignUpDocument } from "./gql/graphql";
import {
  artifactPath,
  chromiumMissing,
  launchBrowser,
  serveStatic,
  watchPage,
  type PageWatch,
  type StaticServer,
} from "./helpers/browser";
import { openProject, type OpenProject } from "./helpers/end-users";
import { PASSWORD, startInstance, uniqueEmail, type Instance } from "./helpers/instance";

/** Short enough to wait out, long enough that a step never straddles two expiries. */
const ACCESS_TOKEN_TTL_SECONDS = 5;
const WAIT = { timeout: 20_000, interval: 200 };

interface Outcome<T = Record<string, unknown>> {
  data?: T;
  error?: string;
}
type MeData = { me: { id: string; email?: string } | null };
interface Counts {
  refreshes: number;
  signedOut: number;
  endUserRefreshes: number;
  endUserSignedOut: number;
}

/** The page's `window.app` (tests/browser/app/main.ts). page.evaluate sends a callback's source
 * to the page, so each callback reaches it through globalThis itself (casts are erased). */
interface AppWindow {
  app: Record<string, (...args: unknown[]) => unknown> & {
    counts: Counts;
    clearStore(): Promise<unknown>;
    forgeFormPost(target: string, query: string): void;
  };
}

async function bundleApp(): Promise<Record<string, string>> {
  const result = await build({
    entryPoints: [path.resolve(import.meta.dirname, "browser/app/main.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "chrome120",
    // Development: Apollo Client's errors keep their messages.
    define: { "process.env.NODE_ENV": '"development"' },
    logLevel: "silent",
  });
  const html =
    '<!doctype html><html><head><meta charset="utf-8"><title>Test app</title>' +
    '<link rel="icon" href="data:,">' +
    '<script type="module" src="/app.js"></script></head><body></body></html>';
  return { "/index.html": html, "/app.js": result.outputFiles[0]!.text };
}

describe.skipIf(chromiumMissing)("an Apollo Client app in Chromium", { timeout: 90_000 }, () => {
  let gh: Instance;
  let app: StaticServer;
  let foreign: StaticServer;
  let browser: Browser;
  let project: OpenProject;

  beforeAll(async () => {
    const files = await bundleApp();
    // Same site as Gatehouse (127.0.0.1, another port) and listed; `localhost` is another site
    // and not listed.
    [app, foreign, browser] = await Promise.all([
      serveStatic(files, { hostname: "127.0.0.1" }),
      serveStatic(files, { hostname: "localhost" }),
      launchBrowser(),
    ]);
    gh = await startInstance({
      env: { CORS_ORIGINS: app.url, ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL_SECONDS) },
    });
    project = await openProject(gh);
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([gh?.close(), app?.close(), foreign?.close()]);
  });

  /** A fresh browser profile on the app at `origin`, with its problems and GraphQL requests. */
  async function openApp(origin: StaticServer = app) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT.timeout);
    const watch = await watchPage(page, {
      // Refused cross-origin requests are what the foreign-origin test provokes.
      ignore: origin === foreign ? [/CORS|Failed to fetch|net::ERR_FAILED/] : [],
    });
    const operations: string[] = [];
    page.on("request", (request: Request) => {
      if (!request.url().startsWith(`${gh.url}/graphql`) || request.method() !== "POST") return;
      const name = /"operationName":"(\w+)"|mutation (\w+)/.exec(request.postData() ?? "");
      operations.push(name?.[1] ?? name?.[2] ?? "?");
    });
    const query = new URLSearchParams({ gatehouse: gh.url, projectId: project.projectId });
    await page.goto(`${origin.url}/?${query}`);
    await page.waitForSelector("body[data-ready=true]", { state: "attached" });
    return { context, page, watch, operations };
  }

  const call = <T = Record<string, unknown>>(page: Page, method: string, ...args: unknown[]) =>
    page.evaluate(([name, params]) => (globalThis as unknown as AppWindow).app[name]!(...params), [
      method,
      args,
    ] as [string, unknown[]]) as Promise<Outcome<T>>;

  const counts = (page: Page) =>
    page.evaluate(() => ({ ...(globalThis as unknown as AppWindow).app.counts }));

  /** Waits until the browser itself has dropped the expired access cookie(s). */
  async function accessCookiesExpire(context: BrowserContext, names: string[]): Promise<void> {
    await expect
      .poll(async () => {
        const held = (await context.cookies(`${gh.url}/graphql`)).map((c) => c.name);
        return names.filter((name) => held.includes(name));
      }, WAIT)
      .toEqual([]);
  }

  function expectNoProblems(watch: PageWatch): void {
    expect(watch.problems()).toEqual([]);
  }

  it("signs up, refreshes once for parallel queries after expiry, logs out and clears the store", async () => {
    const { context, page, watch, operations } = await openApp();
    const email = uniqueEmail("browser");
    const signed = await call<{ signUp: { user: { email: string } } }>(
      page,
      "signUp",
      email,
      PASSWORD,
    );
    expect(signed.data?.signUp.user.email).toBe(email);
    const me = await call<MeData>(page, "me");
    expect(me.data?.me?.email).toBe(email);

    await accessCookiesExpire(context, ["gh_at"]);
    // The refresh cookie is still there: the server says ACCESS_TOKEN_EXPIRED, not "signed out".
    expect((await context.cookies(`${gh.url}/graphql`)).map((c) => c.name)).toContain("gh_rt");
    operations.length = 0;
    // Counted from here: on a loaded machine an earlier step may already have refreshed.
    const before = await counts(page);
    const parallel = await call<Outcome<MeData>[]>(page, "parallel");
    for (const outcome of parallel as unknown as Outcome<MeData>[]) {
      expect(outcome.error).toBeUndefined();
      expect(outcome.data?.me?.id).toBe(me.data?.me?.id);
    }
    expect(operations.filter((name) => name === "Refresh")).toHaveLength(1);
    expect(operations.filter((name) => name !== "Refresh")).toHaveLength(6); // 3 refused, 3 retried
    expect(await counts(page)).toMatchObject({ refreshes: before.refreshes + 1, signedOut: 0 });

    expect((await call(page, "logOut")).data).toEqual({ logOut: true });
    // Apollo's cache still answers for the user who left: the README says to clear the store.
    expect((await call<MeData>(page, "me", "cache-first")).data?.me?.email).toBe(email);
    await page.evaluate(() => (globalThis as unknown as AppWindow).app.clearStore());
    expect((await call<MeData>(page, "me", "cache-first")).data).toEqual({ me: null });
    expect(await counts(page)).toMatchObject({ refreshes: before.refreshes + 1, signedOut: 0 });
    expectNoProblems(watch);
    await page.screenshot({ path: artifactPath("browser-app.png") });
    await context.close();
  });

  it("signs the app out when the refresh is refused (the session ended elsewhere)", async () => {
    const { context, page, watch } = await openApp();
    const email = uniqueEmail("elsewhere");
    await call(page, "signUp", email, PASSWORD);
    // "Sign out of every other device" from another device.
    const other = gh.client();
    await other.ok(LogInDocument, { input: { email, password: PASSWORD } });
    await other.ok(RevokeAllSessionsDocument, { keepCurrent: true });

    await accessCookiesExpire(context, ["gh_at"]);
    const before = await counts(page);
    const refused = await call<MeData>(page, "me");
    expect(refused.error).toMatch(/expired/i);
    expect(await counts(page)).toMatchObject({
      refreshes: before.refreshes + 1,
      signedOut: before.signedOut + 1,
    });
    // The refused refresh cleared the refresh cookie: from now on the app is simply signed out.
    expect((await context.cookies(`${gh.url}/graphql`)).map((c) => c.name)).not.toContain("gh_rt");
    expect((await call<MeData>(page, "me")).data).toEqual({ me: null });
    expect(await counts(page)).toMatchObject({
      refreshes: before.refreshes + 1,
      signedOut: before.signedOut + 1,
    });
    expectNoProblems(watch);
    await context.close();
  });

  it("holds a platform session and a project's end-user session side by side", async () => {
    const { context, page, watch } = await openApp();
    const staffEmail = uniqueEmail("staff");
    const customerEmail = uniqueEmail("customer");
    await call(page, "signUp", staffEmail, PASSWORD);
    const customer = await call<{ endUserSignUp: { endUser: { email: string } } }>(
      page,
      "endUserSignUp",
      customerEmail,
      PASSWORD,
    );
    expect(customer.data?.endUserSignUp.endUser.email).toBe(customerEmail);
    const ids = project.projectId;
    const names = (await context.cookies(`${gh.url}/graphql`)).map((c) => c.name).sort();
    expect(names).toEqual(["gh_at", "gh_rt", `ghp_${ids}_at`, `ghp_${ids}_rt`].sort());

    await accessCookiesExpire(context, ["gh_at", `ghp_${ids}_at`]);
    const before = await counts(page);
    const [me, endUserMe] = await Promise.all([
      call<MeData>(page, "me"),
      call<{ endUserMe: { email: string } | null }>(page, "endUserMe"),
    ]);
    expect(me.data?.me?.email).toBe(staffEmail);
    expect(endUserMe.data?.endUserMe?.email).toBe(customerEmail);
    // Each session refreshed itself, once.
    expect(await counts(page)).toEqual({
      refreshes: before.refreshes + 1,
      signedOut: 0,
      endUserRefreshes: before.endUserRefreshes + 1,
      endUserSignedOut: 0,
    });
    expectNoProblems(watch);
    await context.close();
  });

  it("on an origin outside CORS_ORIGINS, reads nothing and changes nothing", async () => {
    // The same browser holds a live session from the real app.
    const real = await openApp();
    const email = uniqueEmail("victim");
    await call(real.page, "signUp", email, PASSWORD);
    const evil = await real.context.newPage();
    evil.setDefaultTimeout(WAIT.timeout);
    const query = new URLSearchParams({ gatehouse: gh.url, projectId: project.projectId });
    await evil.goto(`${foreign.url}/?${query}`);
    await evil.waitForSelector("body[data-ready=true]", { state: "attached" });

    // Reading: the browser refuses the answer (no CORS headers for this origin).
    const read = await call<MeData>(evil, "me");
    expect(read.data).toBeUndefined();
    expect(read.error).toMatch(/fetch/i);
    // Writing through the API: the preflight fails, the sign-up never reaches the server.
    const attempted = uniqueEmail("forged");
    expect((await call(evil, "signUp", attempted, PASSWORD)).error).toMatch(/fetch/i);

    // A cross-site form POST needs no preflight: CSRF prevention refuses it.
    const answer = evil.waitForResponse((response) => response.url() === `${gh.url}/graphql`);
    await evil.evaluate(
      (target) =>
        (globalThis as unknown as AppWindow).app.forgeFormPost(target, "mutation { logOut }"),
      `${gh.url}/graphql`,
    );
    const refused = await answer;
    expect(refused.status()).toBe(400);
    expect(await refused.text()).toMatch(/Cross-Site Request Forgery/);

    // Nothing changed: the session is live and the forged sign-up never happened.
    expect((await call<MeData>(real.page, "me")).data?.me?.email).toBe(email);
    const forged = await gh.client().request(SignUpDocument, {
      input: { fullName: "Forged", email: attempted, password: PASSWORD },
    });
    expect(forged.errors).toBeUndefined();
    expectNoProblems(real.watch);
    await real.context.close();
  });
});
