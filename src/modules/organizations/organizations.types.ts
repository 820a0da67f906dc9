import { Field, ObjectType, registerEnumType } from "type-graphql";
import { ConnectionType, EdgeType } from "../../graphql/connection";
import { DateTimeScalar, UUIDScalar } from "../../graphql/scalars";

export enum OrganizationRole {
  OWNER = "OWNER",
  ADMIN = "ADMIN",
  MEMBER = "MEMBER",
}
registerEnumType(OrganizationRole, {
  name: "OrganizationRole",
  description: "A member's role in an organization (see the permission matrix)",
});

export enum MembershipStatus {
  ACTIVE = "ACTIVE",
  SUSPENDED = "SUSPENDED",
}
registerEnumType(MembershipStatus, {
  name: "MembershipStatus",
  description: "A suspended membership grants nothing until it is active again",
});

@ObjectType({ description: "A tenant: members with roles, and the projects they run" })
export class Organization {
  @Field(() => UUIDScalar)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: "Lowercase letters, digits and hyphens; unique" })
  slug!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@ObjectType({ description: "A platform user's membership in an organization" })
export class OrganizationMember {
  @Field(() => OrganizationRole)
  role!: `${OrganizationRole}`;

  @Field(() => MembershipStatus)
  status!: `${MembershipStatus}`;

  // Not fields: what the field resolvers load the user and organization by.
  organizationId!: string;
  userId!: string;
  id!: string;
  createdAt!: Date;
}

@ObjectType()
export class OrganizationEdge extends EdgeType(Organization) {}

@ObjectType()
export class OrganizationConnection extends ConnectionType(OrganizationEdge) {}

@ObjectType()
export class OrganizationMemberEdge extends EdgeType(OrganizationMember) {}

@ObjectType()
export class OrganizationMemberConnection extends ConnectionType(OrganizationMemberEdge) {}

@ObjectType({ description: "A user's own memberships, one edge per organization" })
export class OrganizationMembershipConnection extends ConnectionType(OrganizationMemberEdge) {}
