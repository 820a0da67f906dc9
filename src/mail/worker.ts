/**
 * The delivery worker: sends what the outbox holds, on every node, with retries.
 *
 * Claiming. A message is claimed by a short statement that takes a lease on it (`lease_until`,
 * in the database's clock, which every node shares) and counts the attempt; it is sent outside
 * any transaction, and its outcome is recorded after. Holding the row lock while sending would
 * keep a transaction (and, on PGlite, the one connection every request needs) open for as long
 * as an SMTP server cares to take. The lease is twice `MAIL_SEND_TIMEOUT`, and a send is abandoned
 * at that timeout, so a message is never sent by two nodes: other nodes skip a leased row
 * (`FOR UPDATE SKIP LOCKED` covers two claims racing for an unleased one). A node that dies
 * between commit and send, or mid-send, loses nothing: the row stays PENDING and any node takes
 * it once the lease has run out. A node that dies after the SMTP server accepted a message but
 * before recording it leaves it to be sent again: delivery is at least once, and twice only then.
 *
 * Claimed at birth. A node whose worker is running writes its own messages already leased
 * (outbox.ts) and `adopt`s them, so it is that node that sends them, at once: no other node can
 * take one in the moment between the commit and the claim. That is also what keeps test
 * instances sharing one PostgreSQL database from delivering one another's mail.
 *
 * When. Every `MAIL_POLL_INTERVAL`, and at once on `kick()` (after a commit that wrote mail). A
 * pass claims and sends one message at a time until nothing is due. Due times (`next_attempt_at`)
 * are compared with the app's clock (`now`, a test clock in tests), passed as a parameter: the
 * database's own `now()` is not the clock a test moves.
 *
 * Failures. Retried after `MAIL_RETRY_BACKOFF`, doubled each time up to `MAIL_RETRY_BACKOFF_MAX`;
 * after `MAIL_MAX_ATTEMPTS` attempts the message is FAILED, with its last error, logged at error
 * level. Sent and failed messages keep their envelope but lose their bodies (which carry tokens).
 *
 * Its statements bypass the database's per-statement hook (`onQuery`), which counts what requests
 * cost: a poll every second would otherwise land in a request's count at random.
 */
import type { PGlite } from "@electric-sql/pglite";
import { and, eq, inArray, isNull, lte, or, sql, type SQL } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import type { Sql } from "postgres";
import { anyId } from "../db/any-id";
import type { Sealer } from "../auth/seal";
import type { Database, DatabaseHandle } from "../db/connection";
import * as schema from "../db/schema/index";
import { mailOutbox, type MailOutboxRow } from "../db/schema/index";
import type { Logger } from "../logger";
import type { Mailer } from "./mailer";
import { findActionLink } from "./templates";

export interface MailDeliverySettings {
  maxAttempts: number;
  pollIntervalMs: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  sendTimeoutMs: number;
}

export interface MailWorker {
  /** Starts polling (a first pass at once). */
  start(): void;
  /**
   * Stops polling; resolves once the message being sent, if any, is sent and recorded, or after
   * `timeoutMs` (10 s), leaving that message to its lease (nothing is written or logged after).
   */
  stop(timeoutMs?: number): Promise<void>;
  /** A pass now (or right after the running one): call after committing mail. */
  kick(): void;
  /**
   * Kicks, then waits until a pass that began after the call is over (so every message committed
   * before it was attempted, unless another node holds it), or `timeoutMs`. Never rejects.
   */
  flush(timeoutMs?: number): Promise<void>;
  /** Like flush without the time limit, for tests: resolves with the messages that pass tried. */
  drain(): Promise<number>;
  /** Started and not stopped: only then are new messages claimed at birth. */
  readonly running: boolean;
  /** How long a claim lasts (ms). */
  readonly leaseMs: number;
  /** Takes on a message this node wrote already leased to itself: the next pass sends it. */
  adopt(id: string): void;
}

/** `now() + ms`, in the database's clock: the end of a lease taken now. */
export function leaseEnd(ms: number): SQL {
  return sql`now() + ${Math.round(ms)}::int * interval '1 millisecond'`;
}

/** The same pool, without the per-statement hook (see above). */
function backgroundDatabase(database: DatabaseHandle): Database {
  const client = (database.db as unknown as { $client?: unknown }).$client;
  if (!client) return database.db;
  const options = { schema, casing: "snake_case" as const };
  return database.kind === "postgres"
    ? drizzlePostgres(client as Sql, options)
    : drizzlePglite(client as PGlite, options);
}

