/**
 * The browser harness itself (tests/helpers/browser.ts): a page from serveStatic's second
 * origin, and proof that watchPage sees what the other browser tests assert never happens.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { chromiumMissing, launchBrowser, serveStatic, watchPage } from "./helpers/browser";

const PAGE = `<!doctype html><html><head><script src="/app.js"></script></head><body></body></html>`;
const APP = `
  document.addEventListener("DOMContentLoaded", () => {
    const style = document.createElement("style");
    style.textContent = "body { color: red }";
    document.head.append(style);
    console.error("something went wrong");
    setTimeout(() => { throw new Error("uncaught in the page"); });
  });
`;

describe("serveStatic", () => {
  it("serves a folder and in-memory files, / as index.html, 404 otherwise", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-static-"));
    fs.writeFileSync(path.join(dir, "index.html"), "<p>folder</p>");
    const folder = await serveStatic(dir);
    const files = await serveStatic({ "/index.html": "<p>memory</p>", "/a.js": "1" });
    try {
      expect(folder.url).toMatch(/^http:\/\/localhost:\d+$/);
      const index = await fetch(`${folder.url.replace("localhost", "127.0.0.1")}/`);
      expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await index.text()).toBe("<p>folder</p>");
      const base = files.url.replace("localhost", "127.0.0.1");
      expect(await (await fetch(`${base}/`)).text()).toBe("<p>memory</p>");
      expect((await fetch(`${base}/a.js`)).headers.get("content-type")).toMatch(
        /^text\/javascript/,
      );
      expect((await fetch(`${base}/nope.js`)).status).toBe(404);
      // fetch would resolve a plain "..": encoded slashes reach the server.
      const outside = `/..%2f..%2f..%2f..%2fetc%2fpasswd`;
      expect(
        (await fetch(`${folder.url.replace("localhost", "127.0.0.1")}${outside}`)).status,
      ).toBe(404);
    } finally {
      await Promise.all([folder.close(), files.close()]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(chromiumMissing)("watchPage in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(() => browser?.close());

  it("reports a CSP violation, a console error and an uncaught error", async () => {
    const app = await serveStatic(
      { "/index.html": PAGE, "/app.js": APP },
      { headers: { "content-security-policy": "default-src 'none'; script-src 'self'" } },
    );
    try {
      const page = await browser.newPage();
      const watch = await watchPage(page, { ignore: [/favicon/] });
      await page.goto(`${app.url}/`);
      await expect.poll(() => watch.pageErrors.length, { timeout: 20_000 }).toBe(1);
      expect(watch.cspViolations).toEqual([
        expect.objectContaining({ directive: "style-src-elem", blockedUri: "inline" }),
      ]);
      const problems = watch.problems();
      expect(problems).toContainEqual(expect.stringMatching(/^CSP violation: style-src-elem/));
      expect(problems).toContainEqual(
        expect.stringMatching(/^console error: something went wrong/),
      );
      expect(problems).toContainEqual(expect.stringMatching(/^page error: .*uncaught in the page/));
    } finally {
      await app.close();
    }
  });
});
