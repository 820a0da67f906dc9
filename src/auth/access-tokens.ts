/**
 * Access tokens: short-lived JWTs (RFC 9068 profile, `typ: at+jwt`) signed with the key ring.
 * Verification trusts nothing the token says about keys: only our own `kid`s, only the
 * algorithm that key was made for, never `jku`, `x5u`, `x5c` or an embedded `jwk`.
 * Verified claims are cached by the exact token string until they expire, because the check
 * runs on every request; whether the session is still live is checked by the caller each time.
 * A token that is ours in every respect but has expired is told apart from a bad one, so that a
 * client learns to refresh rather than that it is signed out.
 */
import { randomUUID } from "node:crypto";
import { SignJWT, errors as joseErrors, jwtVerify, type JWTHeaderParameters } from "jose";
import { JWT_ALGORITHMS } from "../config";
import type { KeyRing } from "./key-ring";

export const PLATFORM_AUDIENCE = "gatehouse:platform";
/** Each project is its own audience: its end users' tokens are good there and nowhere else. */
export const projectAudience = (projectId: string) => `gatehouse:project:${projectId}`;
const ACCESS_TOKEN_TYPE = "at+jwt";
const CACHE_LIMIT = 10_000;

export interface AccessTokenClaims {
  sub: string;
  sid: string;
  aud: string;
  jti: string;
  iat: number;
  exp: number;
}

/** What a presented token turned out to be. `expired`: signed by us, for this audience and
 * issuer, well-formed, only past its `exp` (jose checks the signature and every other claim
 * before the times). */
export type AccessTokenCheck =
  { status: "valid"; claims: AccessTokenClaims } | { status: "expired" } | { status: "invalid" };

const INVALID: AccessTokenCheck = { status: "invalid" };
const EXPIRED: AccessTokenCheck = { status: "expired" };

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
}

export interface AccessTokens {
  issue(input: {
    subject: string;
    sessionId: string;
    audience: string;
  }): Promise<IssuedAccessToken>;
  /** Whether the token is valid for `audience` (with its claims), expired, or invalid. Never
   * throws on bad input. */
  verify(token: string, audience: string): Promise<AccessTokenCheck>;
}

export interface AccessTokenOptions {
  keyRing: KeyRing;
  issuer: string;
  ttlSeconds: number;
  now?: () => Date;
}

export class UntrustedKeyError extends Error {}

export function createAccessTokens(options: AccessTokenOptions): AccessTokens {
  const { keyRing, issuer } = options;
  const now = options.now ?? (() => new Date());
  const cache = new Map<string, AccessTokenClaims>();

  async function resolveKey(header: JWTHeaderParameters) {
    if (
      header.jku !== undefined ||
      header.x5u !== undefined ||
      header.jwk !== undefined ||
      header.x5c !== undefined
    ) {
      throw new UntrustedKeyError("Token names its own key");
    }
    if (typeof header.kid !== "string") throw new UntrustedKeyError("Token has no kid");
    const key = await keyRing.verificationKey(header.kid);
    if (!key || key.alg !== header.alg) throw new UntrustedKeyError("Unknown kid or algorithm");
    return key.publicKey;
  }

  return {
    async issue({ subject, sessionId, audience }) {
      const key = await keyRing.signingKey();
      const issuedAt = Math.floor(now().getTime() / 1000);
      const exp = issuedAt + options.ttlSeconds;
      const token = await new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(subject)
        .setJti(randomUUID())
        .setIssuedAt(issuedAt)
        .setExpirationTime(exp)
        .sign(key.privateKey);
      return { token, expiresAt: new Date(exp * 1000) };
    },

    async verify(token, audience) {
      const nowSeconds = Math.floor(now().getTime() / 1000);
      const cached = cache.get(token);
      if (cached) {
        if (cached.aud !== audience) return INVALID;
        if (cached.exp > nowSeconds) return { status: "valid", claims: cached };
        cache.delete(token);
        return EXPIRED;
      }
      try {
        const { payload } = await jwtVerify(token, resolveKey, {
          issuer,
          audience,
          algorithms: [...JWT_ALGORITHMS],
          typ: ACCESS_TOKEN_TYPE,
          requiredClaims: ["sub", "sid", "jti", "iat", "exp"],
          currentDate: now(),
          clockTolerance: 0,
        });
        if (typeof payload.sid !== "string" || typeof payload.sub !== "string") return INVALID;
        const claims: AccessTokenClaims = {
          sub: payload.sub,
          sid: payload.sid,
          aud: audience,
          jti: payload.jti as string,
          iat: payload.iat as number,
          exp: payload.exp as number,
        };
        if (cache.size >= CACHE_LIMIT) {
          // Maps iterate in insertion order: drop the oldest entry.
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
        cache.set(token, claims);
        return { status: "valid", claims };
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired && error.claim === "exp") {
          const { sid, sub } = error.payload;
          return typeof sid === "string" && typeof sub === "string" ? EXPIRED : INVALID;
        }
        if (
          error instanceof joseErrors.JOSEError ||
          error instanceof UntrustedKeyError ||
          error instanceof TypeError
        ) {
          return INVALID;
        }
        throw error;
      }
    },
  };
}
