import { Field, ObjectType, registerEnumType } from "type-graphql";
import { ConnectionType, EdgeType } from "../../graphql/connection";
import { DateTimeScalar, EmailAddressScalar, UUIDScalar } from "../../graphql/scalars";
import { OrganizationRole } from "../organizations/organizations.types";

export enum InvitationStatus {
  PENDING = "PENDING",
  ACCEPTED = "ACCEPTED",
  REVOKED = "REVOKED",
  EXPIRED = "EXPIRED",
}
registerEnumType(InvitationStatus, { name: "InvitationStatus" });

@ObjectType({ description: "An emailed, single-use invitation to join an organization" })
export class OrganizationInvitation {
  @Field(() => UUIDScalar)
  id!: string;

  @Field(() => EmailAddressScalar)
  email!: string;

  @Field(() => OrganizationRole)
  role!: `${OrganizationRole}`;

  @Field(() => DateTimeScalar)
  expiresAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  acceptedAt!: Date | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  organizationId!: string;
  invitedByUserId!: string;
  revokedAt!: Date | null;
}

@ObjectType()
export class OrganizationInvitationEdge extends EdgeType(OrganizationInvitation) {}

@ObjectType()
export class OrganizationInvitationConnection extends ConnectionType(OrganizationInvitationEdge) {}
