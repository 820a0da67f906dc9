#!/usr/bin/env node
/**
 * Compiles the server into dist/ with esbuild, so the server runs on plain node instead of
 * transpiling every module at start-up (tsx): one bundle of src/ with the npm packages left
 * external, loaded from node_modules exactly as under tsx. The code declares every GraphQL type
 * explicitly, so esbuild's lack of decorator metadata changes nothing. Beside it, the GraphQL
 * playground (playground/, GraphiQL and React) is bundled for browsers into dist/playground/,
 * with hashed file names listed in dist/playground.json (src/http/playground.ts serves them);
 * that bundle takes longer than the server's, so it is only redone when one of its inputs is
 * newer. Then it makes the PGlite template when missing (src/db/pglite-template.ts). Run by
 * `npm install` (prepare), `npm start` (scripts/start.mjs, only when a source is newer than the
 * build) and the test set-up.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bundle = path.join(root, "dist/main.js");
const playgroundDir = path.join(root, "dist/playground");
const playgroundManifest = path.join(root, "dist/playground.json");
/** What both bundles are made from, besides their source folders. */
const inputs = ["package.json", "package-lock.json", "scripts/build.mjs"];

function filesUnder(folder) {
  const full = path.join(root, folder);
  if (!fs.existsSync(full)) return [];
  return fs
    .readdirSync(full, { recursive: true, encoding: "utf8" })
    .map((file) => path.join(folder, file));
}

/** Whether some input is newer than `output` (a stat of each file: a few milliseconds). */
function newerThan(output, sources) {
  if (!fs.existsSync(output)) return true;
  const built = fs.statSync(output).mtimeMs;
  return [...inputs, ...sources].some((file) => {
    const full = path.join(root, file);
    return fs.existsSync(full) && fs.statSync(full).mtimeMs > built;
  });
}

function playgroundStale() {
  if (newerThan(playgroundManifest, filesUnder("playground"))) return true;
  try {
    const manifest = JSON.parse(fs.readFileSync(playgroundManifest, "utf8"));
    return ![manifest.script, manifest.stylesheet].every(
      (file) => typeof file === "string" && fs.existsSync(path.join(playgroundDir, file)),
    );
  } catch {
    return true;
  }
}

/** Whether the server or the playground needs building. */
export function isStale() {
  return newerThan(bundle, filesUnder("src")) || playgroundStale();
}

function buildServer(esbuild) {
  return esbuild.build({
    absWorkingDir: root,
    entryPoints: { main: "src/main.ts", "pglite-template": "src/cli/pglite-template.ts" },
    outdir: "dist",
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: true,
    logLevel: "warning",
  });
}

async function buildPlayground(esbuild) {
  fs.rmSync(playgroundDir, { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { main: "playground/main.tsx" },
    outdir: playgroundDir,
    entryNames: "[name]-[hash]",
    assetNames: "[name]-[hash]",
    bundle: true,
    platform: "browser",
    format: "iife",
    target: ["chrome111", "firefox111", "safari16.4"],
    jsx: "automatic",
    minify: true,
    legalComments: "none",
    define: { "process.env.NODE_ENV": '"production"' },
    // GraphiQL's stylesheet inlines its fonts and images as data: URLs; anything else it or a
    // later dependency refers to becomes a hashed file beside the bundle.
    loader: {
      ".woff": "file",
      ".woff2": "file",
      ".ttf": "file",
      ".eot": "file",
      ".svg": "file",
      ".png": "file",
      ".gif": "file",
    },
    metafile: true,
    logLevel: "warning",
  });
  const entry = Object.entries(result.metafile.outputs).find(
    ([, output]) => output.entryPoint === "playground/main.tsx",
  );
  if (!entry || !entry[1].cssBundle) throw new Error("the playground build made no script or CSS");
  const manifest = {
    script: path.relative(playgroundDir, path.join(root, entry[0])),
    stylesheet: path.relative(playgroundDir, path.join(root, entry[1].cssBundle)),
  };
  fs.writeFileSync(playgroundManifest, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The server every time (a fraction of a second); the playground when stale or `force`d. */
export async function build({ force = false } = {}) {
  const esbuild = await import("esbuild");
  await Promise.all([
    buildServer(esbuild),
    force || playgroundStale() ? buildPlayground(esbuild) : undefined,
  ]);
  await import(pathToFileURL(path.join(root, "dist/pglite-template.js")).href);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build({ force: process.argv.includes("--force") });
}
