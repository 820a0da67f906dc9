import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  base64url,
} from "jose";
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLATFORM_AUDIENCE } from "../src/auth/access-tokens";
import { MeDocument, UpdateProfileDocument } from "./gql/graphql";
import { signUp } from "./helpers/flows";
import { startInstance, type Instance } from "./helpers/instance";
import { errorCodes } from "./helpers/client";

let gh: Instance;
beforeAll(async () => {
  gh = await startInstance();
});
afterAll(() => gh?.close());

/** `me` as a bearer client with no cookies: null when the token is not accepted, "expired"
 * when it is ours but past its time (UNAUTHENTICATED, reason ACCESS_TOKEN_EXPIRED). */
async function meWithBearer(token: string): Promise<string | null | "expired"> {
  const client = gh.client();
  client.bearer = token;
  const result = await client.request(MeDocument);
  if (result.errors?.length) {
    expect(result.errors.map((e) => [e.extensions?.code, e.extensions?.reason])).toEqual([
      ["UNAUTHENTICATED", "ACCESS_TOKEN_EXPIRED"],
    ]);
    return "expired";
  }
  return result.data?.me?.id ?? null;
}

function payloadOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<
    string,
    unknown
  >;
}

/** Re-signs `claims` with the server's own active key: only the claim under test is wrong. */
async function signWithServerKey(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
) {
  const key = await gh.app.services.keyRing.signingKey();
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "at+jwt", ...header })
    .sign(key.privateKey);
}

describe("access tokens", () => {
  it("carry the documented header and claims", async () => {
    const { tokens, user, session } = await signUp(gh.client());
    const header = decodeProtectedHeader(tokens.accessToken);
    expect(header).toMatchObject({ alg: "EdDSA", typ: "at+jwt" });
    expect(typeof header.kid).toBe("string");
    const claims = payloadOf(tokens.accessToken);
    expect(claims).toMatchObject({
      iss: gh.config.tokens.issuer,
      aud: PLATFORM_AUDIENCE,
      sub: user.id,
      sid: session.id,
    });
    expect(typeof claims.jti).toBe("string");
    expect((claims.exp as number) - (claims.iat as number)).toBe(15 * 60);
  });

  it("verify in another service with jose and the JWKS URL", async () => {
    const { tokens, user } = await signUp(gh.client());
    const jwks = createRemoteJWKSet(new URL(`${gh.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(tokens.accessToken, jwks, {
      issuer: gh.config.tokens.issuer,
      audience: PLATFORM_AUDIENCE,
      typ: "at+jwt",
    });
    expect(payload.sub).toBe(user.id);
  });

  it("are accepted as a bearer header, and the bearer wins over the cookie", async () => {
    const alice = gh.client();
    await signUp(alice);
    const { tokens: bobTokens, user: bob } = await signUp(gh.client());
    // Alice's browser cookies plus Bob's bearer header: the explicit header decides.
    const result = await alice.ok(MeDocument, undefined, {
      headers: { authorization: `Bearer ${bobTokens.accessToken}` },
    });
    expect(result.me?.id).toBe(bob.id);
  });

  it("are refused once expired", async () => {
    const { tokens, user } = await signUp(gh.client());
    expect(await meWithBearer(tokens.accessToken)).toBe(user.id);
    gh.clock.advance(15 * 60 + 1);
    try {
      expect(await meWithBearer(tokens.accessToken)).toBe("expired");
      const client = gh.client();
      client.bearer = tokens.accessToken;
      const denied = await client.request(UpdateProfileDocument, { input: { fullName: "Nope" } });
      expect(errorCodes(denied)).toEqual(["UNAUTHENTICATED"]);
    } finally {
      gh.clock.advance(-(15 * 60 + 1));
    }
  });

  describe("tampered tokens are refused", () => {
    it("alg none", async () => {
      const { tokens } = await signUp(gh.client());
      const header = base64url.encode(
        JSON.stringify({
          alg: "none",
          typ: "at+jwt",
          kid: decodeProtectedHeader(tokens.accessToken).kid,
        }),
      );
      const forged = `${header}.${tokens.accessToken.split(".")[1]}.`;
      expect(await meWithBearer(forged)).toBeNull();
    });

    it("HS256 signed with the public key (algorithm confusion)", async () => {
      const { tokens } = await signUp(gh.client());
      const { keys } = (await (await fetch(`${gh.url}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string; x: string }[];
      };
      const kid = decodeProtectedHeader(tokens.accessToken).kid;
      const publicKey = keys.find((k) => k.kid === kid)!;
      const header = base64url.encode(JSON.stringify({ alg: "HS256", typ: "at+jwt", kid }));
      const body = tokens.accessToken.split(".")[1];
      for (const secret of [
        JSON.stringify(publicKey),
        publicKey.x,
        Buffer.from(publicKey.x, "base64url"),
      ]) {
        const signature = createHmac("sha256", secret)
          .update(`${header}.${body}`)
          .digest("base64url");
        expect(await meWithBearer(`${header}.${body}.${signature}`)).toBeNull();
      }
    });

    it("signed by another key under our kid", async () => {
      const { tokens } = await signUp(gh.client());
      const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
      const forged = await new SignJWT(payloadOf(tokens.accessToken))
        .setProtectedHeader({
          alg: "EdDSA",
          typ: "at+jwt",
          kid: decodeProtectedHeader(tokens.accessToken).kid!,
        })
        .sign(privateKey);
      expect(await meWithBearer(forged)).toBeNull();
    });

    it("carrying its own key (embedded jwk) or a key URL (jku)", async () => {
      const { tokens } = await signUp(gh.client());
      const { privateKey, publicKey } = await generateKeyPair("EdDSA", {
        crv: "Ed25519",
        extractable: true,
      });
      const embedded = await new SignJWT(payloadOf(tokens.accessToken))
        .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", jwk: await exportJWK(publicKey) })
        .sign(privateKey);
      expect(await meWithBearer(embedded)).toBeNull();
      const withJku = await signWithServerKey(payloadOf(tokens.accessToken), {
        jku: "http://127.0.0.1:1/jwks.json",
      });
      expect(await meWithBearer(withJku)).toBeNull();
    });

    // Only a token that is ours in every other respect reads as expired (a reason to refresh).
    it.each([
      ["a wrong audience", { aud: "gatehouse:project:00000000-0000-0000-0000-000000000000" }, null],
      ["a wrong issuer", { iss: "https://evil.example.com" }, null],
      ["no session id", { sid: undefined }, null],
      ["no session id and past its expiry", { sid: undefined, exp: 1 }, null],
      ["a wrong audience and past its expiry", { aud: "gatehouse:other", exp: 1 }, null],
      ["an expiry in the past", { exp: Math.floor(Date.now() / 1000) - 10 }, "expired"],
    ])("with %s, even when signed by our key", async (_label, change, outcome) => {
      const { tokens, user } = await signUp(gh.client());
      // Control: the same claims re-signed unchanged are accepted.
      expect(await meWithBearer(await signWithServerKey(payloadOf(tokens.accessToken)))).toBe(
        user.id,
      );
      const claims = { ...payloadOf(tokens.accessToken), ...change };
      expect(await meWithBearer(await signWithServerKey(claims))).toBe(outcome);
    });

    it("with a wrong typ (an ID token is not an access token)", async () => {
      const { tokens } = await signUp(gh.client());
      expect(
        await meWithBearer(await signWithServerKey(payloadOf(tokens.accessToken), { typ: "JWT" })),
      ).toBeNull();
    });

    it("garbage", async () => {
      for (const junk of ["", "abc", "a.b.c", "x".repeat(5000)]) {
        expect(await meWithBearer(junk)).toBeNull();
      }
    });
  });
});

