/**
 * The viewer cache: the per-request session check served from memory, without giving up
 * instant revocation.
 *
 * Every request with a token needs "is this session still live, and is its holder still
 * allowed in?" (one joined query). The answer is kept here per session, and dropped the moment
 * anything it depends on changes: the database publishes every such change on the channel
 * `gatehouse_sessions` from the very transaction that makes it (triggers on sessions, users,
 * end users and project policies: drizzle/0003_session_notifications.sql), and PostgreSQL
 * delivers it to every node at commit. So a session ended on one node is refused on the others
 * as soon as they hear the commit, and on this node by the very next request (see `barrier`).
 *
 * What keeps it honest:
 * - Trust only while listening. While the listening connection is down (or a heartbeat goes
 *   unanswered) nothing is served from memory and nothing is stored; when it is back, the whole
 *   cache is dropped, since notifications may have been missed meanwhile.
 * - No stale fill: a lookup during which one of its facts changed does not store its answer,
 *   so a read that raced a revocation cannot outlive it.
 * - Expiry is exact: the cached session's ends are checked against the clock on every hit.
 * - Read-your-writes on this node: after a mutation the request waits for a barrier of its own
 *   through the channel, so its own changes have been heard before the answer leaves.
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { DatabaseHandle, ListenOptions } from "../db/connection";
import type { SessionRow } from "../db/schema/index";
import type { Logger } from "../logger";
import { isSessionLive } from "./sessions";

export const SESSION_CHANNEL = "gatehouse_sessions";

/** A found viewer and what it depends on: its session, its account, its project's policy. */
export interface CacheableViewer {
  session: SessionRow;
}

export interface ViewerCache {
  /**
   * The viewer behind (`audience`, `subject`, `sessionId`): from memory when it may be trusted
   * and the session has not ended by the clock, otherwise from `load` (whose answer is kept
   * under `tags`, the facts it depends on, unless one of them changed while it loaded).
   */
  resolve<V extends CacheableViewer>(
    key: { audience: string; subject: string; sessionId: string },
    tags: readonly string[],
    load: () => Promise<V | null>,
  ): Promise<V | null>;
  /**
   * Resolves once every change this node committed before the call has been heard (a no-op
   * while nothing is trusted, since nothing is then served from memory).
   */
  barrier(): Promise<void>;
  /** Whether answers may come from memory now (listening and answering heartbeats). */
  readonly trusted: boolean;
  readonly size: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Tags of the facts a viewer depends on, as the triggers publish them. */
export const viewerTags = {
  session: (id: string) => `s:${id}`,
  user: (id: string) => `u:${id}`,
  endUser: (id: string) => `e:${id}`,
  project: (id: string) => `p:${id}`,
};

interface Entry {
  viewer: CacheableViewer;
  tags: readonly string[];
  storedAt: number;
}

/** A lookup on its way to the database; a change to one of its tags meanwhile spoils it. */
interface Loading {
  tags: readonly string[];
  spoiled: boolean;
}

export interface ViewerCacheOptions {
  database: DatabaseHandle;
  logger: Logger;
  now?: () => Date;
  /** Bound on memory: the oldest entries go first (about 2 KB each). */
  maxEntries?: number;
  /** A safety net only: entries are re-read after this long even if nothing was heard. */
  maxAgeMs?: number;
  /** How often the listening connection is proven alive, and how long an echo may take. */
  heartbeatMs?: number;
  echoTimeoutMs?: number;
  listen?: ListenOptions;
}

const BARRIER_PREFIX = "b:";

export function createViewerCache(options: ViewerCacheOptions): ViewerCache {
  const { database, logger } = options;
  const now = options.now ?? (() => new Date());
  const maxEntries = options.maxEntries ?? 20_000;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const heartbeatMs = options.heartbeatMs ?? 2_000;
  const echoTimeoutMs = options.echoTimeoutMs ?? 2_000;

  const entries = new Map<string, Entry>();
  const byTag = new Map<string, Set<string>>();
  const echoes = new Map<string, () => void>();
  const loading = new Set<Loading>();
  let listening = false;
  /** False after an unanswered heartbeat or barrier, until an echo arrives again. */
  let answering = true;
  let listener: { stop(): Promise<void> } | null = null;
  let heartbeat: NodeJS.Timeout | undefined;

  function forget(key: string): void {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    for (const tag of entry.tags) {
      const keys = byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) byTag.delete(tag);
    }
  }

