/**
 * The mail outbox end to end: invitations (the mail-sending flow over the API) go into the
 * outbox in their own transaction, and the delivery worker sends them over SMTP to a real SMTP
 * server process, with retries, across crashes, and exactly once between two nodes.
 *
 * Each test has a database of its own (a fresh PGlite, or a new database on PostgreSQL): on a
 * shared one, another test file's instance could deliver a message that failed once.
 */
import { randomUUID } from "node:crypto";
import net from "node:net";
import { Writable } from "node:stream";
import { and, eq, inArray, sql } from "drizzle-orm";
import { pino } from "pino";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config";
import { openDatabase, type DatabaseHandle } from "../src/db/connection";
import { migrateDatabase } from "../src/db/migrate";
import { mailOutbox } from "../src/db/schema/index";
import { createMailer, type Mailer } from "../src/mail/mailer";
import { createSealer } from "../src/auth/seal";
import { createMailOutbox } from "../src/mail/outbox";
import { createMailWorker } from "../src/mail/worker";
import {
  AcceptOrganizationInvitationDocument,
  CreateOrganizationDocument,
  InviteOrganizationMemberDocument,
} from "./gql/graphql";
import { TestClient } from "./helpers/client";
import { signUp } from "./helpers/flows";
import {
  openTestDatabase,
  startInstance,
  TEST_SECRET,
  uniqueEmail,
  usingPostgres,
  type Instance,
} from "./helpers/instance";
import { startServerProcess } from "./helpers/process";
import { startSmtpServer, type Received, type SmtpServer } from "./helpers/smtp";
import { createOrganization, person, uniqueSlug, type Person } from "./helpers/tenancy";

/** The instances' sealer (the same secret and purpose), for outboxes and workers built here. */
const SEALER = createSealer(TEST_SECRET, "mail-outbox");

const APP_URL = "https://app.example.test";
/** Short polls and back-off, so retries happen within a test. */
const FAST = {
  MAIL_POLL_INTERVAL: "50ms",
  MAIL_RETRY_BACKOFF: "50ms",
  MAIL_RETRY_BACKOFF_MAX: "200ms",
};

let smtp: SmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(() => smtp?.stop());

function mailEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { SMTP_URL: smtp.url, APP_URL, ...FAST, ...extra };
}

const invitationTo = (email: string) => (m: Received) =>
  m.to.includes(email) && m.subject.startsWith("You are invited");

async function invite(owner: Person, organizationId: string, email: string, client = owner.client) {
  return client.ok(InviteOrganizationMemberDocument, { organizationId, email, role: "MEMBER" });
}

/** The invitation message to `email` in the outbox. */
async function invitationRow(database: DatabaseHandle, email: string) {
  const rows = await database.db
    .select()
    .from(mailOutbox)
    .where(and(eq(mailOutbox.recipient, email), eq(mailOutbox.template, "invitation")));
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0];
}

/** A pino logger writing parsed entries into `entries`. */
function memoryLogger(entries: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        entries.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return pino({ level: "debug" }, sink);
}

