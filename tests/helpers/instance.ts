/**
 * A real Gatehouse on an ephemeral port, the way a client meets it. The database is embedded
 * PGlite in memory, or the PostgreSQL server named by TEST_DATABASE_URL (CI runs both).
 * Share one instance per test file and isolate tests by data (unique emails).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { createApp, type App } from "../../src/app";
import { loadConfig, type Config } from "../../src/config";
import { openDatabase, type DatabaseHandle } from "../../src/db/connection";
import { migrateDatabase } from "../../src/db/migrate";
import { createLogger } from "../../src/logger";
import { createClock, type TestClock } from "./clock";
import { createOutbox, type Outbox } from "./outbox";
import { TestClient } from "./client";

export interface Instance {
  url: string;
  config: Config;
  app: App;
  database: DatabaseHandle;
  clock: TestClock;
  /** Mail the instance sent, through the real log transport. */
  outbox: Outbox;
  client(): TestClient;
  close(): Promise<void>;
}

export interface InstanceOptions {
  env?: Record<string, string>;
  /** Reuse another instance's database (to run two configurations over one data set). */
  database?: DatabaseHandle;
  /** A database of its own, even on PostgreSQL (see openTestDatabase). */
  isolated?: boolean;
  /** Called for every SQL statement of a database the instance opens itself. */
  onQuery?: (query: string) => void;
}

/** One sealing secret for every instance and process of a run: they may share one PostgreSQL. */
export const TEST_SECRET = "gatehouse-test-secret-0123456789abcdef";

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL);

/**
 * The run's database, already migrated. `isolated` gives a test its own database (a fresh
 * PGlite, or a new database on the PostgreSQL server, dropped on close) for changes that would
 * disturb the other test files sharing the run's database, such as the signing algorithm.
 */
export async function openTestDatabase(
  options: { isolated?: boolean; onQuery?: (query: string) => void } = {},
): Promise<DatabaseHandle> {
  const url = process.env.TEST_DATABASE_URL;
  const hooks = { onQuery: options.onQuery };
  if (!url) {
    const database = await openDatabase({ kind: "pglite-memory" }, hooks);
    await migrateDatabase(database);
    return database;
  }
  if (!options.isolated) {
    const database = await openDatabase({ kind: "postgres", url, poolSize: 10 }, hooks);
    await migrateDatabase(database);
    return database;
  }
  const name = `gatehouse_iso_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const isolatedUrl = new URL(url);
  isolatedUrl.pathname = `/${name}`;
  const database = await openDatabase(
    { kind: "postgres", url: isolatedUrl.toString(), poolSize: 5 },
    hooks,
  );
  await migrateDatabase(database);
  return {
    ...database,
    async close() {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export async function startInstance(options: InstanceOptions = {}): Promise<Instance> {
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    PORT: "0",
    GATEHOUSE_SECRET: TEST_SECRET,
    ...options.env,
  });
  const ownsDatabase = !options.database;
  const database =
    options.database ??
    (await openTestDatabase({ isolated: options.isolated, onQuery: options.onQuery }));
  const clock = createClock();
  const outbox = createOutbox();
  const app = await createApp(config, {
    database,
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
    now: clock.now,
    mailer: outbox.mailer,
  });
  const server = http.createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    config,
    app,
    database,
    clock,
    outbox,
    client: () => new TestClient(url),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.stop();
      if (ownsDatabase) await database.close();
    },
  };
}

export function uniqueEmail(label = "user"): string {
  return `${label}-${randomUUID().slice(0, 12)}@example.com`;
}

export const PASSWORD = "correct horse battery";
