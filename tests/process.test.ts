import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PASSWORD, uniqueEmail } from "./helpers/instance";
import {
  runCli,
  startServerProcess,
  stopServerProcess,
  type ServerProcess,
} from "./helpers/process";

const dirs: string[] = [];
function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-test-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function gql(server: ServerProcess, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${server.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] },
  };
}

const SIGN_UP = "mutation($i: SignUpInput!) { signUp(input: $i) { user { id platformRole } } }";
const LOG_IN = "mutation($i: LogInInput!) { logIn(input: $i) { __typename } }";

describe("the server process", () => {
  it("runs two instances side by side on their own PORT and DATA_DIR, then stops cleanly on SIGTERM", async () => {
    const [a, b] = await Promise.all([
      // A slower hash on `a` keeps its log-ins running when SIGTERM arrives.
      startServerProcess({ DATA_DIR: dataDir(), ARGON2_TIME_COST: "6" }),
      startServerProcess({ DATA_DIR: dataDir() }),
    ]);
    try {
      expect(a.url).not.toBe(b.url);
      const email = uniqueEmail("proc");
      const signedUp = await gql(a, SIGN_UP, {
        i: { fullName: "Proc", email, password: PASSWORD },
      });
      expect(signedUp.body.errors).toBeUndefined();
      expect(await (await fetch(`${b.url}/healthz`)).json()).toEqual({ status: "ok" });

      // Requests in flight when SIGTERM arrives still get their answers.
      const inFlight = Array.from({ length: 8 }, () =>
        gql(a, LOG_IN, { i: { email, password: PASSWORD } }),
      );
      // Long enough for the requests to reach the server on a loaded machine (closing stops
      // accepting and drops idle connections, so a request still on its way would be lost;
      // under load 30 ms was not always enough), short enough that log-ins are still running.
      await new Promise((r) => setTimeout(r, 150));
      const stopped = stopServerProcess(a);
      const answers = await Promise.all(inFlight);
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.body.data).toEqual({ logIn: { __typename: "AuthPayload" } });
      }
      expect(await stopped).toBe(0);
      await expect(fetch(`${a.url}/healthz`)).rejects.toThrow();

      expect(await stopServerProcess(b)).toBe(0);
    } finally {
      a.child.kill("SIGKILL");
      b.child.kill("SIGKILL");
    }
  }, 120_000);
});

describe("command-line tools", () => {
  it("promotes the first platform ADMIN and rotates the signing key", async () => {
    const dir = dataDir();
    const email = uniqueEmail("admin");
    const server = await startServerProcess({ DATA_DIR: dir });
    let firstKid: string;
    try {
      await gql(server, SIGN_UP, { i: { fullName: "Admin", email, password: PASSWORD } });
      firstKid = (
        (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as {
          keys: { kid: string }[];
        }
      ).keys[0]!.kid;
    } finally {
      expect(await stopServerProcess(server)).toBe(0);
    }

    const unknown = await runCli("src/cli/admin.ts", ["promote", "nobody@example.com"], {
      DATA_DIR: dir,
    });
    expect(unknown.code).toBe(1);
    expect(unknown.output).toMatch(/No platform user/);

    const promoted = await runCli("src/cli/admin.ts", ["promote", email], { DATA_DIR: dir });
    expect(promoted.output).toContain("is now a platform ADMIN");
    expect(promoted.code).toBe(0);

    const rotated = await runCli("src/cli/keys.ts", ["rotate"], { DATA_DIR: dir });
    expect(rotated.code).toBe(0);

    const again = await startServerProcess({ DATA_DIR: dir });
    try {
      const logIn = await gql(
        again,
        "mutation($i: LogInInput!) { logIn(input: $i) { ... on AuthPayload { user { platformRole } } } }",
        {
          i: { email, password: PASSWORD },
        },
      );
      expect(logIn.body.data).toEqual({ logIn: { user: { platformRole: "ADMIN" } } });
      const kids = (
        (await (await fetch(`${again.url}/.well-known/jwks.json`)).json()) as {
          keys: { kid: string }[];
        }
      ).keys.map((k) => k.kid);
      expect(kids).toContain(firstKid);
      expect(kids.length).toBeGreaterThanOrEqual(2);
    } finally {
      expect(await stopServerProcess(again)).toBe(0);
    }
  }, 120_000);

  it("refuses to start in production on development defaults, naming what is missing", async () => {
    const result = await runCli("src/main.ts", [], {
      NODE_ENV: "production",
      DATA_DIR: dataDir(),
      DATABASE_URL: "",
      GATEHOUSE_SECRET: "",
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/GATEHOUSE_SECRET/);
    expect(result.output).not.toMatch(/at .*\.ts:\d+/);
  }, 60_000);
});
