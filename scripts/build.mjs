#!/usr/bin/env node
/**
 * Compiles the server into dist/ with esbuild, so the server runs on plain node instead of
 * transpiling every module at start-up (tsx): one bundle of src/ with the npm packages left
 * external, loaded from node_modules exactly as under tsx. The code declares every GraphQL type
 * explicitly, so esbuild's lack of decorator metadata changes nothing. Then it makes the PGlite
 * template when missing (src/db/pglite-template.ts). Run by `npm install` (prepare), `npm start`
 * (scripts/start.mjs, only when a source is newer than the bundle) and the test set-up.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bundle = path.join(root, "dist/main.js");
/** What the bundle is made from, besides src/. */
const inputs = ["package.json", "package-lock.json", "scripts/build.mjs"];

/** Whether some input is newer than the bundle (a stat of each file: a few milliseconds). */
export function isStale() {
  if (!fs.existsSync(bundle)) return true;
  const built = fs.statSync(bundle).mtimeMs;
  const sources = fs
    .readdirSync(path.join(root, "src"), { recursive: true, encoding: "utf8" })
    .map((file) => path.join("src", file));
  return [...inputs, ...sources].some((file) => {
    const full = path.join(root, file);
    return fs.existsSync(full) && fs.statSync(full).mtimeMs > built;
  });
}

export async function build() {
  const esbuild = await import("esbuild");
  await esbuild.build({
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
  await import(pathToFileURL(path.join(root, "dist/pglite-template.js")).href);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await build();
