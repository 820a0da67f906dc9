/** Shared start-up for the command-line tools: config, database, migrations. */
import { ConfigError, loadConfig, type Config } from "../config";
import { openDatabase, type DatabaseHandle } from "../db/connection";
import { migrateDatabase } from "../db/migrate";

export async function openForCli(): Promise<{ config: Config; database: DatabaseHandle }> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const database = await openDatabase(config.database);
  await migrateDatabase(database);
  return { config, database };
}

export function fail(message: string): never {
  console.error(message);
  process.exit(1);
}