describe("signing-key rotation", () => {
  it("keeps tokens signed with the previous key valid and publishes both keys", async () => {
    const { tokens, user } = await signUp(gh.client());
    const oldKid = decodeProtectedHeader(tokens.accessToken).kid;
    const newKid = await gh.app.services.keyRing.rotate();
    expect(newKid).not.toBe(oldKid);

    const { keys } = (await (await fetch(`${gh.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; d?: string }[];
    };
    expect(keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));
    // Public halves only.
    expect(keys.every((k) => k.d === undefined)).toBe(true);

    expect(await meWithBearer(tokens.accessToken)).toBe(user.id);
    const fresh = await signUp(gh.client());
    expect(decodeProtectedHeader(fresh.tokens.accessToken).kid).toBe(newKid);
    expect(await meWithBearer(fresh.tokens.accessToken)).toBe(fresh.user.id);
  });

  it("moves to a newly configured algorithm at start, and earlier tokens keep verifying", async () => {
    const eddsa = await startInstance({ isolated: true });
    const es256 = await startInstance({
      env: { JWT_ALGORITHM: "ES256" },
      database: eddsa.database,
    });
    try {
      const before = await signUp(eddsa.client());
      expect(decodeProtectedHeader(before.tokens.accessToken).alg).toBe("EdDSA");
      const after = await signUp(es256.client());
      expect(decodeProtectedHeader(after.tokens.accessToken).alg).toBe("ES256");
      const client = es256.client();
      client.bearer = before.tokens.accessToken;
      expect((await client.ok(MeDocument)).me?.id).toBe(before.user.id);
    } finally {
      await es256.close();
      await eddsa.close();
    }
  });

  it("drops a retired key once the tokens it signed have expired", async () => {
    const { tokens } = await signUp(gh.client());
    const oldKid = decodeProtectedHeader(tokens.accessToken).kid;
    await gh.app.services.keyRing.rotate();
    gh.clock.advance(15 * 60 + 301);
    try {
      await gh.app.services.keyRing.rotate(); // also reloads the ring at the new time
      const { keys } = (await (await fetch(`${gh.url}/.well-known/jwks.json`)).json()) as {
        keys: { kid: string }[];
      };
      expect(keys.map((k) => k.kid)).not.toContain(oldKid);
    } finally {
      gh.clock.advance(-(15 * 60 + 301));
    }
  });
});
