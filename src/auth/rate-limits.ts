/**
 * Abuse limits, on rate-limiter-flexible. Log-in attempts are counted per (client IP, email):
 * guessing one account's password from one place is slowed without letting anyone lock a
 * victim out from elsewhere. In-memory store: per node (a shared store comes with several-node
 * deployments).
 */
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../errors";

export interface RateLimits {
  /**
   * Takes one attempt for `key` before the password is checked, so a parallel burst cannot
   * slip past the limit while its hashes run. Throws RATE_LIMITED when none are left.
   */
  consumeLogInAttempt(key: string): Promise<void>;
  /** A successful log-in forgives the earlier failures. */
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
    async consumeLogInAttempt(key) {
      try {
        await logIn.consume(key);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new AppError(
          {
            code: "RATE_LIMITED",
            message: `Too many attempts; retry in ${retryAfterSeconds} s`,
          },
          { details: { retryAfterSeconds } },
        );
      }
    },
    async resetLogIn(key) {
      await logIn.delete(key);
    },
  };
}
