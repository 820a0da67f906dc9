/**
 * Every setting Gatehouse reads, validated once at start. With no environment at all the
 * server runs on development defaults; with NODE_ENV=production it refuses those defaults.
 */
import { z } from "zod";
import path from "node:path";

export const JWT_ALGORITHMS = ["EdDSA", "ES256", "RS256"] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** Development-only secret; production refuses to start with it. */
const DEV_SECRET = "gatehouse-development-secret-do-not-use-in-production";

/** "900", "900s", "15m", "12h", "7d" → seconds. */
function parseDuration(value: string): number | null {
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(value.trim());
  if (!match) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as "s" | "m" | "h" | "d"] ?? 1;
  return Number(match[1]) * unit;
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const seconds = parseDuration(value);
      if (seconds === null || seconds <= 0) {
        ctx.addIssue({ code: "custom", message: `"${value}" is not a duration like 900, 15m, 7d` });
        return z.NEVER;
      }
      return seconds;
    });

/** "250ms", "1s", "15m" → milliseconds; a bare number is seconds, as in every other duration. */
function parseMillis(value: string): number | null {
  const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) return null;
  const unit =
    { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      match[2] as "ms" | "s" | "m" | "h" | "d"
    ] ?? 1000;
  return Number(match[1]) * unit;
}

const millis = (fallback: string, minMs: number) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseMillis(value);
      if (ms === null || ms < minMs) {
        ctx.addIssue({
          code: "custom",
          message: `"${value}" is not a duration of at least ${minMs}ms like 250ms, 5s, 10m`,
        });
        return z.NEVER;
      }
      return ms;
    });

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const BOOLEAN_WORDS = ["true", "false", "1", "0", "yes", "no"] as const;
const isTrue = (v: string) => v === "true" || v === "1" || v === "yes";
const bool = (fallback: boolean) =>
  z
    .enum(BOOLEAN_WORDS)
    .default(fallback ? "true" : "false")
    .transform(isTrue);
/** A boolean whose default depends on other settings (resolved after parsing). */
const optionalBool = () =>
  z
    .enum(BOOLEAN_WORDS)
    .optional()
    .transform((v) => (v === undefined ? undefined : isTrue(v)));

const bytes = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => /^\d+(b|kb|mb)?$/i.test(v), "expected a size like 2mb or 512kb");

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  PORT: int(4000, 0, 65535),
  HOST: z.string().default("0.0.0.0"),
  PUBLIC_URL: z.url().optional(),
  DATA_DIR: z.string().default("./data"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "expected a postgres:// URL")
    .optional(),
  DATABASE_POOL_SIZE: int(10, 1, 200),
  ALLOW_PGLITE_IN_PRODUCTION: bool(false),
  GATEHOUSE_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  JWT_ALGORITHM: z.enum(JWT_ALGORITHMS).default("EdDSA"),
  ACCESS_TOKEN_TTL: duration("15m"),
  REFRESH_TOKEN_IDLE_TTL: duration("7d"),
  REFRESH_TOKEN_ABSOLUTE_TTL: duration("30d"),
  REFRESH_TOKEN_REUSE_GRACE: duration("10s"),
  CORS_ORIGINS: z.string().default(""),
  COOKIE_SECURE: optionalBool(),
  COOKIE_SAME_SITE: z.enum(["lax", "strict", "none"]).default("lax"),
  BODY_LIMIT: bytes("2mb"),
  TRUST_PROXY: z.string().default("loopback"),
  ARGON2_MEMORY_KIB: int(19456, 19456, 4 * 1024 * 1024),
  ARGON2_TIME_COST: int(2, 2, 20),
  ARGON2_PARALLELISM: int(1, 1, 16),
  PASSWORD_HASH_CONCURRENCY: int(0, 0, 64),
  PASSWORD_HASH_QUEUE_LIMIT: int(256, 1, 100_000),
  LOGIN_RATE_LIMIT_POINTS: int(10, 1, 1_000_000),
  LOGIN_RATE_LIMIT_WINDOW: duration("15m"),
  INVITATION_RATE_LIMIT_POINTS: int(50, 1, 1_000_000),
  INVITATION_RATE_LIMIT_WINDOW: duration("1h"),
  ACCOUNT_MAIL_RATE_LIMIT_POINTS: int(5, 1, 1_000_000),
  ACCOUNT_MAIL_RATE_LIMIT_WINDOW: duration("1h"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  APP_URL: z.url().optional(),
  MAIL_FROM: z.string().default("Gatehouse <no-reply@localhost>"),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, "expected smtp://… or smtps://…")
    .optional(),
  MAIL_MAX_ATTEMPTS: int(8, 1, 100),
  MAIL_POLL_INTERVAL: millis("1s", 10),
  MAIL_RETRY_BACKOFF: millis("5s", 10),
  MAIL_RETRY_BACKOFF_MAX: millis("10m", 10),
  MAIL_SEND_TIMEOUT: millis("30s", 100),
  REQUIRE_VERIFIED_EMAIL: bool(false),
  INVITATION_TTL: duration("7d"),
  GRAPHQL_PLAYGROUND: optionalBool(),
});

