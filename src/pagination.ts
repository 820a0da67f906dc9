/**
 * Keyset pagination shared by every Relay connection: a page is "the next `limit` rows after
 * this (timestamp, id) position" in a stable order. Cursors are opaque to clients.
 */
import { AppError } from "./errors";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  limit: number;
  after: { at: Date; id: string } | null;
}

export interface Page<T> {
  rows: T[];
  hasNextPage: boolean;
  /** True when the page starts after a cursor (so rows before it exist). */
  hasPreviousPage: boolean;
  totalCount: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BAD_CURSOR = { code: "BAD_USER_INPUT", message: "The cursor is not valid" } as const;

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`, "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): { at: Date; id: string } {
  const decoded = Buffer.from(cursor, "base64url").toString("utf8");
  const [iso, id] = decoded.split("|");
  const at = new Date(iso ?? "");
  // Dates beyond years 1–9999 are valid in JavaScript but not in PostgreSQL: forged cursors.
  const year = at.getUTCFullYear();
  if (!id || Number.isNaN(at.getTime()) || year < 1 || year > 9999 || !UUID.test(id)) {
    throw new AppError(BAD_CURSOR, {
      fields: [{ field: "after", message: "is not a valid cursor" }],
    });
  }
  return { at, id };
}

export function pageRequest(args: { first?: number | null; after?: string | null }): PageRequest {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new AppError(
      { code: "BAD_USER_INPUT", message: `first must be between 0 and ${MAX_PAGE_SIZE}` },
      { fields: [{ field: "first", message: `must be between 0 and ${MAX_PAGE_SIZE}` }] },
    );
  }
  return { limit: first, after: args.after ? decodeCursor(args.after) : null };
}

/** Rows were fetched with `limit + 1`; the extra one only says whether there is a next page. */
export function toPage<T>(rows: T[], request: PageRequest, totalCount: number): Page<T> {
  return {
    rows: rows.slice(0, request.limit),
    hasNextPage: rows.length > request.limit,
    hasPreviousPage: request.after !== null,
    totalCount,
  };
}
