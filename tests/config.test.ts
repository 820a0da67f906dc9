import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

const PRODUCTION_READY = {
  NODE_ENV: "production",
  GATEHOUSE_SECRET: "0123456789abcdef0123456789abcdef",
  DATABASE_URL: "postgres://gatehouse@db.internal:5432/gatehouse",
  PUBLIC_URL: "https://auth.example.com",
};

describe("config", () => {
  it("runs on development defaults with no environment at all", () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.database.kind).toBe("pglite");
    expect(config.cookies.secure).toBe(false);
    expect(config.tokens).toMatchObject({
      algorithm: "EdDSA",
      accessTtlSeconds: 900,
      refreshIdleTtlSeconds: 7 * 86400,
      refreshAbsoluteTtlSeconds: 30 * 86400,
      refreshReuseGraceSeconds: 10,
    });
    expect(config.passwords).toMatchObject({ memoryCostKib: 19456, timeCost: 2, parallelism: 1 });
  });

  it("honours PORT, DATA_DIR, durations with units and DATABASE_URL", () => {
    const config = loadConfig({
      PORT: "4100",
      DATA_DIR: "/tmp/gh-two",
      ACCESS_TOKEN_TTL: "5m",
      DATABASE_URL: "postgres://x@127.0.0.1/db",
    });
    expect(config.port).toBe(4100);
    expect(config.dataDir).toBe("/tmp/gh-two");
    expect(config.tokens.accessTtlSeconds).toBe(300);
    expect(config.database).toMatchObject({ kind: "postgres", url: "postgres://x@127.0.0.1/db" });
  });

  it("accepts a complete production configuration with secure cookies", () => {
    const config = loadConfig(PRODUCTION_READY);
    expect(config.isProduction).toBe(true);
    expect(config.cookies.secure).toBe(true);
    expect(config.tokens.issuer).toBe("https://auth.example.com");
  });

  it.each([
    ["no signing-key secret", { GATEHOUSE_SECRET: "" }, "GATEHOUSE_SECRET"],
    ["the development secret", { GATEHOUSE_SECRET: loadConfig({}).secret }, "GATEHOUSE_SECRET"],
    ["PGlite without the opt-in", { DATABASE_URL: "" }, "DATABASE_URL"],
    ["insecure cookies", { COOKIE_SECURE: "false" }, "COOKIE_SECURE"],
    ["no public URL", { PUBLIC_URL: "" }, "PUBLIC_URL"],
  ])("refuses production with %s, naming the variable", (_label, change, variable) => {
    const found = problems({ ...PRODUCTION_READY, ...change });
    expect(found.some((p) => p.startsWith(variable))).toBe(true);
  });

  it("allows PGlite in production only when explicitly opted in", () => {
    expect(
      problems({ ...PRODUCTION_READY, DATABASE_URL: "", ALLOW_PGLITE_IN_PRODUCTION: "true" }),
    ).toEqual([]);
  });

  it("turns the playground on outside production, and off in production unless asked", () => {
    expect(loadConfig({}).graphql).toEqual({ playground: true, introspection: true });
    expect(loadConfig({ GRAPHQL_PLAYGROUND: "false" }).graphql).toEqual({
      playground: false,
      introspection: true,
    });
    expect(loadConfig(PRODUCTION_READY).graphql).toEqual({
      playground: false,
      introspection: false,
    });
    // The playground's docs explorer needs introspection.
    expect(loadConfig({ ...PRODUCTION_READY, GRAPHQL_PLAYGROUND: "true" }).graphql).toEqual({
      playground: true,
      introspection: true,
    });
  });

  it.each([
    ["PORT", "eighty"],
    ["JWT_ALGORITHM", "HS256"],
    ["ACCESS_TOKEN_TTL", "soon"],
    ["ARGON2_MEMORY_KIB", "1024"],
    ["DATABASE_URL", "mysql://x"],
    ["CORS_ORIGINS", "not an origin"],
    ["GATEHOUSE_SECRET", "short"],
    ["GRAPHQL_PLAYGROUND", "maybe"],
  ])("names %s when its value is bad", (variable, value) => {
    const found = problems({ [variable]: value });
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]).toMatch(new RegExp(`^${variable}`));
  });
});