/** The worker stopped waiting; the transport may still be sending. */
class SendTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SendTimeout(`Sending took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, 1000);
}

export function createMailWorker(deps: {
  database: DatabaseHandle;
  mailer: Mailer;
  logger: Logger;
  settings: MailDeliverySettings;
  /** Opens the bodies the outbox sealed. */
  sealer: Sealer;
  now?: () => Date;
}): MailWorker {
  const { mailer, logger, settings, sealer } = deps;
  // Sealed by the outbox ("v1.…"); a row written by hand (tests, an operator) may be plain.
  const open = (body: string) => (body.startsWith("v1.") ? sealer.open(body) : body);
  const now = deps.now ?? (() => new Date());
  const db = backgroundDatabase(deps.database);
  const leaseMs = settings.sendTimeoutMs * 2;

  let running = false;
  /** stop() gave up waiting for the pass in progress: it must not write or log any more. */
  let abandoned = false;
  /** Looking for due mail failed (the database is down): logged once until it works again. */
  let failing = false;
  let timer: NodeJS.Timeout | undefined;
  /** The pass in progress. */
  let current: Promise<void> | undefined;
  /** A kick arrived during the pass in progress: another pass follows it. */
  let again = false;
  let started = 0;
  const waiters: { target: number; resolve(count: number): void }[] = [];
  /** Messages this node wrote leased to itself → when that lease runs out (performance.now()). */
  const own = new Map<string, number>();

  const claimed = { attempts: sql`${mailOutbox.attempts} + 1`, leaseUntil: leaseEnd(leaseMs) };

  function ownIds(): string[] {
    const at = performance.now();
    for (const [id, until] of own) if (until <= at) own.delete(id);
    return [...own.keys()];
  }

  /** Takes the lease on the first row `where` selects (skipping rows other claims hold). */
  async function claimFirst(
    where: SQL | undefined,
    order?: typeof mailOutbox.nextAttemptAt,
  ): Promise<MailOutboxRow | undefined> {
    const candidates = db.select({ id: mailOutbox.id }).from(mailOutbox).where(where);
    const next = (order ? candidates.orderBy(order) : candidates)
      .limit(1)
      .for("update", { skipLocked: true });
    const [row] = await db
      .update(mailOutbox)
      .set(claimed)
      .where(inArray(mailOutbox.id, next))
      .returning();
    if (row) own.delete(row.id);
    return row;
  }

  /** Claims one message: first one of this node's own, then the longest due. */
  async function claim(): Promise<MailOutboxRow | undefined> {
    const mine = ownIds();
    if (mine.length > 0) {
      // attempts = 0: not yet taken by another node after this node's lease ran out.
      const row = await claimFirst(
        and(
          anyId(mailOutbox.id, mine),
          eq(mailOutbox.status, "PENDING"),
          eq(mailOutbox.attempts, 0),
        ),
      );
      if (row) return row;
    }
    return claimFirst(
      and(
        eq(mailOutbox.status, "PENDING"),
        lte(mailOutbox.nextAttemptAt, now()),
        or(isNull(mailOutbox.leaseUntil), lte(mailOutbox.leaseUntil, sql`now()`)),
      ),
      mailOutbox.nextAttemptAt,
    );
  }

  function backoffMs(attempts: number): number {
    const delay = settings.retryBackoffMs * 2 ** Math.min(attempts - 1, 30);
    return Math.min(delay, settings.retryBackoffMaxMs);
  }

  async function deliver(row: MailOutboxRow): Promise<void> {
    let failure: unknown;
    let failed = false;
    try {
      const text = open(row.textBody);
      await withTimeout(
        mailer.send({
          to: row.recipient,
          subject: row.subject,
          text,
          html: open(row.htmlBody),
          link: findActionLink(text),
        }),
        settings.sendTimeoutMs,
      );
    } catch (error) {
      failed = true;
      failure = error;
    }
    if (abandoned) return;
    // Only while the claim is still this one (no other node re-claimed it after a lease ran out).
    const stillOurs = and(
      eq(mailOutbox.id, row.id),
      eq(mailOutbox.status, "PENDING"),
      eq(mailOutbox.attempts, row.attempts),
    );
    const mail = { id: row.id, template: row.template, attempt: row.attempts };
    try {
      if (!failed) {
        await db
          .update(mailOutbox)
          .set({
            status: "SENT",
            sentAt: now(),
            leaseUntil: null,
            lastError: null,
            textBody: "",
            htmlBody: "",
          })
          .where(stillOurs);
        logger.debug({ mail }, "Mail delivered");
      } else if (row.attempts >= settings.maxAttempts) {
        await db
          .update(mailOutbox)
          .set({
            status: "FAILED",
            leaseUntil: null,
            lastError: errorText(failure),
            textBody: "",
            htmlBody: "",
          })
          .where(stillOurs);
        logger.error(
          { mail: { ...mail, to: row.recipient }, err: failure },
          `Mail could not be delivered after ${row.attempts} attempts: marked FAILED`,
        );
      } else {
        const retryInMs = backoffMs(row.attempts);
        await db
          .update(mailOutbox)
          .set({
            nextAttemptAt: new Date(now().getTime() + retryInMs),
            // A send given up on by the timeout may still go through: the lease (twice the
            // timeout from the claim) stays, so no node tries again before it has settled.
            ...(failure instanceof SendTimeout ? {} : { leaseUntil: null }),
            lastError: errorText(failure),
          })
          .where(stillOurs);
        logger.warn({ mail, retryInMs, err: failure }, "Mail delivery failed: will retry");
      }
    } catch (error) {
      if (!abandoned)
        logger.error({ mail, err: error }, "Recording a mail delivery's outcome failed");
    }
  }

  async function pass(): Promise<number> {
    let attempted = 0;
    while (running) {
      const row = await claim();
      if (!row) break;
      attempted++;
      await deliver(row);
    }
    return attempted;
  }

  function settle(number: number, count: number): void {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      if (waiter && waiter.target <= number) {
        waiters.splice(i, 1);
        waiter.resolve(count);
      }
    }
  }

  function schedule(): void {
    clearTimeout(timer);
    timer = setTimeout(tick, settings.pollIntervalMs);
    timer.unref();
  }

  function tick(): void {
    clearTimeout(timer);
    timer = undefined;
    if (!running) return;
    if (current) {
      again = true;
      return;
    }
    const number = ++started;
    current = pass()
      .then(
        (count) => {
          if (failing && running) logger.info("Looking for mail to deliver works again");
          failing = false;
          settle(number, count);
        },
        (error: unknown) => {
          if (running && !failing) {
            logger.warn({ err: error }, "Looking for mail to deliver failed: trying at every poll");
          }
          failing = true;
          settle(number, 0);
        },
      )
      .finally(() => {
        current = undefined;
        if (!running) return;
        if (again) {
          again = false;
          tick();
        } else {
          schedule();
        }
      });
  }

  /** Resolves when a pass that begins after this call is over. */
  function nextPass(): Promise<number> {
    return new Promise((resolve) => waiters.push({ target: started + 1, resolve }));
  }

  return {
    get running() {
      return running;
    },
    leaseMs,

    start() {
      if (running) return;
      running = true;
      if (!current) abandoned = false;
      tick();
    },

    async stop(timeoutMs = 10_000) {
      running = false;
      again = false;
      clearTimeout(timer);
      timer = undefined;
      if (current) {
        let timeout: NodeJS.Timeout | undefined;
        const finished = await Promise.race([
          current.then(() => true),
          new Promise<boolean>((resolve) => {
            timeout = setTimeout(() => resolve(false), timeoutMs);
            timeout.unref();
          }),
        ]);
        clearTimeout(timeout);
        if (!finished) {
          abandoned = true;
          logger.warn("Stopped while a message was being sent: it goes again once its lease ends");
        }
      }
      for (const waiter of waiters.splice(0)) waiter.resolve(0);
      // What this node wrote and has not sent yet is any node's to send now, not after its lease.
      const unsent = abandoned ? [] : ownIds();
      own.clear();
      if (unsent.length > 0) {
        await db
          .update(mailOutbox)
          .set({ leaseUntil: null })
          .where(
            and(
              anyId(mailOutbox.id, unsent),
              eq(mailOutbox.status, "PENDING"),
              eq(mailOutbox.attempts, 0),
            ),
          )
          .catch(() => {});
      }
    },

    kick() {
      tick();
    },

    async flush(timeoutMs = 3_000) {
      if (!running) return;
      let timeout: NodeJS.Timeout | undefined;
      const done = nextPass();
      tick();
      await Promise.race([
        done,
        new Promise<void>((resolve) => {
          timeout = setTimeout(resolve, timeoutMs);
          timeout.unref();
        }),
      ]);
      clearTimeout(timeout);
    },

    async drain() {
      if (!running) return 0;
      const done = nextPass();
      tick();
      return done;
    },

    adopt(id) {
      own.set(id, performance.now() + leaseMs);
    },
  };
}