describe("delivery over SMTP", () => {
  it("an invitation arrives with its subject, sender, escaped HTML and the link that accepts it", async () => {
    const gh = await startInstance({ isolated: true, env: mailEnv() });
    try {
      const owner = await person(gh, "owner");
      const name = `<b>Bold</b> & "Sons" ${uniqueSlug()}`;
      const org = (await owner.client.ok(CreateOrganizationDocument, { name, slug: uniqueSlug() }))
        .createOrganization;
      const invitee = await person(gh, "invitee");
      await owner.client.ok(InviteOrganizationMemberDocument, {
        organizationId: org.id,
        email: invitee.email,
        role: "ADMIN",
      });

      const mail = await smtp.waitFor(invitationTo(invitee.email));
      expect(mail.subject).toBe(`You are invited to join ${name}`);
      expect(mail.from).toContain("no-reply@localhost");
      expect(mail.to).toEqual([invitee.email]);
      // One link, the accept link under APP_URL, as the button and written out in both parts.
      expect(mail.links).toHaveLength(1);
      const link = new URL(mail.links[0]!);
      expect(`${link.origin}${link.pathname}`).toBe(`${APP_URL}/accept-invitation`);
      expect(mail.text).toContain(mail.links[0]);
      expect(mail.text).toContain(
        `Ada Lovelace invited you to join ${name} on Gatehouse as admin.`,
      );
      expect(mail.text).toMatch(/The link works once and expires on .+ UTC\./);
      // The organization's name is text, not markup.
      expect(mail.html).toContain("&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;Sons&quot;");
      expect(mail.html).not.toContain("<b>");
      expect(mail.html).not.toMatch(/<img|\bsrc\s*=|url\(|<link/i);

      // The link does what it says.
      const token = link.searchParams.get("token");
      const accepted = await invitee.client.ok(AcceptOrganizationInvitationDocument, {
        token: token!,
      });
      expect(accepted.acceptOrganizationInvitation.role).toBe("ADMIN");

      // Sent once; the stored copy lost its bodies (they carried the token).
      expect(smtp.messages().filter(invitationTo(invitee.email))).toHaveLength(1);
      expect(await invitationRow(gh.database, invitee.email)).toMatchObject({
        status: "SENT",
        attempts: 1,
        leaseUntil: null,
        lastError: null,
        textBody: "",
        htmlBody: "",
        sentAt: expect.any(Date),
      });
    } finally {
      await gh.close();
    }
  });

  it("retries while the SMTP server is down and delivers once it is back", async () => {
    const flaky = await startSmtpServer();
    await flaky.stop();
    const gh = await startInstance({
      isolated: true,
      env: mailEnv({ SMTP_URL: flaky.url, MAIL_MAX_ATTEMPTS: "100" }),
    });
    try {
      const owner = await person(gh, "owner");
      const org = await createOrganization(owner);
      const email = uniqueEmail("retried");
      // The invitation is made although its mail cannot go yet.
      const invited = await invite(owner, org.id, email);
      expect(invited.inviteOrganizationMember.status).toBe("PENDING");

      await expect
        .poll(async () => (await invitationRow(gh.database, email))?.attempts, { timeout: 20_000 })
        .toBeGreaterThanOrEqual(2);
      const waiting = await invitationRow(gh.database, email);
      expect(waiting).toMatchObject({ status: "PENDING", lastError: expect.any(String) });
      // The waiting message's link is live: sealed at rest, not readable from the table.
      expect(waiting!.htmlBody).toMatch(/^v1\./);
      expect(waiting!.htmlBody).not.toContain("accept-invitation");
      expect(waiting!.textBody).not.toContain("token=");

      await flaky.restart();
      await flaky.waitFor(invitationTo(email));
      await expect
        .poll(async () => (await invitationRow(gh.database, email))?.status, { timeout: 20_000 })
        .toBe("SENT");
      expect(flaky.messages().filter(invitationTo(email))).toHaveLength(1);
    } finally {
      await gh.close();
      await flaky.stop();
    }
  });

  it("marks a message FAILED after MAIL_MAX_ATTEMPTS and logs it at error level", async () => {
    const dead = await startSmtpServer();
    await dead.stop();
    const database = await openTestDatabase({ isolated: true });
    const gh = await startInstance({ database, env: mailEnv() });
    // This node writes the mail; a node that cannot reach its SMTP server, logging into memory,
    // is the one to deliver it.
    await gh.app.services.mailWorker.stop();
    const entries: Record<string, unknown>[] = [];
    const logger = memoryLogger(entries);
    const config = loadConfig({
      NODE_ENV: "test",
      GATEHOUSE_SECRET: TEST_SECRET,
      SMTP_URL: dead.url,
      MAIL_MAX_ATTEMPTS: "3",
      ...FAST,
    });
    const worker = createMailWorker({
      database,
      mailer: createMailer(config, logger),
      logger,
      settings: config.mail.delivery,
      sealer: SEALER,
    });
    try {
      const owner = await person(gh, "owner");
      const org = await createOrganization(owner);
      const email = uniqueEmail("undeliverable");
      await invite(owner, org.id, email);
      expect(await invitationRow(database, email)).toMatchObject({
        status: "PENDING",
        attempts: 0,
      });

      worker.start();
      await expect
        .poll(async () => (await invitationRow(database, email))?.status, { timeout: 20_000 })
        .toBe("FAILED");
      const row = await invitationRow(database, email);
      expect(row).toMatchObject({
        attempts: 3,
        leaseUntil: null,
        lastError: expect.stringMatching(/ECONNREFUSED|connect/i),
        textBody: "",
        htmlBody: "",
        sentAt: null,
      });
      const about = entries.filter((e) => (e.mail as { id?: string } | undefined)?.id === row!.id);
      // pino levels: 40 warn, 50 error.
      expect(about.map((e) => e.level)).toEqual([40, 40, 50]);
      expect(about[2]).toMatchObject({
        mail: { id: row!.id, template: "invitation", attempt: 3, to: email },
        err: expect.objectContaining({ message: expect.any(String) }),
      });
      expect(dead.messages()).toEqual([]);
    } finally {
      await worker.stop();
      await gh.close();
      await database.close();
    }
  });
});

describe("nothing lost, nothing sent twice", () => {
  it("mail committed by a node that died before sending it is delivered once by the next", async () => {
    const database = await openTestDatabase({ isolated: true });
    try {
      // The first node commits the invitation and its mail, and goes away before delivering.
      const first = await startInstance({ database, env: mailEnv() });
      await first.app.services.mailWorker.stop();
      const owner = await person(first, "owner");
      const org = await createOrganization(owner);
      const email = uniqueEmail("survivor");
      await invite(owner, org.id, email);
      expect(await invitationRow(database, email)).toMatchObject({
        status: "PENDING",
        attempts: 0,
      });
      await first.close();
      expect(smtp.messages().filter(invitationTo(email))).toEqual([]);

      const second = await startInstance({ database, env: mailEnv() });
      try {
        await smtp.waitFor(invitationTo(email));
        await second.app.services.mailWorker.drain();
        expect(smtp.messages().filter(invitationTo(email))).toHaveLength(1);
        expect(await invitationRow(database, email)).toMatchObject({
          status: "SENT",
          attempts: 1,
        });
      } finally {
        await second.close();
      }
    } finally {
      await database.close();
    }
  });

  // A server process killed (SIGKILL) while it sends, on a PostgreSQL database of this test's own.
  it.runIf(usingPostgres)(
    "a server process killed mid-send loses nothing: the next node sends each message once",
    async () => {
      const name = `gatehouse_mail_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
      const admin = postgres(process.env.TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database ${name}`);
      const url = new URL(process.env.TEST_DATABASE_URL!);
      url.pathname = `/${name}`;
      const database = await openDatabase({ kind: "postgres", url: url.toString(), poolSize: 5 });
      // An SMTP server that accepts connections and never answers: sends hang.
      const sockets: net.Socket[] = [];
      const blackhole = net.createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => blackhole.listen(0, "127.0.0.1", resolve));
      const hangingUrl = `smtp://127.0.0.1:${(blackhole.address() as net.AddressInfo).port}`;
      let next: Instance | undefined;
      try {
        await migrateDatabase(database);
        const server = await startServerProcess({
          DATABASE_URL: url.toString(),
          SMTP_URL: hangingUrl,
          MAIL_SEND_TIMEOUT: "60s",
          APP_URL,
        });
        const client = new TestClient(server.url);
        const owner = await signUp(client);
        client.bearer = owner.tokens.accessToken;
        const org = (
          await client.ok(CreateOrganizationDocument, { name: "Acme", slug: uniqueSlug() })
        ).createOrganization;
        const email = uniqueEmail("killed");
        await client.ok(InviteOrganizationMemberDocument, {
          organizationId: org.id,
          email,
          role: "MEMBER",
        });
        await expect.poll(() => sockets.length, { timeout: 20_000 }).toBeGreaterThan(0);
        server.child.kill("SIGKILL");
        await server.exited;

        // Everything is still there: what was being sent, and what waited its turn.
        const left = await database.db.select().from(mailOutbox);
        expect(left.length).toBeGreaterThanOrEqual(1);
        expect(left.every((row) => row.status === "PENDING" && row.leaseUntil !== null)).toBe(true);
        expect(left.some((row) => row.attempts === 1)).toBe(true);
        expect(left.some((row) => row.recipient === email)).toBe(true);

        next = await startInstance({ database, env: mailEnv() });
        // Not before the dead node's leases end...
        expect(await next.app.services.mailWorker.drain()).toBe(0);
        // ...which they do (in the database's clock, the one every node shares).
        await database.db.update(mailOutbox).set({ leaseUntil: sql`now() - interval '1 second'` });
        const expected = left.map((row) => `${row.recipient} ${row.subject}`).sort();
        const delivered = () =>
          smtp
            .messages()
            .filter((m) => left.some((row) => m.to.includes(row.recipient)))
            .map((m) => `${m.to.join(",")} ${m.subject}`)
            .sort();
        next.app.services.mailOutbox.kick();
        await expect.poll(delivered, { timeout: 20_000 }).toEqual(expected);
        await next.app.services.mailWorker.drain();
        expect(delivered()).toEqual(expected);
        const rows = await database.db.select().from(mailOutbox);
        expect(rows.every((row) => row.status === "SENT")).toBe(true);
      } finally {
        await next?.close();
        for (const socket of sockets) socket.destroy();
        blackhole.close();
        await database.close();
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        await admin.end();
      }
    },
  );

  it("mail a dead node had claimed waits for its lease to run out, then goes once", async () => {
    const database = await openTestDatabase({ isolated: true });
    const gh = await startInstance({ database, env: mailEnv() });
    try {
      const email = uniqueEmail("leased");
      // Written as a node does whose worker runs: leased to that node, which then dies.
      const deadNode = createMailOutbox({
        sealer: SEALER,
        worker: {
          running: true,
          leaseMs: 60_000,
          adopt() {},
          kick() {},
          flush: async () => {},
        },
      });
      await database.db.transaction((tx) =>
        deadNode.enqueue(tx, {
          to: email,
          template: "invitation",
          data: {
            organizationName: "Acme",
            inviterName: "Ada Lovelace",
            role: "MEMBER",
            link: `${APP_URL}/accept-invitation?token=abc`,
          },
          brand: { productName: "Gatehouse" },
        }),
      );
      await gh.app.services.mailWorker.drain();
      expect(await invitationRow(database, email)).toMatchObject({
        status: "PENDING",
        attempts: 0,
        leaseUntil: expect.any(Date),
      });
      expect(smtp.messages().filter(invitationTo(email))).toEqual([]);

      // The lease runs out (in the database's clock, the one every node shares).
      await database.db
        .update(mailOutbox)
        .set({ leaseUntil: sql`now() - interval '1 second'` })
        .where(eq(mailOutbox.recipient, email));
      await gh.app.services.mailWorker.drain();
      await smtp.waitFor(invitationTo(email));
      await gh.app.services.mailWorker.drain();
      expect(smtp.messages().filter(invitationTo(email))).toHaveLength(1);
      expect(await invitationRow(database, email)).toMatchObject({ status: "SENT", attempts: 1 });
    } finally {
      await gh.close();
      await database.close();
    }
  });

  it("a rolled-back transaction sends nothing", async () => {
    const gh = await startInstance({ isolated: true, env: mailEnv() });
    try {
      const email = uniqueEmail("rolled-back");
      await expect(
        gh.database.db.transaction(async (tx) => {
          await gh.app.services.mailOutbox.enqueue(tx, {
            to: email,
            template: "password-changed",
            data: { name: "Ada" },
            brand: { productName: "Gatehouse" },
          });
          throw new Error("rolled back");
        }),
      ).rejects.toThrow("rolled back");
      gh.app.services.mailOutbox.kick();
      expect(await gh.app.services.mailWorker.drain()).toBe(0);
      const rows = await gh.database.db
        .select()
        .from(mailOutbox)
        .where(eq(mailOutbox.recipient, email));
      expect(rows).toEqual([]);
      expect(smtp.messages().filter((m) => m.to.includes(email))).toEqual([]);
    } finally {
      await gh.close();
    }
  });

  it("two nodes on one database deliver each of N messages exactly once", async () => {
    const other = await startSmtpServer();
    const database = await openTestDatabase({ isolated: true });
    // Each node has its own SMTP server, so every message shows which node sent it.
    const a = await startInstance({ database, env: mailEnv({ MAIL_POLL_INTERVAL: "20ms" }) });
    const b = await startInstance({
      database,
      env: mailEnv({ SMTP_URL: other.url, MAIL_POLL_INTERVAL: "20ms" }),
    });
    const nodes: Instance[] = [a, b];
    try {
      const owner = await person(a, "owner");
      const org = await createOrganization(owner);
      const onB = new TestClient(b.url);
      onB.bearer = owner.client.bearer;
      const N = 12;

      // Through the API, on both nodes at once: each node sends what it wrote.
      const viaApi = Array.from({ length: N }, (_, i) => uniqueEmail(`api-${i}`));
      await Promise.all(
        viaApi.map((email, i) => invite(owner, org.id, email, i % 2 ? onB : owner.client)),
      );

      // Written for no node in particular (as a CLI would), all at once: both race for them.
      const unclaimed = Array.from({ length: N }, (_, i) => uniqueEmail(`race-${i}`));
      const anyNode = createMailOutbox({ sealer: SEALER });
      await database.db.transaction(async (tx) => {
        for (const email of unclaimed) {
          await anyNode.enqueue(tx, {
            to: email,
            template: "invitation",
            data: {
              organizationName: "Acme",
              inviterName: "Ada Lovelace",
              role: "MEMBER",
              link: `${APP_URL}/accept-invitation?token=${encodeURIComponent(email)}`,
            },
            brand: { productName: "Gatehouse" },
          });
        }
      });
      for (const node of nodes) node.app.services.mailOutbox.kick();

      const everyone = [...viaApi, ...unclaimed];
      const deliveries = () =>
        [...smtp.messages(), ...other.messages()].filter((m) =>
          everyone.some((email) => invitationTo(email)(m)),
        );
      await expect.poll(() => deliveries().length, { timeout: 30_000 }).toBe(2 * N);
      await Promise.all(nodes.map((node) => node.app.services.mailWorker.drain()));

      const recipients = deliveries().flatMap((m) => m.to);
      expect(recipients.sort()).toEqual([...everyone].sort());
      // What each node wrote through the API, it sent itself.
      const sentByB = new Set(other.messages().flatMap((m) => m.to));
      expect(viaApi.filter((email) => sentByB.has(email))).toEqual(
        viaApi.filter((_, i) => i % 2 === 1),
      );
      const rows = await database.db
        .select({ status: mailOutbox.status, attempts: mailOutbox.attempts })
        .from(mailOutbox)
        .where(inArray(mailOutbox.recipient, everyone));
      expect(rows).toHaveLength(2 * N);
      expect(rows.every((r) => r.status === "SENT" && r.attempts === 1)).toBe(true);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
      await database.close();
      await other.stop();
    }
  });
});

