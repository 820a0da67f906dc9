import { Field, ObjectType } from "type-graphql";
import { ConnectionType, EdgeType } from "../../graphql/connection";
import { DateTimeScalar, UUIDScalar } from "../../graphql/scalars";

@ObjectType({ description: "One security-relevant action, as the audit log recorded it" })
export class AuditEvent {
  @Field(() => UUIDScalar)
  id!: string;

  @Field(() => DateTimeScalar)
  at!: Date;

  @Field(() => String, { description: "For example org.member.added or user.login.failed" })
  action!: string;

  @Field(() => UUIDScalar, { nullable: true })
  actorUserId!: string | null;

  @Field(() => UUIDScalar, { nullable: true })
  actorEndUserId!: string | null;

  @Field(() => UUIDScalar, { nullable: true })
  organizationId!: string | null;

  @Field(() => UUIDScalar, { nullable: true })
  projectId!: string | null;

  @Field(() => UUIDScalar, { nullable: true })
  targetId!: string | null;

  @Field(() => String, { nullable: true })
  ipAddress!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => String, { nullable: true, description: "JSON text" })
  metadata!: string | null;

  createdAt!: Date;
}

@ObjectType()
export class AuditEventEdge extends EdgeType(AuditEvent) {}

@ObjectType()
export class AuditEventConnection extends ConnectionType(AuditEventEdge) {}
