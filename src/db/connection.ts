/**
 * One Drizzle database over either driver: postgres.js when DATABASE_URL is set, embedded PGlite
 * otherwise. Every query in the code base is written once against `Database`.
 */
import fs from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import postgres from "postgres";
import * as schema from "./schema/index";

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; services accept either and stay driver-agnostic. */
export type Executor = Parameters<Parameters<Database["transaction"]>[0]>[0] | Database;

export type DatabaseTarget =
  | { kind: "postgres"; url: string; poolSize: number }
  | { kind: "pglite"; dir: string }
  | { kind: "pglite-memory" };

export interface DatabaseHandle {
  db: Database;
  kind: "postgres" | "pglite";
  /** Runs `fn` while holding a cluster-wide advisory lock (a no-op on single-connection PGlite). */
  withAdvisoryLock<T>(lockId: number, fn: () => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Called for every SQL statement (used to count statements per request). */
  onQuery?: (query: string) => void;
}

export async function openDatabase(
  target: DatabaseTarget,
  options: OpenDatabaseOptions = {},
): Promise<DatabaseHandle> {
  const logger = options.onQuery
    ? { logQuery: (query: string) => options.onQuery?.(query) }
    : undefined;
  const drizzleOptions = { schema, casing: "snake_case" as const, logger };

  if (target.kind === "postgres") {
    const client = postgres(target.url, {
      max: target.poolSize,
      onnotice: () => {},
      // Tokens and timestamps are compared in SQL; keep every connection on UTC.
      connection: { TimeZone: "UTC" },
    });
    const db: Database = drizzlePostgres(client, drizzleOptions);
    return {
      db,
      kind: "postgres",
      async withAdvisoryLock(lockId, fn) {
        // The lock belongs to one session, so it is taken and released on a reserved connection.
        const reserved = await client.reserve();
        try {
          await reserved`select pg_advisory_lock(${lockId})`;
          try {
            return await fn();
          } finally {
            await reserved`select pg_advisory_unlock(${lockId})`;
          }
        } finally {
          reserved.release();
        }
      },
      async ping() {
        await db.execute(sql`select 1`);
      },
      async close() {
        await client.end({ timeout: 5 });
      },
    };
  }

  let client: PGlite;
  if (target.kind === "pglite") {
    fs.mkdirSync(target.dir, { recursive: true });
    client = await PGlite.create(target.dir);
  } else {
    client = await PGlite.create();
  }
  const db: Database = drizzlePglite(client, drizzleOptions);
  return {
    db,
    kind: "pglite",
    // PGlite is one connection in one process: nothing else can race it.
    withAdvisoryLock: (_lockId, fn) => fn(),
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      await client.close();
    },
  };
}
