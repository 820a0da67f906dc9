import { ArgsType, Field, Int, ObjectType, registerEnumType } from "type-graphql";
import { DateTimeScalar, UUIDScalar } from "../../graphql/scalars";

export enum AuthType {
  PASSWORD = "PASSWORD",
  OAUTH = "OAUTH",
  TWO_FACTOR = "TWO_FACTOR",
}
registerEnumType(AuthType, {
  name: "AuthType",
  description:
    "How end users prove who they are. TWO_FACTOR policies can be created now; the second " +
    "factor is enforced once MFA exists (until then they log in with a password alone).",
});

export enum AuthMethod {
  EMAIL = "EMAIL",
  PHONE = "PHONE",
  GOOGLE = "GOOGLE",
  GITHUB = "GITHUB",
}
registerEnumType(AuthMethod, {
  name: "AuthMethod",
  description: "An identifier end users sign up and log in with",
});

@ObjectType({ description: "The password rules of a project's end users" })
export class PasswordPolicy {
  @Field(() => UUIDScalar)
  id!: string;

  @Field(() => Int, { description: "At least 8" })
  minLength!: number;

  @Field(() => Int, { description: "From 64 to 128" })
  maxLength!: number;

  @Field(() => Boolean)
  requireNumbers!: boolean;

  @Field(() => Boolean)
  requireUppercase!: boolean;

  @Field(() => Boolean, {
    description: "Punctuation, a symbol (emoji included) or a space",
  })
  requireSpecialChars!: boolean;

  @Field(() => Boolean, {
    description:
      "Refuse the most common passwords (an offline list, also with digits or symbols added at " +
      "their ends) and passwords built from the end user's email or name",
  })
  rejectCommonPasswords!: boolean;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;

  projectId!: string;
}

@ObjectType({ description: "How a project's end users sign up and log in" })
export class ProjectPolicy {
  @Field(() => UUIDScalar)
  id!: string;

  @Field(() => Boolean, {
    description:
      "Whether the application requires a signed-in end user; Gatehouse keeps it for the " +
      "application to read",
  })
  authRequired!: boolean;

  @Field(() => AuthType)
  authType!: `${AuthType}`;

  @Field(() => [AuthMethod], {
    description: "The identifiers sign-up and log-in accept (EMAIL, PHONE: password sign-in)",
  })
  authMethods!: `${AuthMethod}`[];

  @Field(() => Boolean, { description: "Every end user must give a phone number" })
  phoneRequired!: boolean;

  @Field(() => [String], { description: "Allowed end-user roles; empty = no restriction" })
  roles!: string[];

  @Field(() => [String], { description: "Allowed end-user statuses; empty = no restriction" })
  statuses!: string[];

  @Field(() => [String], {
    description: "Roles end users may choose for themselves at sign-up (empty: none)",
  })
  selfAssignableRoles!: string[];

  @Field(() => [String], {
    description: "Statuses end users may choose for themselves at sign-up (empty: none)",
  })
  selfAssignableStatuses!: string[];

  @Field(() => [String], {
    description:
      "Statuses that cannot log in; giving one to an end user ends their sessions at once",
  })
  blockedStatuses!: string[];

  @Field(() => String, { nullable: true })
  defaultRole!: string | null;

  @Field(() => String, { nullable: true })
  defaultStatus!: string | null;

  @Field(() => Boolean, {
    description: "End users must verify their email address before they can log in",
  })
  requireVerifiedEmail!: boolean;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;

  projectId!: string;
  passwordPolicyId!: string;
}

@ArgsType()
export class PasswordPolicyArgs {
  @Field(() => UUIDScalar)
  projectId!: string;

  @Field(() => Int, { nullable: true, description: "8 to 128; 8 when created without it" })
  minLength?: number | null;

  @Field(() => Int, { nullable: true, description: "64 to 128; 128 when created without it" })
  maxLength?: number | null;

  @Field(() => Boolean, { nullable: true })
  requireNumbers?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  requireUppercase?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  requireSpecialChars?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: "true when created without it" })
  rejectCommonPasswords?: boolean | null;
}

@ArgsType()
export class ProjectPolicyArgs {
  @Field(() => UUIDScalar)
  projectId!: string;

  @Field(() => Boolean, { nullable: true, description: "true when created without it" })
  authRequired?: boolean | null;

  @Field(() => AuthType, { nullable: true, description: "PASSWORD when created without it" })
  authType?: `${AuthType}` | null;

  @Field(() => [AuthMethod], { nullable: true, description: "[EMAIL] when created without it" })
  authMethods?: `${AuthMethod}`[] | null;

  @Field(() => Boolean, { nullable: true })
  phoneRequired?: boolean | null;

  @Field(() => [String], { nullable: true })
  roles?: string[] | null;

  @Field(() => [String], { nullable: true })
  statuses?: string[] | null;

  @Field(() => [String], { nullable: true })
  selfAssignableRoles?: string[] | null;

  @Field(() => [String], { nullable: true })
  selfAssignableStatuses?: string[] | null;

  @Field(() => [String], {
    nullable: true,
    description: '["blocked", "suspended"] when created without it',
  })
  blockedStatuses?: string[] | null;

  @Field(() => String, { nullable: true, description: "An empty string clears it" })
  defaultRole?: string | null;

  @Field(() => String, { nullable: true, description: "An empty string clears it" })
  defaultStatus?: string | null;

  @Field(() => Boolean, { nullable: true, description: "false when created without it" })
  requireVerifiedEmail?: boolean | null;
}
