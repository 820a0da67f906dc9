/**
 * The outbox: how features send mail. A message is rendered and written as one `mail_outbox`
 * row in the caller's own transaction, next to the token or invitation it carries, so it exists
 * exactly when they do: a rolled-back transaction sends nothing, and a crash after the commit
 * loses nothing (the delivery worker, worker.ts, finds the row).
 *
 *   await db.transaction(async (tx) => {
 *     ...;                                     // the token, the invitation
 *     await mailOutbox.enqueue(tx, { to, template: "password-reset", data, brand });
 *   });
 *   mailOutbox.kick();                         // after the commit: deliver now, not at the next poll
 */
import { and, eq, lt, or } from "drizzle-orm";
import type { Sealer } from "../auth/seal";
import type { Executor } from "../db/connection";
import { mailOutbox } from "../db/schema/index";
import { renderMail, type MailBrand, type MailData, type MailTemplate } from "./templates";
import { leaseEnd, type MailWorker } from "./worker";

export interface OutboxMessage<T extends MailTemplate> {
  to: string;
  template: T;
  data: MailData<T>;
  brand: MailBrand;
}

export interface MailOutbox {
  /** Renders the message and writes it in `executor`'s transaction (or on its own without one). */
  enqueue<T extends MailTemplate>(executor: Executor, message: OutboxMessage<T>): Promise<void>;
  /** Wakes this node's worker: call after the transaction that enqueued has committed. */
  kick(): void;
  /**
   * Kicks, then waits (at most `timeoutMs`, 3 s by default) until the worker has attempted what
   * was committed before the call; resolves early when no worker runs. Never rejects: a failed
   * attempt is retried in the background.
   */
  flush(timeoutMs?: number): Promise<void>;
}

export function createMailOutbox(deps: {
  /** The node's worker; without one (a CLI) messages are left for any node to claim. */
  worker?: Pick<MailWorker, "running" | "leaseMs" | "adopt" | "kick" | "flush">;
  /** Seals the bodies at rest: until sent they carry live links (reset, verification). */
  sealer: Sealer;
  now?: () => Date;
}): MailOutbox {
  const { worker, sealer } = deps;
  const now = deps.now ?? (() => new Date());
  return {
    async enqueue(executor, { to, template, data, brand }) {
      const mail = renderMail(template, data, brand);
      const at = now();
      // Written leased to this node when its worker runs, so this node sends it (worker.ts).
      const claimedHere = worker?.running === true;
      const [row] = await executor
        .insert(mailOutbox)
        .values({
          template,
          recipient: to,
          subject: mail.subject,
          textBody: sealer.seal(mail.text),
          htmlBody: sealer.seal(mail.html),
          nextAttemptAt: at,
          createdAt: at,
          leaseUntil: claimedHere ? leaseEnd(worker.leaseMs) : null,
        })
        .returning({ id: mailOutbox.id });
      if (claimedHere && row) worker.adopt(row.id);
    },
    kick() {
      worker?.kick();
    },
    async flush(timeoutMs) {
      await worker?.flush(timeoutMs);
    },
  };
}

/** Deletes delivered mail older than a week, and failed mail older than a month (kept that long
 * for operators to look into). Their bodies were blanked when they stopped being pending. */
export async function pruneMail(executor: Executor, at: Date): Promise<number> {
  const weekAgo = new Date(at.getTime() - 7 * 86_400_000);
  const monthAgo = new Date(at.getTime() - 30 * 86_400_000);
  const deleted = await executor
    .delete(mailOutbox)
    .where(
      or(
        and(eq(mailOutbox.status, "SENT"), lt(mailOutbox.createdAt, weekAgo)),
        and(eq(mailOutbox.status, "FAILED"), lt(mailOutbox.createdAt, monthAgo)),
      ),
    )
    .returning({ id: mailOutbox.id });
  return deleted.length;
}
