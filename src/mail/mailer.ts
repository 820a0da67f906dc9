/**
 * The mailer every feature sends through. The default transport prints each message, link
 * included, to the structured log, so a development server needs no mail server; an SMTP
 * transport plugs in behind the same interface.
 */
import type { Logger } from "../logger";

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** The one action link of the message, also inside `text`; logged on its own for operators. */
  link?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
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
