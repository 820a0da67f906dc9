import { createUnionType, Field, InputType, ObjectType } from "type-graphql";
import { DateTimeScalar, EmailAddressScalar } from "../../graphql/scalars";
import { Session } from "../sessions/sessions.types";
import { User } from "../users/users.types";

@ObjectType({
  description:
    "The access token, for bearer clients; both tokens are also set as httpOnly cookies. " +
    "refreshToken is null unless the input asked for it (native and server clients).",
})
export class Tokens {
  @Field(() => String)
  accessToken!: string;

  @Field(() => DateTimeScalar)
  accessTokenExpiresAt!: Date;

  @Field(() => String, { nullable: true })
  refreshToken!: string | null;
}

@ObjectType()
export class AuthPayload {
  @Field(() => User)
  user!: User;

  @Field(() => Session)
  session!: Session;

  @Field(() => Tokens)
  tokens!: Tokens;
}

@ObjectType({ description: "A second factor is needed: answer it with verifyMfaLogIn" })
export class MfaChallenge {
  @Field(() => String)
  mfaToken!: string;

  @Field(() => DateTimeScalar)
  expiresAt!: Date;
}

export const LogInResult = createUnionType({
  name: "LogInResult",
  types: () => [AuthPayload, MfaChallenge] as const,
  resolveType: (value) => ("mfaToken" in value ? MfaChallenge : AuthPayload),
});

@InputType()
export class SignUpInput {
  @Field(() => String)
  fullName!: string;

  @Field(() => EmailAddressScalar)
  email!: string;

  @Field(() => String, { description: "8 to 128 characters, not the email address" })
  password!: string;

  @Field(() => Boolean, {
    nullable: true,
    description: "Also return the refresh token in the body",
  })
  returnRefreshToken?: boolean | null;
}

@InputType()
export class LogInInput {
  @Field(() => EmailAddressScalar)
  email!: string;

  @Field(() => String)
  password!: string;

  @Field(() => Boolean, {
    nullable: true,
    description: "Also return the refresh token in the body",
  })
  returnRefreshToken?: boolean | null;
}

@InputType()
export class ChangePasswordInput {
  @Field(() => String)
  currentPassword!: string;

  @Field(() => String)
  newPassword!: string;
}
