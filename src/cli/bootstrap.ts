/** Shared start-up for the command-line tools: config, database, migrations. */
import { loadConfigOrExit, type Config } from "../config";
import { openDatabase, type DatabaseHandle } from "../db/connection";
import { migrateDatabase } from "../db/migrate";

export async function openForCli(): Promise<{ config: Config; database: DatabaseHandle }> {
  const config = loadConfigOrExit();
  const database = await openDatabase(config.database);
  await migrateDatabase(database);
  return { config, database };
}

export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