  function forgetAll(): void {
    for (const lookup of loading) lookup.spoiled = true;
    entries.clear();
    byTag.clear();
  }

  function invalidate(payload: string): void {
    if (payload === "*") return forgetAll();
    const separator = payload.indexOf(":");
    const prefix = payload.slice(0, separator + 1);
    const tags = new Set(
      payload
        .slice(separator + 1)
        .split(",")
        .map((id) => prefix + id),
    );
    for (const tag of tags) {
      const keys = byTag.get(tag);
      if (keys) for (const key of [...keys]) forget(key);
    }
    for (const lookup of loading) {
      if (lookup.tags.some((tag) => tags.has(tag))) lookup.spoiled = true;
    }
  }

  function onNotify(payload: string): void {
    if (payload.startsWith(BARRIER_PREFIX)) {
      const wake = echoes.get(payload);
      if (wake) {
        echoes.delete(payload);
        wake();
      }
      return;
    }
    invalidate(payload);
  }

  function store(key: string, viewer: CacheableViewer, tags: readonly string[]): void {
    forget(key);
    if (entries.size >= maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) forget(oldest);
    }
    entries.set(key, { viewer, tags, storedAt: performance.now() });
    for (const tag of tags) {
      let keys = byTag.get(tag);
      if (!keys) byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  const isTrusted = () => listening && answering;

  /** Sends a notification through the pool and waits for it to come back on the listener. */
  async function echo(): Promise<boolean> {
    const payload = `${BARRIER_PREFIX}${randomUUID()}`;
    let timer: NodeJS.Timeout | undefined;
    const heard = new Promise<boolean>((resolve) => {
      echoes.set(payload, () => resolve(true));
      timer = setTimeout(() => resolve(false), echoTimeoutMs);
      timer.unref();
    });
    try {
      await database.db.execute(sql`select pg_notify(${SESSION_CHANNEL}, ${payload})`);
      return await heard;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      echoes.delete(payload);
    }
  }

  /** An echo that did not come back means the listener may be deaf: stop trusting until one does. */
  async function check(): Promise<void> {
    const heard = await echo();
    if (heard && !answering) {
      forgetAll();
      answering = true;
      logger.info("Session notifications heard again: the viewer cache is in use again");
    } else if (!heard && answering) {
      answering = false;
      forgetAll();
      logger.warn("Session notifications unanswered: checking every session in the database");
    }
  }

  return {
    get trusted() {
      return isTrusted();
    },
    get size() {
      return entries.size;
    },

    async resolve<V extends CacheableViewer>(
      key: { audience: string; subject: string; sessionId: string },
      tags: readonly string[],
      load: () => Promise<V | null>,
    ): Promise<V | null> {
      const cacheKey = `${key.audience}|${key.subject}|${key.sessionId}`;
      if (isTrusted()) {
        const entry = entries.get(cacheKey);
        if (entry) {
          const fresh = performance.now() - entry.storedAt < maxAgeMs;
          if (fresh && isSessionLive(entry.viewer.session, now())) {
            return entry.viewer as V;
          }
          forget(cacheKey);
        }
      }
      if (!isTrusted()) return load();
      const lookup: Loading = { tags, spoiled: false };
      loading.add(lookup);
      try {
        const viewer = await load();
        if (viewer && isTrusted() && !lookup.spoiled) store(cacheKey, viewer, tags);
        return viewer;
      } finally {
        loading.delete(lookup);
      }
    },

    async barrier() {
      if (!isTrusted()) return;
      if (!(await echo())) {
        // Unheard: this node's own change may not have reached its cache, so drop all of it.
        answering = false;
        forgetAll();
        logger.warn("A session barrier went unanswered: checking every session in the database");
      }
    },

    async start() {
      listener = await database.listen(
        SESSION_CHANNEL,
        {
          notify: onNotify,
          up() {
            forgetAll();
            listening = true;
            logger.debug("Listening for session changes");
          },
          down() {
            listening = false;
            forgetAll();
            logger.warn("Session notifications lost: checking every session in the database");
          },
        },
        options.listen,
      );
      if (database.kind === "postgres") {
        heartbeat = setInterval(() => void check(), heartbeatMs);
        heartbeat.unref();
      }
    },

    async stop() {
      clearInterval(heartbeat);
      listening = false;
      forgetAll();
      await listener?.stop();
      listener = null;
    },
  };
}
