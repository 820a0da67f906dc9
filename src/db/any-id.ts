/**
 * `column = any($1::uuid[])`: one parameter however many ids. Drizzle's inArray makes one
 * parameter per value, and building those was most of Drizzle's time in the nested dashboard
 * queries' profile (hundreds of user ids per batch); one array parameter also keeps one prepared
 * statement per query whatever the batch size.
 */
import { sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

export function anyId(column: PgColumn, ids: Iterable<string>): SQL {
  return sql`${column} = any(${sql.param([...ids])}::uuid[])`;
}
