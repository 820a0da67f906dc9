import { allow } from "graphql-shield";
import { isPlatformUser } from "../../graphql/rules";

export const sessionsRules = {
  Mutation: { revokeSession: isPlatformUser, revokeAllSessions: isPlatformUser },
  // Sessions are only reachable through User.sessions (self only) and auth payloads.
  Session: allow,
  SessionConnection: allow,
  SessionEdge: allow,
};
