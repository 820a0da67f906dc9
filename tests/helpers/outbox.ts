/**
 * The mail an instance sends, read back from the real log transport: a pino logger writing
 * into memory instead of stdout, and the messages parsed from its lines.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { createLogMailer, type Mailer } from "../../src/mail/mailer";

export interface SentMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  link?: string;
}

export interface Outbox {
  mailer: Mailer;
  messages: SentMail[];
  /** The newest message to `to`, failing the test when there is none. */
  last(to: string): SentMail;
  /** The `token` parameter of the newest link sent to `to`. */
  lastToken(to: string): string;
}

export function createOutbox(): Outbox {
  const messages: SentMail[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        const entry = JSON.parse(line) as { mail?: SentMail };
        if (entry.mail) messages.push(entry.mail);
      }
      done();
    },
  });
  const outbox: Outbox = {
    mailer: createLogMailer(pino({ level: "info" }, sink), "Gatehouse <test@example.com>"),
    messages,
    last(to) {
      const found = messages.findLast((m) => m.to === to.toLowerCase());
      if (!found) throw new Error(`No mail was sent to ${to}`);
      return found;
    },
    lastToken(to) {
      const link = outbox.last(to).link;
      const token = link ? new URL(link).searchParams.get("token") : null;
      if (!token) throw new Error(`The newest mail to ${to} has no token link`);
      return token;
    },
  };
  return outbox;
}
