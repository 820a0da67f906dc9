/**
 * Keyset pagination in SQL: "rows after this (timestamp, id) position" in a stable order, for
 * one parent or for many at once (one statement per batch, however many parents).
 */
import { and, asc, count, desc, inArray, sql, type SQL } from "drizzle-orm";
import { anyId } from "./any-id";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Executor } from "./connection";
import { toPage, type Page, type PageRequest } from "../pagination";

export type Direction = "asc" | "desc";

/** The condition for rows strictly after `after` in (at, id) order: a row comparison, which
 * PostgreSQL answers with a range scan of the (parent, at, id) indexes. */
export function afterCursor(
  at: PgColumn,
  id: PgColumn,
  after: PageRequest["after"],
  direction: Direction = "asc",
): SQL | undefined {
  if (!after) return undefined;
  const beyond = direction === "asc" ? sql`>` : sql`<`;
  return sql`(${at}, ${id}) ${beyond} (${after.at.toISOString()}::timestamptz, ${after.id}::uuid)`;
}

export function keysetOrder(at: PgColumn, id: PgColumn, direction: Direction = "asc"): SQL[] {
  const by = direction === "asc" ? asc : desc;
  return [by(at), by(id)];
}

export interface KeysetSource {
  table: PgTable;
  at: PgColumn;
  id: PgColumn;
  direction?: Direction;
}

/** One page of one list: the rows and the total, in two statements run side by side. */
export async function keysetPage<Row>(
  db: Executor,
  source: KeysetSource,
  scope: SQL | undefined,
  page: PageRequest,
): Promise<Page<Row>> {
  const { table, at, id, direction = "asc" } = source;
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(table)
      .where(and(scope, afterCursor(at, id, page.after, direction)))
      .orderBy(...keysetOrder(at, id, direction))
      .limit(page.limit + 1),
    db.select({ n: count() }).from(table).where(scope),
  ]);
  return toPage(rows as Row[], page, total?.n ?? 0);
}

export interface ParentKeysetSource extends KeysetSource {
  /** The column naming the parent each row belongs to (organization, project…). */
  parent: PgColumn;
}

/**
 * The same page of many parents' lists at once: a window function numbers each parent's rows
 * after the cursor, and one grouped count gives every total. Two statements per batch.
 */
export async function keysetPagesByParent<Row extends Record<string, unknown>>(
  db: Executor,
  source: ParentKeysetSource,
  parentIds: readonly string[],
  scope: SQL | undefined,
  page: PageRequest,
  parentOf: (row: Row) => string,
): Promise<Map<string, Page<Row>>> {
  const { table, parent, at, id, direction = "asc" } = source;
  const inParents = and(anyId(parent, parentIds), scope);
  const byOrder = direction === "asc" ? sql`asc` : sql`desc`;
  // The window numbers ids in a subquery; the rows themselves are read from the table, whose
  // real columns Drizzle maps far faster than a subquery alias's proxied ones (hundreds of rows
  // per nested dashboard query).
  const ranked = sql`select ${id} as ranked_id, row_number() over (partition by ${parent} order by ${at} ${byOrder}, ${id} ${byOrder}) as keyset_rank from ${table} where ${and(inParents, afterCursor(at, id, page.after, direction))}`;
  const [rows, totals] = await Promise.all([
    db
      .select()
      .from(table)
      .where(
        inArray(
          id,
          sql`(select ranked_id from (${ranked}) ranked where keyset_rank <= ${page.limit + 1})`,
        ),
      )
      .orderBy(asc(parent), ...keysetOrder(at, id, direction)),
    db.select({ parentId: parent, n: count() }).from(table).where(inParents).groupBy(parent),
  ]);

  const grouped = new Map<string, Row[]>();
  for (const row of rows as Row[]) {
    const key = parentOf(row);
    const list = grouped.get(key) ?? [];
    list.push(row);
    grouped.set(key, list);
  }
  const totalsByParent = new Map(totals.map((t) => [t.parentId as string, t.n]));
  return new Map(
    parentIds.map((parentId) => [
      parentId,
      toPage(grouped.get(parentId) ?? [], page, totalsByParent.get(parentId) ?? 0),
    ]),
  );
}
