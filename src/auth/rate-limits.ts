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
  /** One invitation email sent by `userId`; RATE_LIMITED beyond the limit (mail is not free,
   * and an invitation carries the sender's organization name to any address). */
  consumeInvitation(userId: string): Promise<void>;
  /**
   * One request that mails an account or acts on a mailed token (verification, reset, email
   * change), counted per client IP and per target address (either may be null when unknown).
   * Every call counts, so aliases and batched operations cannot multiply attempts.
   */
  consumeAccountMail(scope: string, ipAddress: string | null, target: string | null): Promise<void>;
}

export function logInKey(ip: string | null, email: string): string {
  return `${ip ?? "unknown"}|${email.trim().toLowerCase()}`;
}

/** The same per project for end users: one project's attempts never count against another's. */
export function endUserLogInKey(projectId: string, ip: string | null, identifier: string): string {
  return `${projectId}|${logInKey(ip, identifier)}`;
}

/** Takes a point for `key`, or throws RATE_LIMITED saying when to retry. */
async function consumeOrRefuse(limiter: RateLimiterMemory, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw new AppError(
      { code: "RATE_LIMITED", message: `Too many attempts; retry in ${retryAfterSeconds} s` },
      { details: { retryAfterSeconds } },
    );
  }
}

export function createRateLimits(options: {
  logInPoints: number;
  logInWindowSeconds: number;
  invitationPoints: number;
  invitationWindowSeconds: number;
  accountMailPoints: number;
  accountMailWindowSeconds: number;
}): RateLimits {
  const logIn = new RateLimiterMemory({
    keyPrefix: "login",
    points: options.logInPoints,
    duration: options.logInWindowSeconds,
  });
  const invitations = new RateLimiterMemory({
    keyPrefix: "invitation",
    points: options.invitationPoints,
    duration: options.invitationWindowSeconds,
  });

  const accountMailByAddress = new RateLimiterMemory({
    keyPrefix: "account-mail-address",
    points: options.accountMailPoints,
    duration: options.accountMailWindowSeconds,
  });
  // One address behind many people (an office, a carrier's NAT) gets ten times as many.
  const accountMailByIp = new RateLimiterMemory({
    keyPrefix: "account-mail-ip",
    points: options.accountMailPoints * 10,
    duration: options.accountMailWindowSeconds,
  });

  return {
    consumeLogInAttempt: (key) => consumeOrRefuse(logIn, key),
    async resetLogIn(key) {
      await logIn.delete(key);
    },
    consumeInvitation: (userId) => consumeOrRefuse(invitations, userId),
    // Per pool (`scope`): requests against one project cannot use up a person's limit on the
    // platform or in another project.
    async consumeAccountMail(scope, ipAddress, target) {
      if (ipAddress) await consumeOrRefuse(accountMailByIp, `${scope}|${ipAddress}`);
      if (target) {
        await consumeOrRefuse(accountMailByAddress, `${scope}|${target.trim().toLowerCase()}`);
      }
    },
  };
}
