/**
 * Tests in a real browser: the system's Chromium driven by playwright-core (which never
 * downloads one). A test file guards itself with
 *
 *   describe.skipIf(chromiumMissing)("…", () => { … })
 *
 * and the reason is printed once per file when Chromium is absent. `watchPage` collects what
 * should never happen on a page (console errors, uncaught errors, Content-Security-Policy
 * violations), `artifactPath` names files (screenshots) under the git-ignored test-artifacts/,
 * and `serveStatic` serves a folder or in-memory files (a bundled test app) from a second origin.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** CHROMIUM_PATH, or Debian's /usr/bin/chromium. */
export const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/** Why the browser tests are skipped, or null when Chromium is there. */
export const chromiumMissing: string | null = fs.existsSync(chromiumPath)
  ? null
  : `browser tests skipped: no Chromium at ${chromiumPath} (install it, or set CHROMIUM_PATH)`;

if (chromiumMissing) console.warn(chromiumMissing);

/** Chromium, headless, with nothing of its own talking to the network. Close it in afterAll. */
export function launchBrowser(): Promise<Browser> {
  if (chromiumMissing) throw new Error(chromiumMissing);
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 60_000,
  });
}

export interface CspViolation {
  directive: string;
  blockedUri: string;
  sample: string;
  source: string;
  line: number;
}

export interface PageWatch {
  /** Console messages of type error, and any console message about the CSP. */
  consoleErrors: string[];
  /** Uncaught exceptions and unhandled rejections in the page. */
  pageErrors: string[];
  /** `securitypolicyviolation` events, seen from an init script before any page script runs. */
  cspViolations: CspViolation[];
  /** Requests that failed at the network level (refused, aborted, blocked). */
  failedRequests: string[];
  /** All of the above as readable lines, minus those matching `ignore`: expect it to be []. */
  problems(): string[];
}

/** Runs in every frame of the page before its own scripts; the binding outlives navigations. */
const CSP_LISTENER = `(() => {
  addEventListener("securitypolicyviolation", (event) => {
    globalThis.__gatehouseReportCsp?.({
      directive: event.effectiveDirective || event.violatedDirective,
      blockedUri: event.blockedURI,
      sample: event.sample,
      source: event.sourceFile,
      line: event.lineNumber,
    });
  }, true);
})();`;

/**
 * Starts collecting a page's problems; call it before the first `goto`. `ignore` drops expected
 * console errors (a test that provokes a 401, say).
 */
export async function watchPage(
  page: Page,
  options: { ignore?: RegExp[] } = {},
): Promise<PageWatch> {
  const watch: PageWatch = {
    consoleErrors: [],
    pageErrors: [],
    cspViolations: [],
    failedRequests: [],
    problems() {
      const lines = [
        ...watch.cspViolations.map(
          (v) =>
            `CSP violation: ${v.directive} blocked ${v.blockedUri || "(inline)"}` +
            `${v.sample ? ` "${v.sample}"` : ""}${v.source ? ` at ${v.source}:${v.line}` : ""}`,
        ),
        ...watch.consoleErrors.map((text) => `console error: ${text}`),
        ...watch.pageErrors.map((text) => `page error: ${text}`),
        ...watch.failedRequests.map((text) => `request failed: ${text}`),
      ];
      return lines.filter((line) => !options.ignore?.some((pattern) => pattern.test(line)));
    },
  };
  await page.exposeFunction("__gatehouseReportCsp", (violation: CspViolation) => {
    watch.cspViolations.push(violation);
  });
  await page.addInitScript(CSP_LISTENER);
  page.on("console", (message) => {
    // Chromium reports each refusal ("Refused to load…", "Applying inline style violates…") as
    // an error; a report-only policy's as other types.
    const csp = /Content Security Policy/i.test(message.text());
    if (message.type() !== "error" && !csp) return;
    const { url, lineNumber } = message.location();
    watch.consoleErrors.push(`${message.text()}${url ? ` (${url}:${lineNumber})` : ""}`);
  });
  page.on("pageerror", (error) => watch.pageErrors.push(error.stack ?? String(error)));
  page.on("requestfailed", (request) =>
    watch.failedRequests.push(
      `${request.method()} ${request.url()}: ${request.failure()?.errorText ?? "failed"}`,
    ),
  );
  return watch;
}

/** A path under test-artifacts/ (git-ignored), its folder created. */
export function artifactPath(name: string): string {
  const file = path.join(ROOT, "test-artifacts", name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

export interface StaticServer {
  /** The origin, e.g. http://localhost:40123 (no trailing slash). */
  url: string;
  close(): Promise<void>;
}

export interface StaticServerOptions {
  /**
   * The host name in `url`; the server listens on 127.0.0.1 either way. `localhost` (the
   * default) is another site than the 127.0.0.1 that test instances use, so cookies see a
   * cross-site app; pass "127.0.0.1" for a same-site one on another port.
   */
  hostname?: "localhost" | "127.0.0.1";
  port?: number;
  /** Headers on every answer (a Content-Security-Policy for the app, say). */
  headers?: Record<string, string>;
}

/**
 * Serves a folder, or files given as `{ "/index.html": "<!doctype html>…", "/app.js": bytes }`,
 * over plain HTTP. `/` answers /index.html; anything else not found is 404. Every answer is
 * no-store.
 */
export async function serveStatic(
  source: string | Record<string, string | Uint8Array>,
  options: StaticServerOptions = {},
): Promise<StaticServer> {
  const read = async (urlPath: string): Promise<string | Uint8Array | null> => {
    if (typeof source !== "string") return source[urlPath] ?? null;
    const base = path.resolve(source);
    const file = path.resolve(base, `.${urlPath}`);
    if (!file.startsWith(base + path.sep)) return null;
    try {
      return await fs.promises.readFile(file);
    } catch {
      return null;
    }
  };
  const server = http.createServer((req, res) => {
    void (async () => {
      let urlPath = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
      if (urlPath.endsWith("/")) urlPath += "index.html";
      const body = req.method === "GET" || req.method === "HEAD" ? await read(urlPath) : null;
      const headers = { "cache-control": "no-store", ...options.headers };
      if (body === null) {
        res.writeHead(404, { ...headers, "content-type": "text/plain" }).end("Not found\n");
        return;
      }
      const type = CONTENT_TYPES[path.extname(urlPath)] ?? "application/octet-stream";
      res.writeHead(200, { ...headers, "content-type": type });
      res.end(req.method === "HEAD" ? undefined : body);
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.hostname ?? "localhost"}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
