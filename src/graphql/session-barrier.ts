/**
 * Read-your-writes for the viewer cache on this node: a mutation's answer leaves only after the
 * changes it committed (a revocation, a blocked status, a lock) have come back through the
 * session channel, so the client's very next request cannot meet what this node remembered
 * from before. Queries write nothing that matters here and pay nothing.
 */
import type { ApolloServerPlugin } from "@apollo/server";
import type { ViewerCache } from "../auth/viewer-cache";

export function sessionBarrierPlugin<T extends object>(cache: ViewerCache): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation }) {
          if (operation?.operation === "mutation") await cache.barrier();
        },
      };
    },
  };
}
