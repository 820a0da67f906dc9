/**
 * Opaque secrets (refresh, verification, reset, invitation tokens): 256 random bits handed to
 * the client once, stored only as SHA-256, compared in constant time. A database leak then
 * yields nothing that can be presented back to us.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export function generateOpaqueToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("base64url");
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  // timingSafeEqual needs equal lengths; compare against self to spend the same time anyway.
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
