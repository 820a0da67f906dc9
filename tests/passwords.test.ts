import { describe, expect, it } from "vitest";
import { codePointLength, createPasswordHasher } from "../src/auth/passwords";
import { AppError } from "../src/errors";

const OWASP = { memoryCostKib: 19456, timeCost: 2, parallelism: 1 };

describe("password hasher", () => {
  it("bounds the hashes waiting, answering SERVICE_UNAVAILABLE past the queue limit", async () => {
    const hasher = createPasswordHasher({ ...OWASP, concurrency: 1, queueLimit: 2 });
    const attempts = Array.from({ length: 6 }, () =>
      hasher.hash("correct horse battery").then(
        () => "hashed",
        (error: unknown) => (error instanceof AppError ? error.code : "other"),
      ),
    );
    const outcomes = await Promise.all(attempts);
    // One running and two queued are served; the rest are turned away at once.
    expect(outcomes.filter((o) => o === "hashed")).toHaveLength(3);
    expect(outcomes.filter((o) => o === "SERVICE_UNAVAILABLE")).toHaveLength(3);
  });

  it("verifies, refuses a wrong password, and fails a missing hash", async () => {
    const hasher = createPasswordHasher({ ...OWASP, concurrency: 2, queueLimit: 10 });
    const stored = await hasher.hash("correct horse battery");
    expect(await hasher.verify(stored, "correct horse battery")).toBe(true);
    expect(await hasher.verify(stored, "wrong horse battery")).toBe(false);
    expect(await hasher.verify(null, "correct horse battery")).toBe(false);
    expect(await hasher.verify("not a hash", "x")).toBe(false);
  });

  it("asks for a rehash when the parameters differ", async () => {
    const current = createPasswordHasher({ ...OWASP, concurrency: 1, queueLimit: 10 });
    const stronger = createPasswordHasher({
      ...OWASP,
      timeCost: 3,
      concurrency: 1,
      queueLimit: 10,
    });
    const stored = await current.hash("correct horse battery");
    expect(current.needsRehash(stored)).toBe(false);
    expect(stronger.needsRehash(stored)).toBe(true);
    expect(current.needsRehash("$2b$10$bcrypt-style")).toBe(true);
  });

  it("counts code points, not UTF-16 units", () => {
    expect(codePointLength("abc")).toBe(3);
    expect(codePointLength("🔑🔑")).toBe(2);
    expect(codePointLength("é")).toBe(1);
  });
});
