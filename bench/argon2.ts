/**
 * The log-in reference: raw @node-rs/argon2 verifications per second at the server's parameters
 * (its config defaults, or the ARGON2_* variables) with BENCH_CONNECTIONS verifications in flight,
 * for BENCH_DURATION seconds. Run by the bench in its own process; prints one JSON line.
 */
import { hash, verify, type Algorithm } from "@node-rs/argon2";
import { loadConfig } from "../src/config";

const config = loadConfig({ ...process.env, GATEHOUSE_SECRET: "x".repeat(32) });
const { memoryCostKib, timeCost, parallelism } = config.passwords;
const params = { algorithm: 2 as Algorithm, memoryCost: memoryCostKib, timeCost, parallelism };
const duration = Number(process.env.BENCH_DURATION ?? 8) * 1000;
const inFlight = Number(process.env.BENCH_CONNECTIONS ?? 10);

const stored = await hash("bench-password-123", params);
const until = performance.now() + duration;
let done = 0;
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (performance.now() < until) {
      if (!(await verify(stored, "bench-password-123"))) throw new Error("verify failed");
      done++;
    }
  }),
);
console.log(JSON.stringify({ perSecond: done / (duration / 1000), params, inFlight }));
