/**
 * Load benchmark, every figure beside a reference measured in the same run: a bare Apollo Server 5
 * standalone `{ hello }` (bench/floor.ts, the GraphQL floor) for request scenarios, raw
 * @node-rs/argon2 verifications (bench/argon2.ts) for log-ins.
 *
 * First it times `npm start` to a ready /healthz on a new and on an existing data folder. Then it
 * starts the built server (node dist/main.js, NODE_ENV=production) on a throw-away data folder,
 * seeds one user, a project open for sign-up with one end user, and an organization of 200
 * members and 20 projects, and measures with autocannon: `{ __typename }` without a token, `me`
 * (bearer and cookie), `endUserMe` (bearer and the project's cookie), `refreshSession`, `logIn`,
 * `endUserLogIn` and the nested organization tree. In each run every scenario is measured right
 * after its reference (Argon2 for log-ins, the floor for the rest); the table shows the range over
 * runs and each scenario's ratio to the reference measured beside it, with the goal it has and
 * whether the median run meets it. SQL statements per
 * organization tree are counted in-process beforehand, on an app over in-memory PGlite (the
 * spawned server cannot report them), at two sizes: the count must not grow with the tree.
 *
 * Env: BENCH_DURATION (seconds per scenario, default 5), BENCH_CONNECTIONS (default 10),
 * BENCH_RUNS (default 3), BENCH_ONLY (a pattern: only the scenarios it matches), BENCH_PROFILE_DIR
 * (the server writes a CPU profile there), DATABASE_URL (optional; embedded PGlite otherwise). Exits 1 if a server
 * does not start, seeding fails, or a scenario answers with more than 1% errors.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pLimit from "p-limit";
// @ts-expect-error: a plain-node script without types; build() compiles dist/.
import { build } from "../scripts/build.mjs";
import { createApp } from "../src/app";
import { loadConfig } from "../src/config";
import { openDatabase } from "../src/db/connection";
import { migrateDatabase } from "../src/db/migrate";
import { createLogger } from "../src/logger";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DURATION = positiveInt(process.env.BENCH_DURATION, 5);
const CONNECTIONS = positiveInt(process.env.BENCH_CONNECTIONS, 10);
const RUNS = positiveInt(process.env.BENCH_RUNS, 3);
/** Only the scenarios whose name matches (a regular expression); the floor always runs. */
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY, "i") : undefined;
const MAX_ERROR_RATE = 0.01;
const PASSWORD = "quiet lantern orbit 42";
const ME = JSON.stringify({ query: "{ me { id email } }" });
const SIGN_UP = `mutation SignUp($input: SignUpInput!) { signUp(input: $input) { user { id } tokens { accessToken refreshToken } } }`;
const LOG_IN = `mutation LogIn($input: LogInInput!) { logIn(input: $input) { ... on AuthPayload { tokens { accessToken refreshToken } } } }`;
const REFRESH = `mutation Refresh($t: String) { refreshSession(refreshToken: $t) { tokens { accessToken refreshToken } } }`;
const CREATE_ORGANIZATION = `mutation CreateOrganization($name: String!, $slug: String!) { createOrganization(name: $name, slug: $slug) { id } }`;
const ADD_ORGANIZATION_MEMBER = `mutation AddOrganizationMember($organizationId: UUID!, $email: EmailAddress!, $role: OrganizationRole!) { addOrganizationMember(organizationId: $organizationId, email: $email, role: $role) { role } }`;
const CREATE_PROJECT = `mutation CreateProject($organizationId: UUID!, $name: String!, $description: String) { createProject(organizationId: $organizationId, name: $name, description: $description) { id } }`;
const ADD_PROJECT_MEMBER = `mutation AddProjectMember($projectId: UUID!, $userId: UUID!, $role: ProjectRole!) { addProjectMember(projectId: $projectId, userId: $userId, role: $role) { role } }`;
const CREATE_PASSWORD_POLICY = `mutation CreatePasswordPolicy($projectId: UUID!) { createPasswordPolicy(projectId: $projectId) { id } }`;
const CREATE_PROJECT_POLICY = `mutation CreateProjectPolicy($projectId: UUID!) { createProjectPolicy(projectId: $projectId) { id } }`;
const END_USER_SIGN_UP = `mutation EndUserSignUp($projectId: UUID!, $input: EndUserSignUpInput!) { endUserSignUp(projectId: $projectId, input: $input) { endUser { id } tokens { accessToken refreshToken } } }`;
const END_USER_LOG_IN = `mutation EndUserLogIn($projectId: UUID!, $input: EndUserLogInInput!) { endUserLogIn(projectId: $projectId, input: $input) { ... on EndUserAuthPayload { tokens { accessToken refreshToken } } } }`;
const END_USER_ME = `query EndUserMe($projectId: UUID!) { endUserMe(projectId: $projectId) { id email } }`;
const ORGANIZATION_TREE = `{ organizations { edges { node {
  members(first: 100) { totalCount edges { node { role user { id email fullName } } } }
  projects(first: 20) { totalCount edges { node { id name
    members(first: 20) { totalCount edges { node { role user { id email } } } } } } } } } } }`;
