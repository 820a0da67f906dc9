import { Field, InputType, ObjectType, registerEnumType } from "type-graphql";
import { DateTimeScalar, EmailAddressScalar, UUIDScalar } from "../../graphql/scalars";

export enum PlatformRole {
  USER = "USER",
  ADMIN = "ADMIN",
}
registerEnumType(PlatformRole, {
  name: "PlatformRole",
  description: "A platform user's role across the whole server",
});

@ObjectType({ description: "A platform user: a member of the operator's team" })
export class User {
  @Field(() => UUIDScalar)
  id!: string;

  @Field(() => EmailAddressScalar)
  email!: string;

  @Field(() => Boolean)
  emailVerified!: boolean;

  @Field(() => String)
  fullName!: string;

  @Field(() => String, { nullable: true })
  phone!: string | null;

  @Field(() => PlatformRole)
  platformRole!: `${PlatformRole}`;

  @Field(() => Boolean)
  mfaEnabled!: boolean;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@InputType()
export class UpdateProfileInput {
  @Field(() => String, { nullable: true, description: "1 to 200 characters" })
  fullName?: string | null;

  @Field(() => String, { nullable: true, description: "E.164, like +14155550123; empty clears it" })
  phone?: string | null;
}
