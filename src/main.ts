/** Process entry: config, database, migrations, server, graceful shutdown. */
import http from "node:http";
import { createApp } from "./app";
import { loadConfigOrExit } from "./config";
import { openDatabase } from "./db/connection";
import { migrateDatabase } from "./db/migrate";
import { createLogger } from "./logger";
import { pruneAccountTokens } from "./auth/account-tokens";
import { pruneMail } from "./mail/outbox";

const SHUTDOWN_GRACE_MS = 10_000;
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  if (!config.isProduction && config.secret.startsWith("gatehouse-development")) {
    logger.warn(
      "GATEHOUSE_SECRET is not set: using the development secret (refused in production)",
    );
  }

  const database = await openDatabase(config.database);
  await migrateDatabase(database);
  const app = await createApp(config, { database, logger });
  await app.services.keyRing.signingKey(); // creates the first key now, not on the first request

  const server = http.createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  logger.info(
    {
      port,
      database: database.kind,
      mail: config.mail.smtpUrl ? "smtp" : "log",
      graphql: `${config.publicUrl}/graphql`,
    },
    `Gatehouse listening on http://localhost:${port}/graphql`,
  );

  const prune = setInterval(() => {
    app.services.sessions
      .pruneEnded()
      .then((n) => n > 0 && logger.info({ sessions: n }, "Pruned ended sessions"))
      .catch((error: unknown) => logger.warn({ err: error }, "Pruning sessions failed"));
    const at = new Date();
    Promise.all([pruneAccountTokens(database.db, at), pruneMail(database.db, at)])
      .then(([tokens, mail]) => {
        if (tokens + mail > 0) logger.info({ tokens, mail }, "Pruned used tokens and old mail");
      })
      .catch((error: unknown) => logger.warn({ err: error }, "Pruning tokens and mail failed"));
  }, PRUNE_INTERVAL_MS);
  prune.unref();

  let stopping = false;
  async function shutdown(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "Shutting down: finishing in-flight requests");
    clearInterval(prune);
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    force.unref();
    // Stop accepting; idle keep-alive sockets close now, busy ones after their response.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    await app.stop();
    await database.close();
    logger.info("Stopped");
    process.exit(0);
  }
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
