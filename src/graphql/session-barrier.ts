/**
 * Read-your-writes for the viewer cache on this node: a mutation's answer leaves only after the
 * changes it committed (a revocation, a blocked status, a lock) have come back through the
 * session channel, so the client's very next request cannot meet what this node remembered
 * from before. Queries write nothing that matters here and pay nothing; nor do mutations that
 * only start or rotate sessions (sign-up, log-in, refresh), unless sessions were ended meanwhile
 * (reuse detection, a locked account), which endSessions counts.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import { Kind, type OperationDefinitionNode } from "graphql";
import { sessionEndingsSoFar } from "../auth/sessions";
import type { ViewerCache } from "../auth/viewer-cache";

/** Mutations whose writes never change what a cached viewer depends on. */
const SESSION_STARTING = new Set([
  "signUp",
  "logIn",
  "refreshSession",
  "endUserSignUp",
  "endUserLogIn",
  "endUserRefreshSession",
]);

function onlyStartsSessions(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.every(
    (selection) =>
      selection.kind === Kind.FIELD &&
      (SESSION_STARTING.has(selection.name.value) || selection.name.value === "__typename"),
  );
}

export function sessionBarrierPlugin<T extends object>(cache: ViewerCache): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      const endingsAtStart = sessionEndingsSoFar();
      return {
        async willSendResponse({ operation }) {
          if (operation?.operation !== "mutation") return;
          if (onlyStartsSessions(operation) && sessionEndingsSoFar() === endingsAtStart) return;
          await cache.barrier();
        },
      };
    },
  };
}
