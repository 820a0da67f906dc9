import { allow } from "graphql-shield";
import { isPlatformUser } from "../../graphql/rules";

export const authRules = {
  Mutation: {
    // Anyone may try to sign up or in; rate limits and the password checks guard these.
    signUp: allow,
    logIn: allow,
    refreshSession: allow,
    logOut: allow,
    changePassword: isPlatformUser,
  },
  // Payload types are only reachable through the mutations above.
  AuthPayload: allow,
  Tokens: allow,
  MfaChallenge: allow,
};