export interface Config {
  env: "development" | "test" | "production";
  isProduction: boolean;
  port: number;
  host: string;
  publicUrl: string;
  dataDir: string;
  database: { kind: "postgres"; url: string; poolSize: number } | { kind: "pglite"; dir: string };
  secret: string;
  tokens: {
    issuer: string;
    algorithm: JwtAlgorithm;
    accessTtlSeconds: number;
    refreshIdleTtlSeconds: number;
    refreshAbsoluteTtlSeconds: number;
    refreshReuseGraceSeconds: number;
  };
  http: {
    corsOrigins: string[];
    bodyLimit: string;
    trustProxy: string;
  };
  cookies: { secure: boolean; sameSite: "lax" | "strict" | "none" };
  passwords: {
    memoryCostKib: number;
    timeCost: number;
    parallelism: number;
    /** Hashes running at once; 0 in the environment means one per CPU. */
    concurrency: number;
    queueLimit: number;
  };
  rateLimits: {
    logInPoints: number;
    logInWindowSeconds: number;
    invitationPoints: number;
    invitationWindowSeconds: number;
    /** Verification, reset and email-change requests, per client IP and per target address. */
    accountMailPoints: number;
    accountMailWindowSeconds: number;
  };
  mail: {
    from: string;
    /** Where links in emails point: the operator's own app, which passes tokens back to us. */
    appUrl: string;
    /** smtp:// or smtps:// with credentials; null: the log transport. */
    smtpUrl: string | null;
    /** The outbox's delivery worker (src/mail/worker.ts). */
    delivery: {
      /** Attempts per message, the first included, before it is marked FAILED. */
      maxAttempts: number;
      /** How often each node looks for due mail besides being woken after a commit. */
      pollIntervalMs: number;
      /** Wait before the first retry; doubled for each further one, up to retryBackoffMaxMs. */
      retryBackoffMs: number;
      retryBackoffMaxMs: number;
      /** Longest one SMTP delivery may take; a claimed message is left to its node for twice this. */
      sendTimeoutMs: number;
    };
  };
  accounts: {
    /** Platform users with an unverified email cannot log in. */
    requireVerifiedEmail: boolean;
  };
  invitations: { ttlSeconds: number };
  graphql: {
    /** GraphiQL at GET /graphql for browsers; on by default outside production. */
    playground: boolean;
    /** On outside production, and in production when the playground is (its docs need it). */
    introspection: boolean;
  };
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, so `FOO=` in a .env file means "use the default".
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ""),
  );
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === "production";
  const problems: string[] = [];

  const cookieSecure = e.COOKIE_SECURE ?? isProduction;
  const playground = e.GRAPHQL_PLAYGROUND ?? !isProduction;
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, "");

  if (isProduction) {
    if (!e.GATEHOUSE_SECRET || e.GATEHOUSE_SECRET === DEV_SECRET) {
      problems.push("GATEHOUSE_SECRET: required in production (it seals the signing keys)");
    }
    if (!e.DATABASE_URL && !e.ALLOW_PGLITE_IN_PRODUCTION) {
      problems.push(
        "DATABASE_URL: required in production (or set ALLOW_PGLITE_IN_PRODUCTION=true for one embedded node)",
      );
    }
    if (!cookieSecure) problems.push("COOKIE_SECURE: cookies must be Secure in production");
    if (!e.PUBLIC_URL) problems.push("PUBLIC_URL: required in production (it is the token issuer)");
  }
  if (e.COOKIE_SAME_SITE === "none" && !cookieSecure) {
    problems.push("COOKIE_SAME_SITE: 'none' needs COOKIE_SECURE=true");
  }
  if (e.REFRESH_TOKEN_IDLE_TTL > e.REFRESH_TOKEN_ABSOLUTE_TTL) {
    problems.push("REFRESH_TOKEN_IDLE_TTL: must not exceed REFRESH_TOKEN_ABSOLUTE_TTL");
  }
  const corsOrigins = e.CORS_ORIGINS.split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      problems.push(`CORS_ORIGINS: "${origin}" is not an origin like https://app.example.com`);
    }
  }
  if (e.MAIL_RETRY_BACKOFF > e.MAIL_RETRY_BACKOFF_MAX) {
    problems.push("MAIL_RETRY_BACKOFF: must not exceed MAIL_RETRY_BACKOFF_MAX");
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(e.DATA_DIR);
  return {
    env: e.NODE_ENV,
    isProduction,
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE }
      : { kind: "pglite", dir: path.join(dataDir, "pglite") },
    secret: e.GATEHOUSE_SECRET ?? DEV_SECRET,
    tokens: {
      issuer: publicUrl,
      algorithm: e.JWT_ALGORITHM,
      accessTtlSeconds: e.ACCESS_TOKEN_TTL,
      refreshIdleTtlSeconds: e.REFRESH_TOKEN_IDLE_TTL,
      refreshAbsoluteTtlSeconds: e.REFRESH_TOKEN_ABSOLUTE_TTL,
      refreshReuseGraceSeconds: e.REFRESH_TOKEN_REUSE_GRACE,
    },
    http: { corsOrigins, bodyLimit: e.BODY_LIMIT, trustProxy: e.TRUST_PROXY },
    cookies: { secure: cookieSecure, sameSite: e.COOKIE_SAME_SITE },
    passwords: {
      memoryCostKib: e.ARGON2_MEMORY_KIB,
      timeCost: e.ARGON2_TIME_COST,
      parallelism: e.ARGON2_PARALLELISM,
      concurrency: e.PASSWORD_HASH_CONCURRENCY,
      queueLimit: e.PASSWORD_HASH_QUEUE_LIMIT,
    },
    rateLimits: {
      logInPoints: e.LOGIN_RATE_LIMIT_POINTS,
      logInWindowSeconds: e.LOGIN_RATE_LIMIT_WINDOW,
      invitationPoints: e.INVITATION_RATE_LIMIT_POINTS,
      invitationWindowSeconds: e.INVITATION_RATE_LIMIT_WINDOW,
      accountMailPoints: e.ACCOUNT_MAIL_RATE_LIMIT_POINTS,
      accountMailWindowSeconds: e.ACCOUNT_MAIL_RATE_LIMIT_WINDOW,
    },
    mail: {
      from: e.MAIL_FROM,
      appUrl: (e.APP_URL ?? publicUrl).replace(/\/$/, ""),
      smtpUrl: e.SMTP_URL ?? null,
      delivery: {
        maxAttempts: e.MAIL_MAX_ATTEMPTS,
        pollIntervalMs: e.MAIL_POLL_INTERVAL,
        retryBackoffMs: e.MAIL_RETRY_BACKOFF,
        retryBackoffMaxMs: e.MAIL_RETRY_BACKOFF_MAX,
        sendTimeoutMs: e.MAIL_SEND_TIMEOUT,
      },
    },
    accounts: { requireVerifiedEmail: e.REQUIRE_VERIFIED_EMAIL },
    invitations: { ttlSeconds: e.INVITATION_TTL },
    graphql: { playground, introspection: !isProduction || playground },
    logLevel: e.LOG_LEVEL,
  };
}

/** For process entry points: a bad configuration prints its problems and exits 1, no stack. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
