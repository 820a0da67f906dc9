/**
 * The access-token signing keys. One key is active and signs; keys it replaced are "retiring":
 * they still verify, and stay in the JWKS, until every token they signed has expired. Keys live
 * in the database so every node signs with the same key and verifies each other's tokens; each
 * node caches them and re-reads on an unknown `kid` or after a minute.
 */
import { randomUUID } from "node:crypto";
import { and, eq, gt, or } from "drizzle-orm";
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from "jose";
import type { JwtAlgorithm } from "../config";
import type { Database } from "../db/connection";
import { isUniqueViolation } from "../db/errors";
import { signingKeys, type SigningKeyRow } from "../db/schema/index";
import type { Sealer } from "./seal";

export interface SigningKey {
  kid: string;
  alg: JwtAlgorithm;
  privateKey: CryptoKey;
}

export interface VerificationKey {
  kid: string;
  alg: JwtAlgorithm;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export interface KeyRing {
  signingKey(): Promise<SigningKey>;
  /** The key for `kid` if it is one of ours and still verifies; never a key from the token. */
  verificationKey(kid: string): Promise<VerificationKey | null>;
  jwks(): Promise<{ keys: JWK[] }>;
  /** Makes a new active key; the previous one retires. Returns the new kid. */
  rotate(): Promise<string>;
}

export interface KeyRingOptions {
  db: Database;
  sealer: Sealer;
  algorithm: JwtAlgorithm;
  /** How long a retiring key keeps verifying: the access-token lifetime plus clock skew. */
  retiringWindowSeconds: number;
  now?: () => Date;
}

const RELOAD_AFTER_MS = 60_000;
const UNKNOWN_KID_RELOAD_MIN_MS = 5_000;

interface Loaded {
  at: number;
  signing: SigningKey;
  verifying: Map<string, VerificationKey>;
}

export function createKeyRing(options: KeyRingOptions): KeyRing {
  const { db, sealer } = options;
  const now = options.now ?? (() => new Date());
  let loaded: Promise<Loaded> | undefined;
  let lastUnknownKidReload = 0;

  async function newKeyRow(): Promise<typeof signingKeys.$inferInsert> {
    const alg = options.algorithm;
    const { publicKey, privateKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}),
      ...(alg === "RS256" ? { modulusLength: 2048 } : {}),
    });
    const publicJwk = await exportJWK(publicKey);
    const kid = `${await calculateJwkThumbprint(publicJwk)}.${randomUUID().slice(0, 8)}`;
    const privateJwk = await exportJWK(privateKey);
    return {
      kid,
      alg,
      status: "active",
      publicJwk: { ...publicJwk, kid, alg, use: "sig" },
      privateKeySealed: sealer.seal(JSON.stringify(privateJwk)),
    };
  }

  async function readRows(): Promise<SigningKeyRow[]> {
    const verifiesSince = new Date(now().getTime() - options.retiringWindowSeconds * 1000);
    return db
      .select()
      .from(signingKeys)
      .where(
        or(
          eq(signingKeys.status, "active"),
          and(eq(signingKeys.status, "retiring"), gt(signingKeys.retiredAt, verifiesSince)),
        ),
      );
  }

  /** The active key retires and a new one takes over, in one transaction. */
  async function rotateRows(): Promise<string> {
    const row = await newKeyRow();
    await db.transaction(async (tx) => {
      await tx
        .update(signingKeys)
        .set({ status: "retiring", retiredAt: now() })
        .where(eq(signingKeys.status, "active"));
      await tx.insert(signingKeys).values(row);
    });
    return row.kid as string;
  }

  async function load(): Promise<Loaded> {
    let rows = await readRows();
    const existing = rows.find((r) => r.status === "active");
    if (!existing) {
      // First start. Two nodes may race here: the partial unique index keeps one active key.
      await db
        .insert(signingKeys)
        .values(await newKeyRow())
        .onConflictDoNothing();
      rows = await readRows();
    } else if (existing.alg !== options.algorithm) {
      // JWT_ALGORITHM changed: move to a key of the new algorithm; the old one retires gracefully.
      // Nodes racing here collide on the partial unique index; the loser reads the winner's key.
      await rotateRows().catch((error: unknown) => {
        if (!isUniqueViolation(error)) throw error;
      });
      rows = await readRows();
    }
    const active = rows.find((r) => r.status === "active");
    if (!active) throw new Error("No active signing key after creating one");
    const verifying = new Map<string, VerificationKey>();
    for (const row of rows) {
      const alg = row.alg as JwtAlgorithm;
      verifying.set(row.kid, {
        kid: row.kid,
        alg,
        publicKey: (await importJWK(row.publicJwk as JWK, alg)) as CryptoKey,
        publicJwk: row.publicJwk as JWK,
      });
    }
    let privateJwk: JWK;
    try {
      privateJwk = JSON.parse(sealer.open(active.privateKeySealed)) as JWK;
    } catch {
      throw new Error(
        `Cannot unseal signing key ${active.kid}: GATEHOUSE_SECRET is not the secret it was sealed with`,
      );
    }
    return {
      at: Date.now(),
      signing: {
        kid: active.kid,
        alg: active.alg as JwtAlgorithm,
        privateKey: (await importJWK(privateJwk, active.alg)) as CryptoKey,
      },
      verifying,
    };
  }

  function current(force = false): Promise<Loaded> {
    if (!loaded || force) {
      const next = load();
      // A failed load must not stick: the next call tries again.
      next.catch(() => {
        if (loaded === next) loaded = undefined;
      });
      loaded = next;
      return next;
    }
    return loaded.then((l) => (Date.now() - l.at > RELOAD_AFTER_MS ? current(true) : l));
  }

  return {
    async signingKey() {
      return (await current()).signing;
    },
    async verificationKey(kid) {
      const state = await current();
      const hit = state.verifying.get(kid);
      if (hit) return hit;
      // Another node may have rotated; re-read, but not on every forged kid.
      if (Date.now() - lastUnknownKidReload < UNKNOWN_KID_RELOAD_MIN_MS) return null;
      lastUnknownKidReload = Date.now();
      return (await current(true)).verifying.get(kid) ?? null;
    },
    async jwks() {
      const state = await current();
      return { keys: [...state.verifying.values()].map((k) => k.publicJwk) };
    },
    async rotate() {
      const kid = await rotateRows();
      await current(true);
      return kid;
    },
  };
}