/** Sign-ups hash a password (Argon2, ~25 ms of CPU each): a few at a time keeps the server busy. */
const SEED_CONCURRENCY = 6;
/** For the in-process app that counts statements; any secret of 32 characters or more. */
const COUNTING_SECRET = "gatehouse-bench-secret-0123456789abcdef";

/** An organization to seed: `members` includes its owner, who also manages every project. */
interface OrganizationShape {
  members: number;
  projects: number;
  /** Members (besides the owner) given a role in each project. */
  membersPerProject: number;
}

/** The one measured under load, and a small one to see whether statements grow with size. */
const LARGE_ORGANIZATION: OrganizationShape = { members: 200, projects: 20, membersPerProject: 10 };
const SMALL_ORGANIZATION: OrganizationShape = { members: 5, projects: 2, membersPerProject: 2 };

interface Scenario {
  name: string;
  headers: Record<string, string>;
  body?: string;
  /** Builds each request's body (rotating tokens); a fixed `body` is sent otherwise. */
  nextBody?: () => string;
  /** Whether an answer's `data` is the expected one (it may also keep the next refresh token). */
  check: (data: unknown) => boolean;
  /** Connections of its own (BENCH_CONNECTIONS otherwise). */
  connections?: number;
  /** Runs before each measurement (fresh refresh tokens: a stopped run breaks their chains). */
  prepare?: () => Promise<void>;
}

