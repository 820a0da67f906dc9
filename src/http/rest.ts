/** The REST endpoints beside GraphQL: health, readiness, and the public signing keys. */
import { Router } from "express";
import type { DatabaseHandle } from "../db/connection";
import type { KeyRing } from "../auth/key-ring";
import type { Logger } from "../logger";

export function restRoutes(deps: {
  database: DatabaseHandle;
  keyRing: KeyRing;
  logger: Logger;
}): Router {
  const router = Router();

  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  router.get("/readyz", async (_req, res) => {
    try {
      await deps.database.ping();
      res.json({ status: "ready", database: deps.database.kind });
    } catch (error) {
      deps.logger.warn({ err: error }, "Readiness check failed");
      res.status(503).json({ status: "unavailable", database: deps.database.kind });
    }
  });

  router.get("/.well-known/jwks.json", async (_req, res, next) => {
    try {
      const jwks = await deps.keyRing.jwks();
      // Short cache: verifiers pick up a rotation within minutes, and the retiring key stays listed.
      res.setHeader("cache-control", "public, max-age=300");
      res.json(jwks);
    } catch (error) {
      next(error);
    }
  });

  return router;
}
