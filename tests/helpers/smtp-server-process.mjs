// A real SMTP server for tests, run as its own process by tests/helpers/smtp.ts (so a test can
// take it down and bring it back on the same port). Listens on 127.0.0.1 on the port given as
// the first argument (0: any free one), without TLS or authentication, and writes one JSON line
// per event to stdout: {"type":"listening","port":N} once, then {"type":"message","from",
// "to":[...],"raw":"<base64 source>"} per message, before the message is acknowledged. Exits on
// SIGTERM, or when its parent goes away (stdin closes).
import { Buffer } from "node:buffer";
import process from "node:process";
import { setTimeout } from "node:timers";
import { SMTPServer } from "smtp-server";

const port = Number(process.argv[2] ?? "0");

function emit(event, done) {
  process.stdout.write(`${JSON.stringify(event)}\n`, done);
}

const server = new SMTPServer({
  secure: false,
  authOptional: true,
  allowInsecureAuth: true,
  disabledCommands: ["STARTTLS", "AUTH"],
  hideSTARTTLS: true,
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on("data", (chunk) => chunks.push(chunk));
    stream.on("error", (error) => callback(error));
    stream.on("end", () => {
      const event = {
        type: "message",
        from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
        to: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks).toString("base64"),
      };
      // Accepted only once the test process can read it.
      emit(event, () => callback());
    });
  },
});

server.on("error", (error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});

server.listen(port, "127.0.0.1", () => {
  emit({ type: "listening", port: server.server.address().port });
});

function shutDown() {
  server.close(() => process.exit(0));
  // Open client connections are not waited for.
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on("SIGTERM", shutDown);
process.stdin.on("end", shutDown);
process.stdin.resume();
