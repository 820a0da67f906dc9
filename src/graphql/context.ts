/**
 * Per-request context: request id, client address, the viewer (from a bearer header or the
 * access cookie, with the session checked live), and the cookie helpers resolvers use.
 */
import { randomUUID } from "node:crypto";
import type { Request, Response } from "express";
import { GraphQLError } from "graphql";
import type { Config } from "../config";
import type { Executor } from "../db/connection";
import type { SessionRow } from "../db/schema/index";
import { PLATFORM_AUDIENCE, projectAudience, type IssuedAccessToken } from "../auth/access-tokens";
import {
  clearSessionCookies,
  cookieNames,
  projectCookieNames,
  readAccessToken,
  readRefreshCookie,
  setSessionCookies,
  type CookieNames,
} from "../auth/cookies";
import { viewerTags } from "../auth/viewer-cache";
import type { Logger } from "../logger";
import type { RequestMeta } from "../audit/audit-log";
import type { EndUserViewer } from "../modules/end-users/end-user-auth.service";
import type { PlatformViewer } from "../modules/users/users.service";
import type { Services } from "../services";
import { createLoaders, type Loaders } from "./loaders";

/** What a sign-in hands the browser as cookies. */
export interface IssuedSession {
  accessToken: IssuedAccessToken;
  refreshToken: string;
  refreshExpiresAt: Date;
}

export interface Context {
  requestId: string;
  meta: RequestMeta;
  viewer: PlatformViewer | null;
  /**
   * No viewer because the platform access token has expired (or its cookie is gone while the
   * refresh cookie is still sent): answers that need a viewer say ACCESS_TOKEN_EXPIRED.
   */
  accessExpired: boolean;
  services: Services;
  /** This request's DataLoaders, for its viewer. */
  loaders: Loaders;
  /**
   * Makes the session this request has just started (sign-up, log-in, refresh) its viewer, with
   * loaders for it: the payload's `user { sessions organizations … }` then reads as that user's
   * own, like any later field of the request.
   */
  actAs(viewer: PlatformViewer): void;
  /** The refresh token in the cookie, for refresh and log-out without an explicit token. */
  refreshCookie: string | null;
  setSessionCookies(result: IssuedSession): void;
  clearSessionCookies(): void;
  /**
   * The signed-in end user of `projectId`: from the bearer token (which wins, as for the
   * platform) or that project's access cookie, verified for that project's audience, with the
   * session checked live. Resolved once per project and request.
   */
  endUser(projectId: string): Promise<EndUserViewer | null>;
  /** accessExpired for that project's end-user credentials. */
  endUserAccessExpired(projectId: string): Promise<boolean>;
  /** End users this request proved to hold a mailed token of (verification, email change):
   * it may read them, signed in or not. */
  provenEndUserIds: Set<string>;
  /** The end-user session this request has just started becomes its end user for that project. */
  actAsEndUser(projectId: string, viewer: EndUserViewer): void;
  endUserRefreshCookie(projectId: string): string | null;
  setEndUserCookies(projectId: string, result: IssuedSession): void;
  clearEndUserCookies(projectId: string): void;
}

interface SessionHolder<V> {
  viewer: V | null;
  expired: boolean;
}

const REQUEST_ID = /^[\w.-]{1,64}$/;
const USER_AGENT_MAX = 512;

