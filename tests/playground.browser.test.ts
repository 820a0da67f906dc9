/**
 * The playground in real Chromium: sign up and ask `me` from GraphiQL's own editor and buttons,
 * browse the docs, and not one Content-Security-Policy violation or console error on the way.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  artifactPath,
  chromiumMissing,
  launchBrowser,
  watchPage,
  type PageWatch,
} from "./helpers/browser";
import { PASSWORD, startInstance, uniqueEmail, type Instance } from "./helpers/instance";

/** Generous: Chromium, Argon2 and the suite's other files share a small, busy machine. */
const WAIT = { timeout: 20_000 };

// One visit, step by step: each test continues where the previous one left the page.
describe.skipIf(chromiumMissing)("the GraphQL playground in Chromium", { timeout: 60_000 }, () => {
  let gh: Instance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;

  beforeAll(async () => {
    [gh, browser] = await Promise.all([startInstance(), launchBrowser()]);
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT.timeout);
    watch = await watchPage(page);
  });
  afterEach(async ({ task }) => {
    if (task.result?.state === "fail" && page) {
      await page.screenshot({ path: artifactPath("playground-failure.png") }).catch(() => {});
    }
  });
  afterAll(async () => {
    await browser?.close();
    await gh?.close();
  });

  /**
   * Replaces the query editor's text the way a paste would, waits until GraphiQL has taken it in
   * (the tab is named after the operation: the editor's changes reach its state after a debounce,
   * and ▶ would otherwise run, or offer a menu of, the previous document), then presses ▶.
   */
  async function run(operationName: string, query: string): Promise<void> {
    await page.locator(".graphiql-query-editor .CodeMirror").click();
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.insertText(query);
    await expect
      .poll(() => page.getByRole("tab", { selected: true }).innerText(), WAIT)
      .toBe(operationName);
    await page.getByRole("button", { name: /^Execute query/ }).click();
  }

  const response = () => page.locator(".graphiql-response .CodeMirror-code").innerText();

  it("opens at GET /graphql from the server's own assets", async () => {
    const navigation = await page.goto(`${gh.url}/graphql`);
    expect(navigation?.status()).toBe(200);
    expect(navigation?.headers()["content-security-policy"]).toMatch(/^default-src 'none';/);
    await page.locator(".graphiql-query-editor .CodeMirror").waitFor(WAIT);
    // The default query is the commented example.
    await expect
      .poll(() => page.locator(".graphiql-query-editor .CodeMirror-code").innerText(), WAIT)
      .toContain("Welcome to the Gatehouse playground");
  });

  it("signs up from the editor, then `me` answers with the new account (cookies)", async () => {
    const email = uniqueEmail("playground");
    const sent = page.waitForRequest(
      (request) =>
        request.url() === `${gh.url}/graphql` &&
        (request.postData() ?? "").includes("SignUpFromPlayground"),
    );
    await run(
      "SignUpFromPlayground",
      [
        "mutation SignUpFromPlayground {",
        `  signUp(input: { fullName: "Play Ground", email: "${email}", password: "${PASSWORD}" }) {`,
        "    user { email }",
        "  }",
        "}",
      ].join("\n"),
    );
    expect((await sent).headers()["apollo-require-preflight"]).toBe("true");
    await expect.poll(response, WAIT).toMatch(/"signUp": \{\s*"user": \{\s*"email": "/);
    expect(await response()).toContain(email);
    expect(await response()).not.toContain('"errors"');
    // The refresh cookie is scoped to /graphql.
    const cookies = await context.cookies(`${gh.url}/graphql`);
    expect(cookies.map((cookie) => cookie.name).sort()).toEqual(["gh_at", "gh_rt"]);

    await run("MeFromPlayground", "query MeFromPlayground { me { email } }");
    await expect.poll(response, WAIT).toMatch(/"me": \{\s*"email": "/);
    expect(await response()).toContain(`"email": "${email}"`);
  });

  it("opens the docs explorer down to a field, on the schema it introspected", async () => {
    await page.getByRole("button", { name: "Show Documentation Explorer" }).click();
    const docs = page.locator(".graphiql-doc-explorer");
    await docs.getByText("Root Types").waitFor(WAIT);
    await docs.getByRole("link", { name: "Query" }).first().click();
    await docs.getByText("The signed-in platform user", { exact: false }).first().waitFor(WAIT);
    await page.screenshot({ path: artifactPath("playground.png") });
  });

  it("opens the settings dialog (a Radix dialog: its scroll lock injects a nonce'd <style>)", async () => {
    await page.getByRole("button", { name: "Open settings dialog" }).click();
    await page.getByRole("dialog").waitFor(WAIT);
    // The scroll lock's <style>, applied because it carries the nonce (the attribute reads back
    // empty: nonce hiding).
    const nonces = (await page.evaluate(
      "[...document.querySelectorAll('style')].map((style) => style.nonce)",
    )) as string[];
    expect(nonces.length).toBeGreaterThan(0);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached", ...WAIT });
  });

  it("saw no CSP violation, console error or failed request", () => {
    expect(watch.problems()).toEqual([]);
  });
});
