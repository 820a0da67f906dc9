/**
 * The GraphQL playground: GraphiQL at `GET /graphql` for browser navigations (Accept prefers
 * text/html), loading only this server's own assets from `/playground/` (bundled from
 * playground/ by scripts/build.mjs into dist/playground/). JSON clients and GraphQL GET requests
 * still reach Apollo.
 *
 * The page's Content-Security-Policy allows scripts, styles, fonts and requests from this origin
 * only, plus `<style>` elements carrying the response's nonce: Radix's scroll lock (through
 * react-style-singleton) injects one when a dialog or menu opens, and the bundle hands it the
 * nonce it reads from `<meta property="csp-nonce">`. Fonts and a few images are data: URLs in
 * GraphiQL's stylesheet.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import express, { type RequestHandler } from "express";
import type { Logger } from "../logger";
import { PACKAGE_ROOT } from "../package-root";

/** Where the bundle's files are served; outside /graphql, which is Apollo's. */
export const PLAYGROUND_ASSETS_PATH = "/playground";
/** What scripts/build.mjs writes: the bundle's files, and the manifest naming its entry files. */
export const PLAYGROUND_DIR = path.join(PACKAGE_ROOT, "dist/playground");
export const PLAYGROUND_MANIFEST = path.join(PACKAGE_ROOT, "dist/playground.json");

interface Manifest {
  script: string;
  stylesheet: string;
}

const BASE_POLICY = {
  "default-src": "'none'",
  "script-src": "'self'",
  "style-src": "'self'",
  "connect-src": "'self'",
  "img-src": "'self' data:",
  "font-src": "'self' data:",
  "base-uri": "'none'",
  "form-action": "'none'",
  "frame-ancestors": "'none'",
};

/** The playground's Content-Security-Policy; with a nonce, `<style nonce>` elements may apply. */
export function playgroundPolicy(nonce?: string): string {
  const policy: Record<string, string> = { ...BASE_POLICY };
  if (nonce) policy["style-src"] += ` 'nonce-${nonce}'`;
  return Object.entries(policy)
    .map(([directive, value]) => `${directive} ${value}`)
    .join("; ");
}

const ASSETS_POLICY = playgroundPolicy();

/** Whether a request is a browser asking for a page rather than a GraphQL client. */
function wantsHtml(req: express.Request): boolean {
  return req.accepts(["application/json", "text/html"]) === "text/html";
}

function page(manifest: Manifest, nonce: string): string {
  const asset = (file: string) => `${PLAYGROUND_ASSETS_PATH}/${encodeURIComponent(file)}`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <meta property="csp-nonce" nonce="${nonce}" />
    <title>Gatehouse GraphQL playground</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${asset(manifest.stylesheet)}" />
    <script defer src="${asset(manifest.script)}"></script>
  </head>
  <body>
    <div id="graphiql">Loading the playground…</div>
  </body>
</html>
`;
}

export interface Playground {
  /** GET on the GraphQL path: the page for browsers, `next()` for everyone else. */
  page: RequestHandler;
  /** The bundle's files, mounted at PLAYGROUND_ASSETS_PATH. */
  assets: RequestHandler;
}

export function playground(deps: { logger: Logger }): Playground {
  let warned = false;
  return {
    page: async (req, res, next) => {
      if (!wantsHtml(req)) {
        next();
        return;
      }
      // Read on every page load (a few hundred bytes): a rebuild while the server runs (npm run
      // dev) changes the hashed file names.
      let manifest: Manifest;
      try {
        manifest = JSON.parse(await fs.readFile(PLAYGROUND_MANIFEST, "utf8")) as Manifest;
      } catch (error) {
        if (!warned) deps.logger.warn({ err: error }, "The playground is not built");
        warned = true;
        res
          .status(503)
          .type("text/plain")
          .set("cache-control", "no-store")
          .send("The GraphQL playground is not built: run `npm run build`.\n");
        return;
      }
      const nonce = randomBytes(16).toString("base64");
      res
        .status(200)
        .type("html")
        .set({
          "content-security-policy": playgroundPolicy(nonce),
          // A nonce is good for one response only.
          "cache-control": "no-store",
          vary: "Accept",
        })
        .send(page(manifest, nonce));
    },
    // Every file name carries a content hash (the build empties the folder first).
    assets: express.static(PLAYGROUND_DIR, {
      index: false,
      redirect: false,
      immutable: true,
      maxAge: "365d",
      setHeaders: (res) => res.setHeader("content-security-policy", ASSETS_POLICY),
    }),
  };
}
