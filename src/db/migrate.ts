import path from "node:path";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { PACKAGE_ROOT } from "../package-root";
import type { DatabaseHandle, Schema } from "./connection";

export const MIGRATIONS_FOLDER = path.join(PACKAGE_ROOT, "drizzle");

/** Any constant; it names the lock that lets one node migrate while the others wait. */
const MIGRATION_LOCK_ID = 726_371_001;

/** Applies the committed migrations in `drizzle/`. Safe to run from several nodes at once. */
export async function migrateDatabase(handle: DatabaseHandle): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  if (handle.kind === "pglite") {
    await migratePglite(handle.db as PgliteDatabase<Schema>, config);
    return;
  }
  await handle.withAdvisoryLock(MIGRATION_LOCK_ID, () =>
    migratePostgres(handle.db as PostgresJsDatabase<Schema>, config),
  );
}