export function createContextFactory(
  config: Config,
  services: Services,
  db: Executor,
  logger: Logger,
) {
  const names: CookieNames = cookieNames(config.cookies);

  return async function buildContext({
    req,
    res,
  }: {
    req: Request;
    res: Response;
  }): Promise<Context> {
    const header = req.headers["x-request-id"];
    const requestId = typeof header === "string" && REQUEST_ID.test(header) ? header : randomUUID();
    res.setHeader("x-request-id", requestId);
    // GraphQL answers are per viewer and may carry tokens: never store them in a cache.
    res.setHeader("cache-control", "no-store");

    const meta: RequestMeta = {
      ipAddress: req.ip ?? null,
      userAgent: req.get("user-agent")?.slice(0, USER_AGENT_MAX) ?? null,
    };

    /**
     * Whoever holds the access token of `cookies` (or the bearer token) for `audience`, with the
     * session checked live (and its use noted). Without the session check no request can be
     * answered safely: a database failure here is SERVICE_UNAVAILABLE, retryable.
     * `expired`: the token is ours but past its time, or there is none but a refresh cookie —
     * the browser drops the access cookie when the token expires, the refresh cookie lives on.
     */
    async function sessionHolder<V extends { session: SessionRow }>(
      cookies: CookieNames,
      audience: string,
      tags: (subject: string, sessionId: string) => string[],
      find: (subject: string, sessionId: string) => Promise<V | null>,
    ): Promise<SessionHolder<V>> {
      const token = readAccessToken(req, cookies);
      if (!token) {
        const bearer = req.headers.authorization !== undefined;
        return { viewer: null, expired: !bearer && readRefreshCookie(req, cookies) !== null };
      }
      try {
        const check = await services.accessTokens.verify(token, audience);
        if (check.status !== "valid") return { viewer: null, expired: check.status === "expired" };
        const { sub: subject, sid: sessionId } = check.claims;
        const found = await services.viewerCache.resolve(
          { audience, subject, sessionId },
          tags(subject, sessionId),
          () => find(subject, sessionId),
        );
        if (found) services.sessions.touch(found.session);
        return { viewer: found, expired: false };
      } catch (error) {
        logger.error({ err: error, requestId, audience }, "Could not resolve the viewer");
        throw new GraphQLError("The service is temporarily unavailable; retry shortly", {
          extensions: { code: "SERVICE_UNAVAILABLE", http: { status: 503 } },
        });
      }
    }

    const platform = await sessionHolder(
      names,
      PLATFORM_AUDIENCE,
      (userId, sessionId) => [viewerTags.session(sessionId), viewerTags.user(userId)],
      (userId, sessionId) => services.users.findViewer(userId, sessionId),
    );

    // End users are resolved per project, when an operation names one. The map is shared by
    // every shallow copy Apollo makes of this context.
    const endUserHolders = new Map<string, Promise<SessionHolder<EndUserViewer>>>();
    const resolveEndUser = (projectId: string) =>
      sessionHolder(
        projectCookieNames(config.cookies, projectId),
        projectAudience(projectId),
        // The project's policy decides which statuses are blocked.
        (endUserId, sessionId) => [
          viewerTags.session(sessionId),
          viewerTags.endUser(endUserId),
          viewerTags.project(projectId),
        ],
        (endUserId, sessionId) => services.endUsers.findViewer(endUserId, sessionId, projectId),
      );

    const endUserHolder = (projectId: string) => {
      let found = endUserHolders.get(projectId);
      if (!found) {
        found = resolveEndUser(projectId);
        endUserHolders.set(projectId, found);
      }
      return found;
    };

    return {
      requestId,
      meta,
      viewer: platform.viewer,
      accessExpired: platform.expired,
      services,
      loaders: createLoaders(db, platform.viewer?.user.id ?? null),
      // `this`, not `context`: Apollo hands each operation a shallow copy of this object.
      actAs(this: Context, next) {
        this.viewer = next;
        this.accessExpired = false;
        this.loaders = createLoaders(db, next.user.id);
      },
      refreshCookie: readRefreshCookie(req, names),
      setSessionCookies(result) {
        setSessionCookies(res, config.cookies, names, {
          accessToken: result.accessToken.token,
          accessExpiresAt: result.accessToken.expiresAt,
          refreshToken: result.refreshToken,
          refreshExpiresAt: result.refreshExpiresAt,
        });
      },
      clearSessionCookies() {
        clearSessionCookies(res, config.cookies, names);
      },
      async endUser(projectId) {
        return (await endUserHolder(projectId)).viewer;
      },
      async endUserAccessExpired(projectId) {
        return (await endUserHolder(projectId)).expired;
      },
      provenEndUserIds: new Set(),
      actAsEndUser(projectId, next) {
        endUserHolders.set(projectId, Promise.resolve({ viewer: next, expired: false }));
      },
      endUserRefreshCookie(projectId) {
        return readRefreshCookie(req, projectCookieNames(config.cookies, projectId));
      },
      setEndUserCookies(projectId, result) {
        setSessionCookies(res, config.cookies, projectCookieNames(config.cookies, projectId), {
          accessToken: result.accessToken.token,
          accessExpiresAt: result.accessToken.expiresAt,
          refreshToken: result.refreshToken,
          refreshExpiresAt: result.refreshExpiresAt,
        });
      },
      clearEndUserCookies(projectId) {
        clearSessionCookies(res, config.cookies, projectCookieNames(config.cookies, projectId));
      },
    };
  };
}
