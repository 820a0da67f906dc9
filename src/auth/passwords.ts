/**
 * Password hashing: Argon2id (OWASP: at least m=19 MiB, t=2, p=1) on a bounded pool. Each hash
 * holds its memory cost while it runs, so a burst of log-ins waits in a queue of bounded
 * length instead of exhausting memory; past that length callers get SERVICE_UNAVAILABLE.
 */
import os from "node:os";
import { hash, parseOptions, verify, type Algorithm } from "@node-rs/argon2";
import pLimit from "p-limit";
import { AppError, CommonErrors } from "../errors";

// `Algorithm` is a const enum, which isolated modules cannot read; 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;

export interface PasswordHasherOptions {
  memoryCostKib: number;
  timeCost: number;
  parallelism: number;
  concurrency: number;
  queueLimit: number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Checks `password` against `stored`; `stored: null` spends the same time and fails. */
  verify(stored: string | null, password: string): Promise<boolean>;
  /** True when `stored` was made with parameters other than the current ones. */
  needsRehash(stored: string): boolean;
}

export function createPasswordHasher(options: PasswordHasherOptions): PasswordHasher {
  const params = {
    algorithm: ARGON2ID,
    memoryCost: options.memoryCostKib,
    timeCost: options.timeCost,
    parallelism: options.parallelism,
  };
  const limit = pLimit(options.concurrency > 0 ? options.concurrency : os.availableParallelism());

  function run<T>(task: () => Promise<T>): Promise<T> {
    if (limit.pendingCount >= options.queueLimit) {
      return Promise.reject(new AppError(CommonErrors.BUSY));
    }
    return limit(task);
  }

  // Verified against when the account does not exist, so unknown emails cost a full hash too.
  let dummyHash: Promise<string> | undefined;
  const getDummyHash = () => (dummyHash ??= hash("gatehouse-timing-equaliser", params));

  return {
    hash: (password) => run(() => hash(password, params)),
    async verify(stored, password) {
      const target = stored ?? (await getDummyHash());
      const ok = await run(() => verify(target, password).catch(() => false));
      return stored !== null && ok;
    },
    needsRehash(stored) {
      try {
        const current = parseOptions(stored);
        return (
          current.algorithm !== ARGON2ID ||
          current.memoryCost !== params.memoryCost ||
          current.timeCost !== params.timeCost ||
          current.parallelism !== params.parallelism
        );
      } catch {
        return true;
      }
    },
  };
}

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** Length in Unicode code points, so an emoji counts once, as a user would count it. */
export function codePointLength(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
