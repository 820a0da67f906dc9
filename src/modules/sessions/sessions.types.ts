import { Field, Int, ObjectType } from "type-graphql";
import { PageInfo } from "../../graphql/connection";
import { DateTimeScalar, UUIDScalar } from "../../graphql/scalars";

@ObjectType({ description: "A signed-in device or browser: one refresh-token family" })
export class Session {
  @Field(() => UUIDScalar)
  id!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  lastUsedAt!: Date;

  @Field(() => DateTimeScalar, {
    description: "When the session ends unless refreshed (idle) or at the latest (absolute)",
  })
  expiresAt!: Date;

  @Field(() => String, { nullable: true })
  ipAddress!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => Boolean, { description: "True for the session this request is using" })
  current!: boolean;
}

@ObjectType()
export class SessionEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Session)
  node!: Session;
}

@ObjectType()
export class SessionConnection {
  @Field(() => [SessionEdge])
  edges!: SessionEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}
