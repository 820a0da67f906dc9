/**
 * Revocation across nodes and across a lost notification connection (PostgreSQL: PGlite is one
 * process with one connection, which cannot drop).
 */
import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createViewerCache, viewerTags, type ViewerCache } from "../src/auth/viewer-cache";
import type { DatabaseHandle } from "../src/db/connection";
import { sessions, users, type SessionRow } from "../src/db/schema/index";
import { createLogger } from "../src/logger";
import { LogOutDocument, MeDocument } from "./gql/graphql";
import { TestClient } from "./helpers/client";
import { signUp } from "./helpers/flows";
import { openTestDatabase, usingPostgres } from "./helpers/instance";
import { startServerProcess, stopServerProcess, type ServerProcess } from "./helpers/process";

const POLL_LIMIT_MS = 2_000;

/** Asks `until` every few milliseconds; returns how long it took to hold, or fails. */
async function pollUntil(until: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < POLL_LIMIT_MS) {
    if (await until()) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`Still not true after ${POLL_LIMIT_MS} ms`);
}

describe.runIf(usingPostgres)("two nodes on one PostgreSQL", () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let database: DatabaseHandle;
  beforeAll(async () => {
    // One public URL: the token issuer is the same deployment behind both.
    const env = { PUBLIC_URL: "http://gatehouse.test" };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    database = await openTestDatabase();
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map((server) => stopServerProcess(server)));
    await database?.close();
  });

  /** Signed up on A, warm on B (its second `me` is served from B's memory). */
  async function signedInOnBoth() {
    const onA = new TestClient(a.url);
    const { tokens, user } = await signUp(onA);
    onA.bearer = tokens.accessToken;
    const onB = new TestClient(b.url);
    onB.bearer = tokens.accessToken;
    for (let i = 0; i < 2; i++) expect((await onB.ok(MeDocument)).me?.id).toBe(user.id);
    return { onA, onB, user };
  }

  const signedOut = (client: TestClient) => async () => (await client.ok(MeDocument)).me === null;

  it("refuses on B a session logged out on A", async () => {
    const { onA, onB } = await signedInOnBoth();
    await onA.ok(LogOutDocument);
    const took = await pollUntil(signedOut(onB));
    // The carrier is a notification at commit: milliseconds, far under the poll limit.
    expect(took).toBeLessThan(POLL_LIMIT_MS);
  });

  it("refuses on both an account locked in the database by hand", async () => {
    const { onA, onB, user } = await signedInOnBoth();
    await database.db.update(users).set({ lockedAt: new Date() }).where(eq(users.id, user.id));
    await pollUntil(signedOut(onB));
    await pollUntil(signedOut(onA));
  });
});

describe.runIf(usingPostgres)("a node whose notification connection is down", () => {
  let database: DatabaseHandle;
  let cache: ViewerCache;
  let admin: postgres.Sql;
  const applicationName = `gatehouse-listener-test-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    database = await openTestDatabase();
    admin = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
    cache = createViewerCache({
      database,
      logger: createLogger("silent"),
      // Long enough to look at the node while it cannot hear.
      listen: { applicationName, backoffMs: [1_500] },
    });
    await cache.start();
  });
  afterAll(async () => {
    await cache?.stop();
    await admin?.end();
    await database?.close();
  });

  async function aSession(): Promise<SessionRow> {
    const [user] = await database.db
      .insert(users)
      .values({ email: `${randomUUID()}@example.com`, fullName: "N", passwordHash: "x" })
      .returning();
    const at = new Date();
    const [session] = await database.db
      .insert(sessions)
      .values({
        userId: user!.id,
        expiresAt: new Date(at.getTime() + 3_600_000),
        idleExpiresAt: new Date(at.getTime() + 3_600_000),
      })
      .returning();
    return session!;
  }

  /** The viewer check as the context runs it, counting trips to the database. */
  function checker(session: SessionRow) {
    let loads = 0;
    const key = { audience: "test", subject: session.userId!, sessionId: session.id };
    return {
      get loads() {
        return loads;
      },
      check: () =>
        cache.resolve(key, [viewerTags.session(session.id)], async () => {
          loads++;
          const [row] = await database.db
            .select()
            .from(sessions)
            .where(sql`${sessions.id} = ${session.id} and ${sessions.revokedAt} is null`);
          return row ? { session: row } : null;
        }),
    };
  }

  it("checks the database on every request until it listens again, then starts afresh", async () => {
    const session = await aSession();
    const viewer = checker(session);
    await viewer.check();
    await viewer.check();
    expect(viewer.loads).toBe(1);

    await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${applicationName}`;
    await pollUntil(async () => !cache.trusted);
    expect(cache.size).toBe(0);
    // Ended while nobody could hear it: refused, because the database is asked every time.
    await admin.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update sessions set revoked_at = now() where id = ${session.id}`;
    });
    expect(await viewer.check()).toBeNull();
    const other = checker(await aSession());
    await other.check();
    await other.check();
    expect(other.loads).toBe(2);

    await pollUntil(async () => cache.trusted);
    expect(cache.size).toBe(0);
    await other.check();
    await other.check();
    expect(other.loads).toBe(3);
  });

  it("hears a change committed by another connection and drops that session", async () => {
    const session = await aSession();
    const viewer = checker(session);
    await viewer.check();
    await admin`update sessions set revoked_at = now() where id = ${session.id}`;
    await pollUntil(async () => (await viewer.check()) === null);
  });
});

describe.runIf(!usingPostgres)("on PGlite", () => {
  it("listens in-process and trusts its cache from the start", async () => {
    const database = await openTestDatabase();
    const cache = createViewerCache({ database, logger: createLogger("silent") });
    await cache.start();
    try {
      expect(cache.trusted).toBe(true);
      await cache.barrier();
      expect(cache.trusted).toBe(true);
    } finally {
      await cache.stop();
      await database.close();
    }
  });
});
