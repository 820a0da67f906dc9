/**
 * A real SMTP server for tests: `smtp-server` in a child process of its own
 * (smtp-server-process.mjs) on 127.0.0.1, no TLS, no authentication. Every message it accepts is
 * parsed with mailparser and kept, in arrival order, across restarts.
 *
 *   const smtp = await startSmtpServer();
 *   const gh = await startInstance({ env: { SMTP_URL: smtp.url } });
 *   // ... something that sends mail ...
 *   const mail = await smtp.waitFor((m) => m.to.includes(email));
 *   const link = mail.links.find((l) => l.startsWith(`${APP_URL}/reset-password?`));
 *   await smtp.stop();
 *
 * API
 * - `startSmtpServer(): Promise<SmtpServer>` starts it on a free port, listening once it resolves.
 * - `url`: `smtp://127.0.0.1:<port>`, for `SMTP_URL`; `port`: that port.
 * - `messages(): Received[]`: every message accepted so far (a copy), oldest first.
 * - `waitFor(predicate, timeoutMs = 20_000): Promise<Received>`: the first message, already
 *   received or still to come, for which `predicate` is true; rejects after `timeoutMs` with the
 *   messages it did see.
 * - `stop(): Promise<void>`: ends the process (the port refuses connections once it resolves).
 * - `restart(): Promise<void>`: starts it again on the same port (stops it first if running).
 *
 * `Received`: `to` the envelope's recipients (lower case); `from` the From header as text
 * (`Gatehouse <no-reply@localhost>`); `subject`; `text` the plain-text part; `html` the HTML part
 * ("" when none); `links` every distinct URL in the message, the HTML part's `href`s (entities
 * decoded) then the text part's URLs, in order.
 *
 * Mail is sent by whichever node claims it: on a database shared with other test files (the
 * PostgreSQL run), a message that failed once may be retried by another file's instance through
 * its own transport. Tests that make delivery fail should use a database of their own
 * (`startInstance({ isolated: true })`, or `openTestDatabase({ isolated: true })` shared by the
 * test's instances).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { simpleParser } from "mailparser";

export interface Received {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  links: string[];
}

export interface SmtpServer {
  url: string;
  port: number;
  messages(): Received[];
  waitFor(predicate: (message: Received) => boolean, timeoutMs?: number): Promise<Received>;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

const SCRIPT = path.join(import.meta.dirname, "smtp-server-process.mjs");

type ChildEvent =
  | { type: "listening"; port: number }
  | { type: "message"; from: string; to: string[]; raw: string };

const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#39;": "'",
};

function decodeEntities(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity);
}

/** Every distinct URL: the HTML part's hrefs, then the text part's URLs. */
export function linksOf(html: string, text: string): string[] {
  const hrefs = [...html.matchAll(/\bhref\s*=\s*"([^"]*)"/gi)].map((m) => decodeEntities(m[1]!));
  const inText = [...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]);
  return [...new Set([...hrefs, ...inText])];
}

async function parse(event: Extract<ChildEvent, { type: "message" }>): Promise<Received> {
  const mail = await simpleParser(Buffer.from(event.raw, "base64"));
  const html = typeof mail.html === "string" ? mail.html : "";
  const text = mail.text ?? "";
  return {
    to: event.to.map((address) => address.toLowerCase()),
    from: mail.from?.text ?? event.from,
    subject: mail.subject ?? "",
    text,
    html,
    links: linksOf(html, text),
  };
}

export async function startSmtpServer(): Promise<SmtpServer> {
  const received: Received[] = [];
  const listeners = new Set<() => void>();
  /** Messages are parsed one after another, so they keep their arrival order. */
  let parsing: Promise<void> = Promise.resolve();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  function spawnServer(port: number): Promise<number> {
    const proc = spawn(process.execPath, [SCRIPT, String(port)], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    child = proc;
    let stderr = "";
    proc.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    // "close": the process is gone and its output read to the end.
    exited = new Promise((resolve) => proc.once("close", () => resolve()));
    return new Promise((resolve, reject) => {
      proc.once("exit", (code) =>
        reject(new Error(`The SMTP server exited (${code}) before listening:\n${stderr}`)),
      );
      const lines = readline.createInterface({ input: proc.stdout! });
      lines.on("line", (line) => {
        const event = JSON.parse(line) as ChildEvent;
        if (event.type === "listening") {
          resolve(event.port);
          return;
        }
        parsing = parsing
          .then(() => parse(event))
          .then((message) => {
            received.push(message);
            for (const listener of listeners) listener();
          });
      });
    });
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = undefined;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const force = setTimeout(() => proc.kill("SIGKILL"), 3_000);
      proc.kill("SIGTERM");
      await exited;
      clearTimeout(force);
    }
    await parsing;
  }

  const port = await spawnServer(0);

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages: () => [...received],

    waitFor(predicate, timeoutMs = 20_000) {
      const found = received.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = received.find(predicate);
          if (!match) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(match);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          const seen = received.map((m) => `${m.to.join(",")}: ${m.subject}`).join("\n  ");
          reject(
            new Error(`No matching mail within ${timeoutMs} ms; received:\n  ${seen || "none"}`),
          );
        }, timeoutMs);
        listeners.add(check);
      });
    },

    stop,

    async restart() {
      await stop();
      // The port was just released; another process may hold it for a moment (rare).
      for (let attempt = 1; ; attempt++) {
        try {
          await spawnServer(port);
          return;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
  };
}
