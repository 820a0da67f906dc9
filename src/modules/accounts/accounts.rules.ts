import { allow } from "graphql-shield";
import { isPlatformUser } from "../../graphql/rules";
import { isEndUserOfProject } from "../end-users/end-users.rules";

export const accountsRules = {
  Mutation: {
    requestEmailVerification: isPlatformUser,
    requestEmailChange: isPlatformUser,
    // The mailed token is the credential; rate limits guard the rest.
    verifyEmail: allow,
    requestPasswordReset: allow,
    resetPassword: allow,
    confirmEmailChange: allow,
    endUserRequestEmailVerification: isEndUserOfProject,
    endUserRequestEmailChange: isEndUserOfProject,
    endUserVerifyEmail: allow,
    endUserRequestPasswordReset: allow,
    endUserResetPassword: allow,
    endUserConfirmEmailChange: allow,
  },
};
