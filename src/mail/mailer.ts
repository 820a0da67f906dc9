/**
 * Transports: how one rendered message leaves the server. Features do not call them: they write
 * to the outbox (outbox.ts) and the delivery worker (worker.ts) sends through one of these.
 *
 * - log (the default): prints each message, link included, to the structured log, so a
 *   development server needs no mail server;
 * - SMTP (nodemailer) when `SMTP_URL` is set, from `MAIL_FROM`.
 */
import { createTransport } from "nodemailer";
import type { Config } from "../config";
import type { Logger } from "../logger";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** The one action link of the message, also inside `text`; logged on its own for operators. */
  link?: string;
}

export interface Mailer {
  /** Resolves once the transport has accepted the message; rejects when it did not. */
  send(message: MailMessage): Promise<void>;
  /** Releases connections (SMTP); the log transport has none. */
  close?(): Promise<void>;
}

export function createLogMailer(logger: Logger, from: string): Mailer {
  return {
    async send(message) {
      logger.info(
        {
          mail: {
            from,
            to: message.to,
            subject: message.subject,
            link: message.link,
            text: message.text,
          },
        },
        "Mail (log transport: printed, not delivered)",
      );
    },
  };
}

export interface SmtpMailerOptions {
  /** Bounds connecting, the greeting and each later wait on the socket (ms). */
  timeoutMs?: number;
}

/**
 * One SMTP connection per message (add `?pool=true` to the URL for pooled connections). The
 * URL's own settings win over these defaults.
 */
export function createSmtpMailer(
  url: string,
  from: string,
  options: SmtpMailerOptions = {},
): Mailer {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const transport = createTransport({
    url,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // Messages carry no attachments: never let one read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async send(message) {
      await transport.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
      });
    },
    async close() {
      transport.close();
    },
  };
}

/** The transport the configuration asks for: SMTP when `SMTP_URL` is set, the log otherwise. */
export function createMailer(config: Config, logger: Logger): Mailer {
  const { smtpUrl, from, delivery } = config.mail;
  return smtpUrl
    ? createSmtpMailer(smtpUrl, from, { timeoutMs: delivery.sendTimeoutMs })
    : createLogMailer(logger, from);
}
