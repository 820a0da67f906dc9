import { Field, ObjectType, registerEnumType } from "type-graphql";
import { ConnectionType, EdgeType } from "../../graphql/connection";
import { DateTimeScalar, UUIDScalar } from "../../graphql/scalars";
import { MembershipStatus } from "../organizations/organizations.types";

export enum ProjectRole {
  MANAGER = "MANAGER",
  CONTRIBUTOR = "CONTRIBUTOR",
  VIEWER = "VIEWER",
}
registerEnumType(ProjectRole, {
  name: "ProjectRole",
  description: "A member's role in a project; organization owners and admins act as MANAGER",
});

@ObjectType({ description: "An application inside an organization, with its own end users" })
export class Project {
  @Field(() => UUIDScalar)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The project's own app, where links in its end users' mail point (no trailing slash)",
  })
  appUrl!: string | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  organizationId!: string;
}

@ObjectType({ description: "A platform user's role in a project" })
export class ProjectMember {
  @Field(() => ProjectRole)
  role!: `${ProjectRole}`;

  @Field(() => MembershipStatus)
  status!: `${MembershipStatus}`;

  projectId!: string;
  userId!: string;
  id!: string;
  createdAt!: Date;
}

@ObjectType()
export class ProjectEdge extends EdgeType(Project) {}

@ObjectType()
export class ProjectConnection extends ConnectionType(ProjectEdge) {}

@ObjectType()
export class ProjectMemberEdge extends EdgeType(ProjectMember) {}

@ObjectType()
export class ProjectMemberConnection extends ConnectionType(ProjectMemberEdge) {}
