import { Field, ObjectType } from "type-graphql";
import { encodeCursor, type Page } from "../pagination";

@ObjectType({ description: "Relay page information" })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

/** Builds a Relay connection from a keyset page of rows that have `createdAt` and `id`. */
export function toConnection<T extends { createdAt: Date; id: string }>(page: Page<T>) {
  const edges = page.rows.map((node) => ({ cursor: encodeCursor(node.createdAt, node.id), node }));
  return {
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: page.totalCount,
  };
}
