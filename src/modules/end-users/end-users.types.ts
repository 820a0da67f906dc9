import { ArgsType, createUnionType, Field, InputType, ObjectType } from "type-graphql";
import { ConnectionType, EdgeType, PageArgs } from "../../graphql/connection";
import { DateTimeScalar, EmailAddressScalar, UUIDScalar } from "../../graphql/scalars";
import { MfaChallenge, Tokens } from "../auth/auth.types";
import { AuthMethod } from "../policies/policies.types";
import { Session } from "../sessions/sessions.types";

@ObjectType({
  description:
    "A customer of one project: each project has its own pool, so the same email in two " +
    "projects is two end users",
})
export class EndUser {
  @Field(() => UUIDScalar)
  id!: string;

  @Field(() => EmailAddressScalar, { nullable: true })
  email!: string | null;

  @Field(() => String, { nullable: true, description: "E.164, like +14155550123" })
  phone!: string | null;

  @Field(() => Boolean)
  emailVerified!: boolean;

  @Field(() => String)
  fullName!: string;

  @Field(() => String, { nullable: true })
  role!: string | null;

  @Field(() => String, { nullable: true })
  status!: string | null;

  @Field(() => Boolean)
  mfaEnabled!: boolean;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  lastLogInAt!: Date | null;

  projectId!: string;
}

@ObjectType()
export class EndUserEdge extends EdgeType(EndUser) {}

@ObjectType()
export class EndUserConnection extends ConnectionType(EndUserEdge) {}

@ObjectType()
export class EndUserAuthPayload {
  @Field(() => EndUser)
  endUser!: EndUser;

  @Field(() => Session)
  session!: Session;

  @Field(() => Tokens)
  tokens!: Tokens;
}

export const EndUserLogInResult = createUnionType({
  name: "EndUserLogInResult",
  types: () => [EndUserAuthPayload, MfaChallenge] as const,
  resolveType: (value) => ("mfaToken" in value ? MfaChallenge : EndUserAuthPayload),
});

@InputType()
export class EndUserSignUpInput {
  @Field(() => String)
  fullName!: string;

  @Field(() => EmailAddressScalar, { nullable: true, description: "Required for EMAIL" })
  email?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "E.164; required for PHONE and when the policy requires a phone",
  })
  phone?: string | null;

  @Field(() => String, { description: "Checked against the project's password policy" })
  password!: string;

  @Field(() => AuthMethod, { description: "One of the project policy's authMethods" })
  authMethod!: `${AuthMethod}`;

  @Field(() => String, {
    nullable: true,
    description: "Only a role of the policy's selfAssignableRoles; defaultRole otherwise",
  })
  role?: string | null;

  @Field(() => String, {
    nullable: true,
    description: "Only a status of the policy's selfAssignableStatuses; defaultStatus otherwise",
  })
  status?: string | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "Also return the refresh token in the body",
  })
  returnRefreshToken?: boolean | null;
}

@InputType({ description: "Either email or phone, as the project policy's authMethods allow" })
export class EndUserLogInInput {
  @Field(() => EmailAddressScalar, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  phone?: string | null;

  @Field(() => String)
  password!: string;

  @Field(() => Boolean, {
    nullable: true,
    description: "Also return the refresh token in the body",
  })
  returnRefreshToken?: boolean | null;
}

@ArgsType()
export class EndUserListArgs extends PageArgs {
  @Field(() => String, {
    nullable: true,
    description: "Part of the email or name, case-insensitive",
  })
  search?: string | null;

  @Field(() => String, { nullable: true, description: "Exactly this status" })
  status?: string | null;

  @Field(() => String, { nullable: true, description: "Exactly this role" })
  role?: string | null;
}
