/**
 * DataLoaders for nested connections: every `members(first, after)` under a list of parents is
 * collected into one batch and answered by one keyset query per distinct page shape, so a
 * nested query costs the same number of statements for 5 parents as for 200.
 */
import DataLoader from "dataloader";
import type { Page, PageRequest } from "../pagination";

export interface PageKey<Filter> {
  parentId: string;
  page: PageRequest;
  filter: Filter;
}

type FetchPages<Row, Filter> = (
  parentIds: readonly string[],
  page: PageRequest,
  filter: Filter,
) => Promise<Map<string, Page<Row>>>;

const shapeOf = (key: PageKey<unknown>) =>
  JSON.stringify([key.page.limit, key.page.after, key.filter]);

export function createPageLoader<Row, Filter = null>(
  fetch: FetchPages<Row, Filter>,
): DataLoader<PageKey<Filter>, Page<Row>, string> {
  return new DataLoader<PageKey<Filter>, Page<Row>, string>(
    async (keys) => {
      const shapes = new Map<string, PageKey<Filter>[]>();
      for (const key of keys) {
        const shape = shapeOf(key);
        shapes.set(shape, [...(shapes.get(shape) ?? []), key]);
      }
      const answers = new Map<string, Page<Row>>();
      await Promise.all(
        [...shapes.entries()].map(async ([shape, group]) => {
          const first = group[0]!;
          const ids = [...new Set(group.map((k) => k.parentId))];
          const pages = await fetch(ids, first.page, first.filter);
          for (const id of ids) answers.set(`${id}|${shape}`, pages.get(id)!);
        }),
      );
      return keys.map((key) => answers.get(`${key.parentId}|${shapeOf(key)}`)!);
    },
    { cacheKeyFn: (key) => `${key.parentId}|${shapeOf(key)}` },
  );
}

/** A loader of rows by id, answering null for ids that do not exist. */
export function createByIdLoader<Row extends { id: string }>(
  fetch: (ids: readonly string[]) => Promise<Row[]>,
): DataLoader<string, Row | null> {
  return new DataLoader<string, Row | null>(async (ids) => {
    const rows = await fetch(ids);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Loads (and caches) the users of pages of memberships, returning the pages unchanged. */
export type LoadUsersOf = <Row extends { userId: string }>(
  pages: Map<string, Page<Row>>,
) => Promise<Map<string, Page<Row>>>;
