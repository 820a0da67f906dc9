/**
 * Session cookies for browsers. Both are httpOnly, so page scripts never hold a token.
 * In production (Secure cookies) the access cookie is `__Host-` prefixed (Secure, Path=/, no
 * Domain: it cannot be set or overwritten by a sibling subdomain). The refresh cookie is scoped
 * to the GraphQL path so it only travels to the endpoint that exchanges it; `__Host-` forbids a
 * Path other than `/`, so it takes the `__Secure-` prefix instead.
 * SameSite=Lax by default: cross-site POSTs carry neither cookie.
 */
import { parse } from "cookie";
import type { CookieOptions, Request, Response } from "express";

export const GRAPHQL_PATH = "/graphql";

export interface CookieSettings {
  secure: boolean;
  sameSite: "lax" | "strict" | "none";
}

export interface CookieNames {
  access: string;
  refresh: string;
}

/** `scope` distinguishes cookie pairs: `gh` for the platform, one pair per project. */
export function cookieNames(settings: CookieSettings, scope = "gh"): CookieNames {
  return settings.secure
    ? { access: `__Host-${scope}_at`, refresh: `__Secure-${scope}_rt` }
    : { access: `${scope}_at`, refresh: `${scope}_rt` };
}

/** An end user's cookies in one project (`ghp_<projectId>_at`, `…_rt`): one browser can hold a
 * platform session and end-user sessions of several projects side by side. */
export function projectCookieNames(settings: CookieSettings, projectId: string): CookieNames {
  return cookieNames(settings, `ghp_${projectId}`);
}

function baseOptions(settings: CookieSettings): CookieOptions {
  return { httpOnly: true, secure: settings.secure, sameSite: settings.sameSite };
}

export function setSessionCookies(
  res: Response,
  settings: CookieSettings,
  names: CookieNames,
  tokens: {
    accessToken: string;
    accessExpiresAt: Date;
    refreshToken: string;
    refreshExpiresAt: Date;
  },
): void {
  res.cookie(names.access, tokens.accessToken, {
    ...baseOptions(settings),
    path: "/",
    expires: tokens.accessExpiresAt,
  });
  res.cookie(names.refresh, tokens.refreshToken, {
    ...baseOptions(settings),
    path: GRAPHQL_PATH,
    expires: tokens.refreshExpiresAt,
  });
}

export function clearSessionCookies(
  res: Response,
  settings: CookieSettings,
  names: CookieNames,
): void {
  res.clearCookie(names.access, { ...baseOptions(settings), path: "/" });
  res.clearCookie(names.refresh, { ...baseOptions(settings), path: GRAPHQL_PATH });
}

/** Each request's Cookie header, parsed on the first read (most API calls carry none). */
const jars = new WeakMap<Request, Record<string, string | undefined>>();

function readCookie(req: Request, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  let jar = jars.get(req);
  if (!jar) {
    jar = parse(header);
    jars.set(req, jar);
  }
  const value = jar[name];
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** `Authorization: Bearer` wins over the cookie: an explicit credential says what the caller means. */
export function readAccessToken(req: Request, names: CookieNames): string | null {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? null;
  }
  return readCookie(req, names.access);
}

export function readRefreshCookie(req: Request, names: CookieNames): string | null {
  return readCookie(req, names.refresh);
}
