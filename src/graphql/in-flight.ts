/**
 * Counts GraphQL operations still running. A client that disconnects mid-request closes its
 * socket, so the HTTP server can report "all closed" while the operation is still writing;
 * shutdown waits for this count before it closes the database under them.
 */
import type { ApolloServerPlugin } from "@apollo/server";

export interface InFlight {
  plugin: ApolloServerPlugin;
  /** Resolves when no operation runs, or after `timeoutMs` (returns how many were left). */
  drained(timeoutMs: number): Promise<number>;
}

export function trackInFlight(): InFlight {
  let running = 0;
  let waiters: (() => void)[] = [];
  const settle = () => {
    running--;
    if (running === 0) {
      for (const wake of waiters) wake();
      waiters = [];
    }
  };
  return {
    plugin: {
      async requestDidStart() {
        running++;
        let done = false;
        return {
          // Called once per request, on success and on error alike.
          async willSendResponse() {
            if (!done) {
              done = true;
              settle();
            }
          },
        };
      },
    },
    async drained(timeoutMs) {
      if (running === 0) return 0;
      await Promise.race([
        new Promise<void>((resolve) => waiters.push(resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
      ]);
      return running;
    },
  };
}