describe("the worker's life", () => {
  it("stop() waits for the message being sent and records it; nothing runs after", async () => {
    const database = await openTestDatabase({ isolated: true });
    const entries: Record<string, unknown>[] = [];
    const logger = memoryLogger(entries);
    let release!: () => void;
    let sending!: () => void;
    const started = new Promise<void>((resolve) => (sending = resolve));
    const sent: string[] = [];
    const slow: Mailer = {
      async send(message) {
        sending();
        await new Promise<void>((resolve) => (release = resolve));
        sent.push(message.to);
      },
    };
    const config = loadConfig({ NODE_ENV: "test", GATEHOUSE_SECRET: TEST_SECRET, ...FAST });
    const worker = createMailWorker({
      database,
      mailer: slow,
      logger,
      settings: config.mail.delivery,
      sealer: SEALER,
    });
    const outbox = createMailOutbox({ worker, sealer: SEALER });
    try {
      worker.start();
      const email = uniqueEmail("in-flight");
      await database.db.transaction((tx) =>
        outbox.enqueue(tx, {
          to: email,
          template: "password-changed",
          data: { name: "Ada" },
          brand: { productName: "Gatehouse" },
        }),
      );
      outbox.kick();
      await started;
      let stopped = false;
      const stopping = worker.stop().then(() => (stopped = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(sent).toEqual([email]);
      const [row] = await database.db
        .select()
        .from(mailOutbox)
        .where(eq(mailOutbox.recipient, email));
      expect(row).toMatchObject({ status: "SENT", attempts: 1 });

      // Stopped: nothing more is claimed, polled or logged.
      const logged = entries.length;
      await database.db.transaction((tx) =>
        outbox.enqueue(tx, {
          to: uniqueEmail("after-stop"),
          template: "password-changed",
          data: { name: "Ada" },
          brand: { productName: "Gatehouse" },
        }),
      );
      outbox.kick();
      await outbox.flush();
      expect(await worker.drain()).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 200)); // four poll intervals
      expect(sent).toEqual([email]);
      expect(entries.length).toBe(logged);
    } finally {
      await worker.stop();
      await database.close();
    }
  });
});
