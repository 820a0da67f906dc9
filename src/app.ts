/**
 * createApp(config, deps) → an Express handler serving GraphQL and the REST endpoints.
 * No listening for HTTP, no migrations: main.ts and the tests own those. It does start the viewer
 * cache's notification listener (and its heartbeat) and the mail delivery worker, which `stop`
 * ends.
 */
import { ApolloServer } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import cors from "cors";
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from "express";
import type { Config } from "./config";
import type { DatabaseHandle } from "./db/connection";
import { GRAPHQL_PATH } from "./auth/cookies";
import { createContextFactory, type Context } from "./graphql/context";
import { errorLoggingPlugin, formatError } from "./graphql/errors";
import { trackInFlight } from "./graphql/in-flight";
import { operationLimitsPlugin } from "./graphql/limits";
import { buildGatehouseSchema } from "./graphql/schema";
import { sessionBarrierPlugin } from "./graphql/session-barrier";
import { playground, PLAYGROUND_ASSETS_PATH } from "./http/playground";
import { restRoutes } from "./http/rest";
import { staticSecurityHeaders } from "./http/security-headers";
import type { Logger } from "./logger";
import { createMailer, type Mailer } from "./mail/mailer";
import { createServices, type Services } from "./services";

export interface AppDeps {
  database: DatabaseHandle;
  logger: Logger;
  /** A clock for tests; the system clock otherwise. */
  now?: () => Date;
  /**
   * The transport when `SMTP_URL` is not set (tests pass a log transport they read back); the log
   * transport printing to `logger` when omitted. With `SMTP_URL`, mail goes over SMTP.
   */
  mailer?: Mailer;
}

export interface App {
  handler: Express;
  services: Services;
  /** Waits for running operations (up to `timeoutMs`), then stops Apollo. */
  stop(timeoutMs?: number): Promise<void>;
}

function trustProxySetting(value: string): boolean | number | string {
  if (value === "true") return true;
  if (value === "false") return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

export async function createApp(config: Config, deps: AppDeps): Promise<App> {
  const { database, logger } = deps;
  const mailer = config.mail.smtpUrl || !deps.mailer ? createMailer(config, logger) : deps.mailer;
  const services = createServices(config, database, { mailer, logger, now: deps.now });
  await services.viewerCache.start();

  const inFlight = trackInFlight();
  const apollo = new ApolloServer<Context>({
    schema: await buildGatehouseSchema(),
    formatError,
    includeStacktraceInErrorResponses: false,
    // Refuses simple (form or GET) requests that a browser would send cross-site without a preflight.
    csrfPrevention: true,
    // Off in production, unless the playground is on there (its docs explorer needs it).
    introspection: config.graphql.introspection,
    // Cache control is Apollo's per-field hook for CDN hints; every answer here is no-store, and
    // the hook costs on every field of every list. Apollo's landing page loads from a CDN (our
    // own playground answers browsers instead, see src/http/playground.ts).
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      errorLoggingPlugin(logger),
      operationLimitsPlugin(),
      inFlight.plugin,
      sessionBarrierPlugin(services.viewerCache),
    ],
    // main.ts owns shutdown (drain HTTP, then Apollo, then the database); Apollo's own signal
    // handlers would race it and re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    logger,
  });
  await apollo.start();

  const app = express();
  app.disable("x-powered-by");
  // Answers are per viewer and no-store: an ETag would only cost a hash of every body.
  app.set("etag", false);
  app.set("trust proxy", trustProxySetting(config.http.trustProxy));
  app.use(staticSecurityHeaders());

  const allowed = new Set(config.http.corsOrigins);
  const corsHandler = cors({
    // Only listed origins may call with credentials; others get no CORS headers at all.
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    maxAge: 600,
  });
  // Requests without an Origin (servers, curl) get nothing from cors (its origin callback says
  // no and it calls next), so they skip it.
  const corsWhenCrossOrigin: RequestHandler = (req, res, next) => {
    if (req.headers.origin === undefined) next();
    else corsHandler(req, res, next);
  };
  if (config.graphql.playground) {
    const { page, assets } = playground({ logger });
    // Browser navigations to the endpoint get GraphiQL; every other request passes to Apollo.
    app.get(GRAPHQL_PATH, page);
    app.use(PLAYGROUND_ASSETS_PATH, assets);
  }
  app.use(
    GRAPHQL_PATH,
    corsWhenCrossOrigin,
    express.json({ limit: config.http.bodyLimit }),
    expressMiddleware(apollo, {
      context: createContextFactory(config, services, database.db, logger),
    }),
  );

  // After GraphQL, so the API's requests skip this router's path matching.
  app.use(restRoutes({ database, keyRing: services.keyRing, logger }));

  app.use((_req, res) => {
    res.status(404).json({ errors: [{ message: "Not found", extensions: { code: "NOT_FOUND" } }] });
  });

  // Body parser and other HTTP-level failures still answer in GraphQL's error shape.
  const onError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      const message =
        status === 413 ? "The request body is too large" : "The request could not be read";
      res.status(status).json({ errors: [{ message, extensions: { code: "BAD_USER_INPUT" } }] });
      return;
    }
    logger.error({ err: error }, "Unhandled HTTP error");
    res.status(500).json({
      errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } }],
    });
  };
  app.use(onError);

  services.mailWorker.start();
  return {
    handler: app,
    services,
    async stop(timeoutMs = 10_000) {
      const left = await inFlight.drained(timeoutMs);
      if (left > 0) logger.warn({ operations: left }, "Stopping with operations still running");
      await apollo.stop();
      // Reset requests queue their mail after answering: let them finish.
      await services.accountFlows.settled();
      // No operation can enqueue mail any more: finish the message being sent, then stop.
      await services.mailWorker.stop();
      await mailer.close?.();
      await services.sessions.flushTouches();
      await services.viewerCache.stop();
    },
  };
}
