/**
 * One Drizzle database over either driver: postgres.js when DATABASE_URL is set, embedded PGlite
 * otherwise. Every query in the code base is written once against `Database`.
 */
import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import postgres, { type Sql } from "postgres";
import { readPgliteTemplate } from "./pglite-template";
import * as schema from "./schema/index";

export type Schema = typeof schema;
export type Database = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction handle; services accept either and stay driver-agnostic. */
export type Executor = Parameters<Parameters<Database["transaction"]>[0]>[0] | Database;

export type DatabaseTarget =
  | { kind: "postgres"; url: string; poolSize: number }
  | { kind: "pglite"; dir: string }
  | { kind: "pglite-memory" };

/** What a channel listener hears: each payload, and when the connection that hears them is up
 * or down (while down, notifications may be missed). */
export interface NotificationEvents {
  notify(payload: string): void;
  up(): void;
  down(): void;
}

export interface ListenOptions {
  /** How the listening connection shows in pg_stat_activity (default `gatehouse-listener`). */
  applicationName?: string;
  /** Waits between attempts to listen again after the connection dropped. */
  backoffMs?: readonly number[];
}

export interface DatabaseHandle {
  db: Database;
  kind: "postgres" | "pglite";
  /**
   * Listens on `channel` on a connection of its own, re-listening after it drops (`down`, then
   * `up` once listening again). Resolves once listening; `stop` ends it.
   */
  listen(
    channel: string,
    events: NotificationEvents,
    options?: ListenOptions,
  ): Promise<{ stop(): Promise<void> }>;
  /** Runs `fn` while holding a cluster-wide advisory lock (a no-op on single-connection PGlite). */
  withAdvisoryLock<T>(lockId: number, fn: () => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Called for every SQL statement (used to count statements per request). */
  onQuery?: (query: string) => void;
}

/**
 * Drizzle sends its queries through `unsafe`, which postgres.js runs unprepared: Parse and
 * Describe, a round trip, then Bind and Execute, every time. Preparing them (postgres.js keeps
 * each connection's statements by text) makes a repeated query one round trip. Transactions get
 * the same treatment through `begin`.
 */
function preparing(client: Sql): Sql {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === "unsafe") {
        return (query: string, params?: unknown[], options?: object) =>
          target.unsafe(query, params as never, { ...options, prepare: true });
      }
      if (property === "begin") {
        return (...args: unknown[]) => {
          const callback = args.pop() as (tx: Sql) => unknown;
          return (target.begin as (...a: unknown[]) => unknown)(...args, (tx: Sql) =>
            callback(preparing(tx)),
          );
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

const RELISTEN_BACKOFF_MS = [50, 200, 1_000, 2_000];

/**
 * A dedicated connection that only listens (postgres.js's own `listen` gives up re-listening
 * when the database is unreachable at that moment; this one keeps trying with back-off).
 */
async function listenPostgres(
  url: string,
  channel: string,
  events: NotificationEvents,
  options: ListenOptions = {},
): Promise<{ stop(): Promise<void> }> {
  const backoff = options.backoffMs ?? RELISTEN_BACKOFF_MS;
  let stopped = false;
  let attempt = 0;
  let retry: NodeJS.Timeout | undefined;
  const listener = postgres(url, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "gatehouse-listener" },
    // postgres.js passes both through to its connection; `onnotify` is what its own listen uses.
    onclose: () => {
      if (stopped) return;
      events.down();
      schedule();
    },
    ...({ onnotify: (_channel: string, payload: string) => events.notify(payload) } as object),
  });
  const statement = `listen "${channel.replaceAll('"', '""')}"`;
  async function subscribe(): Promise<void> {
    await listener.unsafe(statement);
    attempt = 0;
    events.up();
  }
  function schedule(): void {
    if (stopped || retry) return;
    const delay = backoff[Math.min(attempt++, backoff.length - 1)];
    retry = setTimeout(() => {
      retry = undefined;
      // A failed attempt closes its connection, which schedules the next one.
      subscribe().catch(() => schedule());
    }, delay);
    retry.unref();
  }
  await subscribe();
  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await listener.end({ timeout: 1 });
    },
  };
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
    const db: Database = drizzlePostgres(preparing(client), drizzleOptions);
    return {
      db,
      kind: "postgres",
      listen: (channel, events, options) => listenPostgres(target.url, channel, events, options),
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
    const isNew = !fs.existsSync(path.join(target.dir, "PG_VERSION"));
    const loadDataDir = isNew ? readPgliteTemplate() : undefined;
    client = await PGlite.create(target.dir, loadDataDir ? { loadDataDir } : {});
  } else {
    const loadDataDir = readPgliteTemplate();
    client = await PGlite.create(loadDataDir ? { loadDataDir } : {});
  }
  const db: Database = drizzlePglite(client, drizzleOptions);
  const pglite = client;
  return {
    db,
    kind: "pglite",
    // One connection in this process: notifications arrive right after the statement that
    // committed them, and the connection cannot drop.
    async listen(channel, events) {
      const unlisten = await pglite.listen(channel, (payload) => events.notify(payload));
      events.up();
      return { stop: unlisten };
    },
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