interface Row {
  "req/s": number;
  "p50 ms": number;
  "p99 ms": number;
  requests: number;
  errors: number;
}

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Reads a nested property of parsed JSON without trusting its shape. */
function pick(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Where the data lives, for the report: never the credentials in DATABASE_URL. */
function databaseLabel(url: string | undefined): string {
  if (!url) return "PGlite (embedded)";
  try {
    const parsed = new URL(url);
    return `Postgres at ${parsed.host}${parsed.pathname}`;
  } catch {
    return "Postgres (unparseable DATABASE_URL)";
  }
}

/** Polls `request` until it answers 2xx; fails when `child` exits first or time runs out. */
async function waitUntilAnswering(
  child: ChildProcess,
  request: () => Promise<Response>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early with code ${child.exitCode}`);
    try {
      if ((await request()).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`server not ready after ${timeoutMs / 1000} s`);
}

function waitForReady(
  base: string,
  child: ChildProcess,
  timeoutMs: number,
  probe = "/readyz",
  intervalMs = 100,
): Promise<void> {
  return waitUntilAnswering(child, () => fetch(`${base}${probe}`), timeoutMs, intervalMs);
}

/** The floor has no health endpoint: it is ready when `{ hello }` answers. */
function waitForFloor(base: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const hello = () =>
    fetch(base, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ hello }" }),
    });
  return waitUntilAnswering(child, hello, timeoutMs);
}

async function stopServer(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // The whole group: tsx runs the server in a grandchild process.
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup("SIGTERM");
  const timer = setTimeout(() => signalGroup("SIGKILL"), 12_000);
  await exited;
  clearTimeout(timer);
}

async function graphql(
  base: string,
  query: string,
  variables: object,
  accessToken?: string,
): Promise<unknown> {
  const res = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "apollo-require-preflight": "true",
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const payload = parseJson(await res.text());
  if (!res.ok || pick(payload, "errors") !== undefined) {
    throw new Error(`setup request failed (${res.status}): ${JSON.stringify(payload)}`);
  }
  return pick(payload, "data");
}

function stringAt(data: unknown, ...keys: string[]): string {
  const value = pick(data, ...keys);
  if (typeof value !== "string") throw new Error(`setup answer has no ${keys.join(".")}`);
  return value;
}

function randomId(): string {
  return Math.random().toString(36).slice(2, 10);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

async function signUp(base: string, email: string, fullName: string) {
  const data = await graphql(base, SIGN_UP, { input: { fullName, email, password: PASSWORD } });
  return {
    id: stringAt(data, "signUp", "user", "id"),
    accessToken: stringAt(data, "signUp", "tokens", "accessToken"),
  };
}

async function logInRefreshToken(base: string, email: string): Promise<string> {
  const data = await graphql(base, LOG_IN, {
    input: { email, password: PASSWORD, returnRefreshToken: true },
  });
  const token = pick(data, "logIn", "tokens", "refreshToken");
  if (typeof token !== "string") throw new Error("logIn returned no refresh token");
  return token;
}

/** A project's end user, signed up by email; the project's cookie carries the same token. */
interface SeededEndUser {
  projectId: string;
  email: string;
  accessToken: string;
}

/**
 * Opens a project for end users the way an operator would: `accessToken`'s user creates an
 * organization and a project in it, then its password policy and its project policy (the
 * defaults: email and password), and one end user signs up there.
 */
async function seedEndUser(base: string, accessToken: string): Promise<SeededEndUser> {
  const run = randomId();
  const asUser = (query: string, variables: object) => graphql(base, query, variables, accessToken);
  const organization = await asUser(CREATE_ORGANIZATION, {
    name: `Bench pool ${run}`,
    slug: `bench-pool-${run}`,
  });
  const organizationId = stringAt(organization, "createOrganization", "id");
  const project = await asUser(CREATE_PROJECT, { organizationId, name: "Bench storefront" });
  const projectId = stringAt(project, "createProject", "id");
  await asUser(CREATE_PASSWORD_POLICY, { projectId });
  await asUser(CREATE_PROJECT_POLICY, { projectId });
  const email = `customer-${run}@example.com`;
  const signedUp = await graphql(base, END_USER_SIGN_UP, {
    projectId,
    input: {
      fullName: "Bench Customer",
      email,
      password: PASSWORD,
      authMethod: "EMAIL",
      returnRefreshToken: true,
    },
  });
  return {
    projectId,
    email,
    accessToken: stringAt(signedUp, "endUserSignUp", "tokens", "accessToken"),
  };
}

async function runScenario(base: string, scenario: Scenario, duration: number): Promise<Row> {
  await scenario.prepare?.();
  let errors = 0;
  const { nextBody, check } = scenario;
  const result = await autocannon({
    // The floor (Apollo's standalone server) answers GraphQL on any path, /graphql included.
    url: `${base}/graphql`,
    method: "POST",
    connections: scenario.connections ?? CONNECTIONS,
    duration,
    headers: {
      "content-type": "application/json",
      "apollo-require-preflight": "true",
      ...scenario.headers,
    },
    body: scenario.body,
    requests: [
      {
        // Only when needed: autocannon copies an undefined setupRequest over its default and calls it.
        ...(nextBody
          ? { setupRequest: (request: autocannon.Request) => ({ ...request, body: nextBody() }) }
          : {}),
        onResponse(status, body) {
          const payload = parseJson(body);
          // GraphQL answers most failures with HTTP 200 (and `me` with null when signed out).
          const ok = check(pick(payload, "data")) && pick(payload, "errors") === undefined;
          if (!ok || status < 200 || status >= 300) errors++;
        },
      },
    ],
  });
  return {
    "req/s": Math.round(result.requests.average),
    "p50 ms": result.latency.p50,
    "p99 ms": result.latency.p99,
    requests: result.requests.total,
    // Connection errors and timeouts never reach onResponse.
    errors: errors + result.errors,
  };
}

/** Project `index`'s members: the next `count` members after the previous project's, wrapping. */
function projectRoster(memberIds: string[], index: number, count: number): string[] {
  const start = (index * count) % Math.max(memberIds.length, 1);
  return [...memberIds.slice(start), ...memberIds.slice(0, start)].slice(0, count);
}

function projectRole(position: number): "MANAGER" | "CONTRIBUTOR" | "VIEWER" {
  if (position === 0) return "MANAGER";
  return position % 2 === 1 ? "CONTRIBUTOR" : "VIEWER";
}

/**
 * Seeds an organization of `shape` through the public API: the owner signs up and creates it,
 * the other members sign up and are added (every tenth as ADMIN), then the owner creates the
 * projects and gives each a slice of the members. Returns the owner's access token.
 */
async function seedOrganization(base: string, shape: OrganizationShape): Promise<string> {
  const run = randomId();
  const owner = await signUp(base, `owner-${run}@example.com`, "Bench Owner");
  const asOwner = (query: string, variables: object) =>
    graphql(base, query, variables, owner.accessToken);
  const created = await asOwner(CREATE_ORGANIZATION, {
    name: `Bench ${run}`,
    slug: `bench-${run}`,
  });
  const organizationId = stringAt(created, "createOrganization", "id");
  const limit = pLimit(SEED_CONCURRENCY);

  const memberIds = await Promise.all(
    range(shape.members - 1).map((i) =>
      limit(async () => {
        const email = `member-${i}-${run}@example.com`;
        const user = await signUp(base, email, `Bench Member ${i}`);
        const role = i % 10 === 0 ? "ADMIN" : "MEMBER";
        await asOwner(ADD_ORGANIZATION_MEMBER, { organizationId, email, role });
        return user.id;
      }),
    ),
  );
  const projectIds = await Promise.all(
    range(shape.projects).map((i) =>
      limit(async () => {
        const variables = { organizationId, name: `Project ${i}`, description: "Bench project" };
        return stringAt(await asOwner(CREATE_PROJECT, variables), "createProject", "id");
      }),
    ),
  );
  await Promise.all(
    projectIds.flatMap((projectId, i) =>
      projectRoster(memberIds, i, shape.membersPerProject).map((userId, position) =>
        limit(() =>
          asOwner(ADD_PROJECT_MEMBER, { projectId, userId, role: projectRole(position) }),
        ),
      ),
    ),
  );
  return owner.accessToken;
}

/** Whether `data` is the owner's one organization, of the seeded size. */
function isOrganizationTree(data: unknown, shape: OrganizationShape): boolean {
  const edges = pick(data, "organizations", "edges");
  if (!Array.isArray(edges) || edges.length !== 1) return false;
  const [edge]: unknown[] = edges;
  const node = pick(edge, "node");
  const memberEdges = pick(node, "members", "edges");
  const projectEdges = pick(node, "projects", "edges");
  return (
    pick(node, "members", "totalCount") === shape.members &&
    Array.isArray(memberEdges) &&
    memberEdges.length === Math.min(shape.members, 100) &&
    pick(node, "projects", "totalCount") === shape.projects &&
    Array.isArray(projectEdges) &&
    projectEdges.length === shape.projects
  );
}

function organizationTreeScenario(accessToken: string, shape: OrganizationShape): Scenario {
  return {
    name: `organization tree (${shape.members} members)`,
    headers: { authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ query: ORGANIZATION_TREE }),
    check: (data) => isOrganizationTree(data, shape),
  };
}

interface StatementCount {
  shape: OrganizationShape;
  statements: number;
}

/**
 * SQL statements of one organization-tree query per shape, counted on an in-process app over
 * in-memory PGlite (openDatabase's onQuery sees every statement; the spawned server's are out of
 * reach). Each shape gets its own owner; a first, uncounted query warms the caches (signing keys).
 */
async function countStatements(shapes: OrganizationShape[]): Promise<StatementCount[]> {
  let statements = 0;
  const database = await openDatabase({ kind: "pglite-memory" }, { onQuery: () => statements++ });
  await migrateDatabase(database);
  const config = loadConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    PORT: "0",
    GATEHOUSE_SECRET: COUNTING_SECRET,
  });
  const app = await createApp(config, { database, logger: createLogger("silent") });
  const server = http.createServer(app.handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  try {
    const counts: StatementCount[] = [];
    for (const shape of shapes) {
      const accessToken = await seedOrganization(base, shape);
      await graphql(base, ORGANIZATION_TREE, {}, accessToken);
      statements = 0;
      const data = await graphql(base, ORGANIZATION_TREE, {}, accessToken);
      if (!isOrganizationTree(data, shape)) throw new Error("unexpected organization tree");
      counts.push({ shape, statements });
    }
    return counts;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.stop();
    await database.close();
  }
}

/**
 * Refresh tokens rotate on every use, so no two in-flight requests may share one. autocannon
 * resets a connection's `context` each time it loops over `requests` (with one request: before
 * every request), so the chains live in a stack instead: a connection pops a token to send and
 * its answer pushes the next one, which that same connection pops synchronously right after.
 * A run that stops leaves requests unanswered, whose tokens the server has already rotated (and
 * would treat as reuse if sent again): each run starts from new sessions.
 */
function refreshScenario(base: string, email: string): Scenario {
  const tokens: string[] = [];
  return {
    name: "refreshSession",
    headers: {},
    async prepare() {
      tokens.length = 0;
      for (let i = 0; i < CONNECTIONS; i++) tokens.push(await logInRefreshToken(base, email));
    },
    nextBody() {
      // Empty only after an error broke a chain: send a dud, counted as an error.
      const t = tokens.pop() ?? "broken-chain";
      return JSON.stringify({ query: REFRESH, variables: { t } });
    },
    check(data) {
      const next = pick(data, "refreshSession", "tokens", "refreshToken");
      if (typeof next !== "string") return false;
      tokens.push(next);
      return true;
    },
  };
}

/** What a scenario must reach: a ratio to the floor's req/s, to raw Argon2, or a p99 bound. */
type Goal =
  | { kind: "floor"; atLeast: number }
  | { kind: "argon2"; atLeast: number }
  | { kind: "p99"; atMostMs: number };

interface Measured {
  scenario: Scenario;
  goal?: Goal;
  /** The floor server's scenario is measured against the floor's own URL. */
  base: string;
  rows: Row[];
  /** Per run, the reference's req/s (the floor, or Argon2 verifications for log-ins) measured
   * right before this scenario, so that both meet the same moment of a noisy machine. */
  references: number[];
}

function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(command, args, {
    cwd: ROOT,
    env,
    stdio: ["ignore", "inherit", "inherit"],
    detached: true, // its own process group, so stopServer reaches npm's or tsx's children too
  });
}

/** The environment of a Gatehouse server: a small explicit one, as a fresh operator's would be. */
function serverEnv(port: number, dataDir: string, databaseUrl?: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    // As the floor runs: production settings (no introspection, Secure `__Host-` cookies).
    NODE_ENV: "production",
    GATEHOUSE_SECRET: COUNTING_SECRET,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    HOST: "127.0.0.1",
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    LOGIN_RATE_LIMIT_POINTS: "1000000",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { ALLOW_PGLITE_IN_PRODUCTION: "true" }),
    ...hashingEnv(),
  };
}

/** The caller's Argon2 settings, for the server and the raw reference alike. */
function hashingEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => /^(ARGON2_|PASSWORD_HASH_)/.test(name)),
  );
}

/**
 * `npm start` (build, migrate, serve) until `/healthz` answers, on a new data folder and then on
 * the same folder again; embedded PGlite, as a newcomer's first start. Milliseconds each.
 */
async function measureStartUp(): Promise<{ fresh: number; existing: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-start-"));
  const once = async () => {
    const port = await freePort();
    const started = performance.now();
    const child = startProcess("npm", ["start", "--silent"], serverEnv(port, dataDir));
    try {
      await waitForReady(`http://127.0.0.1:${port}`, child, 60_000, "/healthz", 20);
      return performance.now() - started;
    } finally {
      await stopServer(child);
    }
  };
  try {
    const fresh = await once();
    return { fresh, existing: await once() };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Raw Argon2 verifications per second, in a process of its own (bench/argon2.ts). */
function measureArgon2(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["bench/argon2.ts"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        BENCH_DURATION: String(DURATION),
        BENCH_CONNECTIONS: String(CONNECTIONS),
        ...hashingEnv(),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      const perSecond = pick(parseJson(output), "perSecond");
      if (code === 0 && typeof perSecond === "number") resolve(perSecond);
      else reject(new Error(`argon2 reference failed (${code}): ${output}`));
    });
  });
}

