/**
 * A new embedded database, ready-made: a PGlite cluster after initdb and every committed migration,
 * kept as a tarball that a new data folder (or in-memory test database) unpacks in ≈ 0.5 s instead
 * of running initdb in WebAssembly and then the migrations (≈ 3 s together). Made by the build
 * (scripts/build.mjs: `npm install`, `npm start`, the test set-up) when missing. Its name carries
 * the PGlite version and a digest of drizzle/, so a changed migration or PGlite makes a new one;
 * start-up still runs migrateDatabase, which finds nothing left to apply.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { findPackageRoot, PACKAGE_ROOT } from "../package-root";
import { MIGRATIONS_FOLDER } from "./migrate";

function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const root = findPackageRoot(path.dirname(entry));
  const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
    version: string;
  };
  return version;
}

/** Every file under drizzle/ (SQL and journal), by path and content. */
function migrationsDigest(): string {
  const digest = createHash("sha256");
  const files = fs.readdirSync(MIGRATIONS_FOLDER, { recursive: true, encoding: "utf8" }).sort();
  for (const file of files) {
    const full = path.join(MIGRATIONS_FOLDER, file);
    if (!fs.statSync(full).isFile()) continue;
    digest.update(file).update("\0").update(fs.readFileSync(full)).update("\0");
  }
  return digest.digest("hex").slice(0, 16);
}

let templatePath: string | undefined;

/** Where the template for this PGlite and these migrations lives (worked out on first use, so a
 * server on PostgreSQL never reads drizzle/ for it). */
export function pgliteTemplatePath(): string {
  templatePath ??= path.join(
    PACKAGE_ROOT,
    "dist",
    `pglite-${pgliteVersion()}-${migrationsDigest()}.tar.gz`,
  );
  return templatePath;
}

let cached: Buffer | undefined;

/** The template, when the build has made it; without it a new database runs initdb as usual. */
export function readPgliteTemplate(): Blob | undefined {
  try {
    // Read once per process: tests open many in-memory databases.
    cached ??= fs.readFileSync(pgliteTemplatePath());
    return new Blob([cached]);
  } catch {
    return undefined;
  }
}

/**
 * Makes the template unless it exists, and removes older ones. Written under a temporary name and
 * renamed: a reader never sees half a file.
 */
export async function ensurePgliteTemplate(): Promise<boolean> {
  const template = pgliteTemplatePath();
  if (fs.existsSync(template)) return false;
  const pglite = await PGlite.create();
  try {
    await migrate(drizzle(pglite), { migrationsFolder: MIGRATIONS_FOLDER });
    const tarball = await pglite.dumpDataDir("gzip");
    const folder = path.dirname(template);
    fs.mkdirSync(folder, { recursive: true });
    const partial = `${template}.${process.pid}.partial`;
    fs.writeFileSync(partial, Buffer.from(await tarball.arrayBuffer()));
    fs.renameSync(partial, template);
    for (const name of fs.readdirSync(folder)) {
      const file = path.join(folder, name);
      if (/^pglite-.*\.tar\.gz$/.test(name) && file !== template) fs.rmSync(file);
    }
    return true;
  } finally {
    await pglite.close();
  }
}
