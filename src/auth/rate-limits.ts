/**
 * Abuse limits, on rate-limiter-flexible. Failed log-ins are counted per (client IP, email):
 * guessing one account's password from one place is slowed without letting anyone lock a
 * victim out from elsewhere. In-memory store: per node (a shared store comes with several-node
 * deployments).
 */
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../errors";

export interface RateLimits {
  /** Throws RATE_LIMITED when `key` has no attempts left. */
  assertLogInAllowed(key: string): Promise<void>;
  recordLogInFailure(key: string): Promise<void>;
  resetLogIn(key: string): Promise<void>;
}

export function logInKey(ip: string | null, email: string): string {
  return `${ip ?? "unknown"}|${email.trim().toLowerCase()}`;
}

export function createRateLimits(options: {
  logInPoints: number;
  logInWindowSeconds: number;
}): RateLimits {
  const logIn = new RateLimiterMemory({
    keyPrefix: "login",
    points: options.logInPoints,
    duration: options.logInWindowSeconds,
  });

  return {
    async assertLogInAllowed(key) {
      const state = await logIn.get(key);
      if (state && state.consumedPoints >= options.logInPoints) {
        const retryAfterSeconds = Math.ceil(state.msBeforeNext / 1000);
        throw new AppError(
          {
            code: "RATE_LIMITED",
            message: `Too many failed attempts; retry in ${retryAfterSeconds} s`,
          },
          { details: { retryAfterSeconds } },
        );
      }
    },
    async recordLogInFailure(key) {
      try {
        await logIn.consume(key);
      } catch (rejection) {
        // Already at the limit: nothing more to count.
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
      }
    },
    async resetLogIn(key) {
      await logIn.delete(key);
    },
  };
}
