import { sql } from "drizzle-orm";
import { index, integer, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

export const mailStatus = pgEnum("mail_status", ["PENDING", "SENT", "FAILED"]);

/**
 * Mail waiting to go out. A message is written in the transaction that creates what it carries
 * (a token, an invitation), so it exists exactly when that does; the delivery worker claims due
 * rows with FOR UPDATE SKIP LOCKED, so no two nodes send one message.
 */
export const mailOutbox = pgTable(
  "mail_outbox",
  {
    id: uuid().primaryKey().defaultRandom(),
    /** Which template made it (verification, password-reset, …): for logs and metrics. */
    template: text().notNull(),
    recipient: text().notNull(),
    subject: text().notNull(),
    textBody: text().notNull(),
    htmlBody: text().notNull(),
    status: mailStatus().notNull().default("PENDING"),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** While a node is sending it: other nodes leave it alone until then. */
    leaseUntil: timestamp({ withTimezone: true }),
    lastError: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index("mail_outbox_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'PENDING'`),
  ],
);

export type MailOutboxRow = typeof mailOutbox.$inferSelect;