/** The server's resident memory in MB (Linux), or undefined where /proc is not there. */
function residentMb(pid: number | undefined): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

function spread(values: number[], digits: number): string {
  const low = Math.min(...values).toFixed(digits);
  const high = Math.max(...values).toFixed(digits);
  return low === high ? low : `${low}–${high}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function goalText(goal: Goal | undefined): string {
  if (!goal) return "";
  if (goal.kind === "floor") return `≥ ${goal.atLeast}× floor`;
  if (goal.kind === "argon2") return `≥ ${goal.atLeast}× argon2`;
  return `p99 ≤ ${goal.atMostMs} ms`;
}

/** Per run: the scenario's ratio to the reference measured just before it. */
function ratios(measured: Measured): number[] {
  return measured.rows.map((row, run) => row["req/s"] / (measured.references[run] || 1));
}

function met(measured: Measured): boolean | undefined {
  const { goal } = measured;
  if (!goal) return undefined;
  if (goal.kind === "p99") return median(measured.rows.map((r) => r["p99 ms"])) <= goal.atMostMs;
  return median(ratios(measured)) >= goal.atLeast;
}

async function main(): Promise<number> {
  const [port, floorPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const floorBase = `http://127.0.0.1:${floorPort}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "gatehouse-bench-"));
  const databaseUrl = process.env.DATABASE_URL;

  if (!ONLY) console.log("measuring npm start (new and existing data folder, PGlite)...");
  const startUps: { fresh: number; existing: number }[] = [];
  // Skipped when measuring chosen scenarios only (the server is built by the build step then).
  if (ONLY) await build();
  else for (let run = 0; run < RUNS; run++) startUps.push(await measureStartUp());

  // Built by the start-up runs above; run by plain node so the pid is the server's own.
  // BENCH_PROFILE_DIR: the server writes a CPU profile (node --cpu-prof) there when it stops.
  const profile = process.env.BENCH_PROFILE_DIR
    ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE_DIR)}`]
    : [];
  const child = startProcess(
    process.execPath,
    [...profile, "dist/main.js"],
    serverEnv(port, dataDir, databaseUrl),
  );
  const floor = startProcess(path.join(ROOT, "node_modules/.bin/tsx"), ["bench/floor.ts"], {
    PATH: process.env.PATH,
    NODE_ENV: "production",
    PORT: String(floorPort),
  });
  async function cleanUp(): Promise<void> {
    await Promise.all([stopServer(child), stopServer(floor)]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const interrupt = () => void cleanUp().finally(() => process.exit(130));
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);

  try {
    try {
      await waitForReady(base, child, 60_000);
      await waitForFloor(floorBase, floor, 60_000);
    } catch (error) {
      console.error(`Server failed to start: ${error instanceof Error ? error.message : error}`);
      return 1;
    }

    const countStart = performance.now();
    const statementCounts = await countStatements([SMALL_ORGANIZATION, LARGE_ORGANIZATION]);
    console.log(`counted SQL statements in-process (PGlite in memory) in ${seconds(countStart)}`);

    const email = `bench-${randomId()}@example.com`;
    const { accessToken } = await signUp(base, email, "Bench User");

    const endUser = await seedEndUser(base, accessToken);
    const endUserMe = JSON.stringify({
      query: END_USER_ME,
      variables: { projectId: endUser.projectId },
    });
    const seedStart = performance.now();
    const ownerToken = await seedOrganization(base, LARGE_ORGANIZATION);
    console.log(
      `seeded the ${LARGE_ORGANIZATION.members}-member organization in ${seconds(seedStart)}`,
    );

    const signedIn = (data: unknown) => pick(data, "me", "email") === email;
    const endUserSignedIn = (data: unknown) => pick(data, "endUserMe", "email") === endUser.email;
    const floorScenario: Scenario = {
      name: "floor: bare Apollo { hello }",
      headers: {},
      body: JSON.stringify({ query: "{ hello }" }),
      check: (data) => pick(data, "hello") === "world",
    };
    const plan: { scenario: Scenario; goal?: Goal; base?: string }[] = [
      {
        scenario: {
          name: "{ __typename }, no token",
          headers: {},
          body: JSON.stringify({ query: "{ __typename }" }),
          check: (data) => pick(data, "__typename") === "Query",
        },
        goal: { kind: "floor", atLeast: 0.7 },
      },
      {
        scenario: {
          name: "me (bearer)",
          headers: { authorization: `Bearer ${accessToken}` },
          body: ME,
          check: signedIn,
        },
        goal: { kind: "floor", atLeast: 0.6 },
      },
      {
        scenario: {
          name: "me (cookie)",
          headers: { cookie: `__Host-gh_at=${accessToken}` },
          body: ME,
          check: signedIn,
        },
        goal: { kind: "floor", atLeast: 0.6 },
      },
      {
        scenario: {
          name: "endUserMe (bearer)",
          headers: { authorization: `Bearer ${endUser.accessToken}` },
          body: endUserMe,
          check: endUserSignedIn,
        },
        goal: { kind: "floor", atLeast: 0.6 },
      },
      {
        scenario: {
          name: "endUserMe (cookie)",
          headers: { cookie: `__Host-ghp_${endUser.projectId}_at=${endUser.accessToken}` },
          body: endUserMe,
          check: endUserSignedIn,
        },
        goal: { kind: "floor", atLeast: 0.6 },
      },
      { scenario: refreshScenario(base, email), goal: { kind: "floor", atLeast: 0.2 } },
      {
        scenario: {
          name: "logIn",
          headers: {},
          body: JSON.stringify({
            query: LOG_IN,
            variables: { input: { email, password: PASSWORD } },
          }),
          check: (data) => typeof pick(data, "logIn", "tokens", "accessToken") === "string",
        },
        goal: { kind: "argon2", atLeast: 0.9 },
      },
      {
        scenario: {
          name: "endUserLogIn",
          headers: {},
          body: JSON.stringify({
            query: END_USER_LOG_IN,
            variables: {
              projectId: endUser.projectId,
              input: { email: endUser.email, password: PASSWORD },
            },
          }),
          check: (data) => typeof pick(data, "endUserLogIn", "tokens", "accessToken") === "string",
        },
        goal: { kind: "argon2", atLeast: 0.9 },
      },
      {
        scenario: organizationTreeScenario(ownerToken, LARGE_ORGANIZATION),
        goal: { kind: "p99", atMostMs: 50 },
      },
      {
        // The same query one at a time: its own latency, without nine others queued beside it.
        scenario: {
          ...organizationTreeScenario(ownerToken, LARGE_ORGANIZATION),
          name: `organization tree, 1 connection`,
          connections: 1,
        },
        goal: { kind: "p99", atMostMs: 50 },
      },
    ];
    const floorMeasured: Measured = {
      scenario: floorScenario,
      base: floorBase,
      rows: [],
      references: [],
    };
    const measured: Measured[] = plan
      .filter((p) => !ONLY || ONLY.test(p.scenario.name))
      .map((p) => ({ ...p, base: p.base ?? base, rows: [], references: [] as number[] }));

    console.log(
      `Database: ${databaseLabel(databaseUrl)} | Node ${process.version} | ${os.cpus().length} CPUs`,
    );
    console.log(`${CONNECTIONS} connections, ${DURATION} s per scenario, ${RUNS} runs\n`);
    // Unmeasured: the first seconds run unoptimised code and would penalise whichever goes first.
    console.log("warming up...");
    await runScenario(floorBase, floorScenario, 2);
    for (const m of measured) {
      if (m.goal?.kind !== "argon2") await runScenario(m.base, m.scenario, 1);
    }
    const argon2: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      console.log(`run ${run + 1} of ${RUNS}...`);
      for (const m of measured) {
        // Each scenario right after its reference: the machine's speed drifts within a run.
        if (m.goal?.kind === "argon2") {
          const perSecond = await measureArgon2();
          argon2.push(perSecond);
          m.references.push(perSecond);
        } else {
          const floorRow = await runScenario(floorBase, floorScenario, DURATION);
          floorMeasured.rows.push(floorRow);
          m.references.push(floorRow["req/s"]);
        }
        m.rows.push(await runScenario(m.base, m.scenario, DURATION));
      }
    }
    const rss = residentMb(child.pid);

    const table: Record<string, Record<string, string | number>> = {};
    const describe = (m: Measured) => {
      const reached = met(m);
      table[m.scenario.name] = {
        "req/s": spread(
          m.rows.map((r) => r["req/s"]),
          0,
        ),
        "p50 ms": spread(
          m.rows.map((r) => r["p50 ms"]),
          0,
        ),
        "p99 ms": spread(
          m.rows.map((r) => r["p99 ms"]),
          0,
        ),
        ratio: m === floorMeasured ? "1" : spread(ratios(m), 2),
        goal: goalText(m.goal),
        met: reached === undefined ? "" : reached ? "yes" : "NO",
      };
    };
    describe(floorMeasured);
    measured.forEach(describe);
    console.log();
    console.table(table);
    console.log(`raw argon2 verifications/s (${CONNECTIONS} in flight): ${spread(argon2, 1)}`);
    const counted = statementCounts.map(
      ({ shape, statements }) =>
        `${shape.members} members, ${shape.projects} projects … ${statements}`,
    );
    console.log(`organization tree, SQL statements/request (in-process): ${counted.join("; ")}`);
    if (startUps.length > 0) {
      const fresh = startUps.map((s) => s.fresh / 1000);
      const existing = startUps.map((s) => s.existing / 1000);
      console.log(
        `npm start to /healthz: new data folder ${spread(fresh, 2)} s (goal ≤ 4), existing ${spread(existing, 2)} s (goal ≤ 2)`,
      );
    }
    console.log(`server RSS after the bench: ${rss ?? "?"} MB (goal ≤ 250)`);

    const failing = [floorMeasured, ...measured].filter((m) =>
      m.rows.some((row) => row.requests === 0 || row.errors / row.requests > MAX_ERROR_RATE),
    );
    for (const m of failing) {
      const errors = m.rows.map((r) => `${r.errors}/${r.requests}`).join(", ");
      console.error(`FAIL ${m.scenario.name}: errors/requests per run ${errors}`);
    }
    return failing.length > 0 ? 1 : 0;
  } catch (error) {
    console.error("Benchmark failed:", error);
    return 1;
  } finally {
    await cleanUp();
  }
}

process.exit(await main());
