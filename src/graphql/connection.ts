import { ArgsType, Field, Int, ObjectType, type ClassType } from "type-graphql";
import { encodeCursor, type Page } from "../pagination";

@ObjectType({ description: "Relay page information" })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;

  @Field(() => Boolean, {
    description: "Whether items come before this page (true whenever `after` was given)",
  })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;
}

/** The arguments of every connection field. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: "At most 100; 20 when omitted" })
  first?: number | null;

  @Field(() => String, { nullable: true, description: "An endCursor from an earlier page" })
  after?: string | null;
}

/** Builds a Relay connection from a keyset page of rows that have `createdAt` and `id`. */
export function toConnection<T extends { createdAt: Date; id: string }>(page: Page<T>) {
  const edges = page.rows.map((node) => ({ cursor: encodeCursor(node.createdAt, node.id), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      endCursor: edges.at(-1)?.cursor ?? null,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
    },
    totalCount: page.totalCount,
  };
}

/** A Relay edge type: `class FooEdge extends EdgeType(Foo) {}` under `@ObjectType()`. */
export function EdgeType<TNode extends object>(node: ClassType<TNode>) {
  @ObjectType()
  abstract class Edge {
    @Field(() => String, { description: "Opaque; pass as `after` to read on from here" })
    cursor!: string;

    @Field(() => node)
    node!: TNode;
  }
  return Edge;
}

/** A Relay connection type over an edge type, with the total across all pages. */
export function ConnectionType<TEdge extends object>(edge: ClassType<TEdge>) {
  @ObjectType()
  abstract class Connection {
    @Field(() => [edge])
    edges!: TEdge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: "How many items the list holds across every page" })
    totalCount!: number;
  }
  return Connection;
}
