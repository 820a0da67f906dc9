/**
 * Single-use tokens mailed to an account (email verification, password reset, email change):
 * 256 random bits, only their SHA-256 at rest, looked up by that hash through a unique index (so
 * timing reveals nothing but bits of a hash), good once and until they expire. Issuing one retires
 * the account's earlier unused tokens of the same purpose: the newest link is the only live one.
 */
import { and, eq, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Executor } from "../db/connection";
import { accountTokens, type AccountTokenPurpose, type AccountTokenRow } from "../db/schema/index";
import { generateOpaqueToken, hashToken } from "./secrets";
import type { SessionOwner, SessionScope } from "./sessions";

export const ACCOUNT_TOKEN_TTL_SECONDS: Record<AccountTokenPurpose, number> = {
  EMAIL_VERIFICATION: 24 * 3600,
  PASSWORD_RESET: 3600,
  EMAIL_CHANGE: 24 * 3600,
};

function ownerColumns(owner: SessionOwner) {
  return "userId" in owner
    ? { userId: owner.userId, endUserId: null, projectId: null }
    : { userId: null, endUserId: owner.endUserId, projectId: owner.projectId };
}

function ownerCondition(owner: SessionOwner) {
  return "userId" in owner
    ? eq(accountTokens.userId, owner.userId)
    : and(
        eq(accountTokens.endUserId, owner.endUserId),
        eq(accountTokens.projectId, owner.projectId),
      );
}

/**
 * Retires every unused token of `owner` (of `purposes`, or all): a password reset, a password
 * change or an email change makes the links already mailed worthless, so a link to a mailbox
 * the account has moved away from, or one an attacker requested, cannot be used afterwards.
 */
export async function retireAccountTokens(
  executor: Executor,
  owner: SessionOwner,
  at: Date,
  purposes?: readonly AccountTokenPurpose[],
): Promise<void> {
  await executor
    .update(accountTokens)
    .set({ usedAt: at })
    .where(
      and(
        ownerCondition(owner),
        isNull(accountTokens.usedAt),
        purposes ? inArray(accountTokens.purpose, [...purposes]) : undefined,
      ),
    );
}

/** Issues a token for `owner`, mailed to `email`; returns the token itself (never stored).
 * Lock the account first (the pool's `lock`), as every flow does, so two requests at once
 * cannot both leave a live token. */
export async function issueAccountToken(
  executor: Executor,
  input: { owner: SessionOwner; purpose: AccountTokenPurpose; email: string; at: Date },
): Promise<string> {
  const { owner, purpose, at } = input;
  await executor
    .update(accountTokens)
    .set({ usedAt: at })
    .where(
      and(ownerCondition(owner), eq(accountTokens.purpose, purpose), isNull(accountTokens.usedAt)),
    );
  const token = generateOpaqueToken();
  await executor.insert(accountTokens).values({
    ...ownerColumns(owner),
    purpose,
    email: input.email,
    tokenHash: hashToken(token),
    expiresAt: new Date(at.getTime() + ACCOUNT_TOKEN_TTL_SECONDS[purpose] * 1000),
    createdAt: at,
  });
  return token;
}

interface Presented {
  token: string;
  purpose: AccountTokenPurpose;
  /** Where it is presented: the platform, or one project. */
  scope: SessionScope;
  at: Date;
}

function liveTokenQuery(executor: Executor, { token, purpose, scope, at }: Presented) {
  return executor
    .select()
    .from(accountTokens)
    .where(
      and(
        eq(accountTokens.tokenHash, hashToken(token)),
        eq(accountTokens.purpose, purpose),
        isNull(accountTokens.usedAt),
        gt(accountTokens.expiresAt, at),
        scope === "platform"
          ? sql`${accountTokens.userId} is not null`
          : eq(accountTokens.projectId, scope.projectId),
      ),
    );
}

const plausible = (token: string) => token.length > 0 && token.length <= 128;

/** The live token, without using it (to check what it is for before the slow work). */
export async function findAccountToken(
  executor: Executor,
  presented: Presented,
): Promise<AccountTokenRow | null> {
  if (!plausible(presented.token)) return null;
  const [row] = await liveTokenQuery(executor, presented);
  return row ?? null;
}

/**
 * Uses a token: the row, now marked used, or null when it is unknown, used, expired, replaced
 * or of another pool — one answer for all of them. Row-locked, so two concurrent uses cannot
 * both succeed. Lock order: find the token, lock its account (the pool's `lock`), then consume,
 * the order issuers take too (account, then tokens).
 */
export async function consumeAccountToken(
  executor: Executor,
  presented: Presented,
): Promise<AccountTokenRow | null> {
  if (!plausible(presented.token)) return null;
  const [row] = await liveTokenQuery(executor, presented).for("update");
  if (!row) return null;
  await executor
    .update(accountTokens)
    .set({ usedAt: presented.at })
    .where(eq(accountTokens.id, row.id));
  return row;
}

/** Whose token a row is, as a session owner. */
export function accountTokenOwner(row: AccountTokenRow): SessionOwner {
  return row.userId
    ? { userId: row.userId }
    : { endUserId: row.endUserId as string, projectId: row.projectId as string };
}

/** Deletes tokens used or expired more than a day ago (the hourly prune of main.ts). */
export async function pruneAccountTokens(executor: Executor, at: Date): Promise<number> {
  const dayAgo = new Date(at.getTime() - 86_400_000);
  const deleted = await executor
    .delete(accountTokens)
    .where(
      or(
        lt(accountTokens.usedAt, dayAgo),
        and(isNull(accountTokens.usedAt), lt(accountTokens.expiresAt, dayAgo)),
      ),
    )
    .returning({ id: accountTokens.id });
  return deleted.length;
}
