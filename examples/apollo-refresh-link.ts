/**
 * An Apollo Client 4 link for Gatehouse's browser sessions (httpOnly cookies). When an answer
 * says UNAUTHENTICATED with `extensions.reason: "ACCESS_TOKEN_EXPIRED"`, it refreshes the session
 * once — one refresh in flight for every request that failed at the same time — and retries
 * each of them once. When the refresh is refused (the session is over), it calls `onSignedOut`
 * and passes the original error on. Copy this file into your app; it needs only
 * @apollo/client 4 and rxjs (Apollo Client's own dependency).
 *
 *   const link = ApolloLink.from([
 *     refreshLink({ refresh: cookieRefresh(GATEHOUSE), onSignedOut: () => client.clearStore() }),
 *     new HttpLink({ uri: GATEHOUSE, credentials: "include", headers: CSRF_HEADER }),
 *   ]);
 */
import { ApolloLink, CombinedGraphQLErrors } from "@apollo/client";
import { ErrorLink } from "@apollo/client/link/error";
import { from, switchMap, throwError } from "rxjs";

/** Any non-simple header passes Apollo Server's CSRF prevention; this one says why it is there. */
export const CSRF_HEADER = { "apollo-require-preflight": "true" } as const;

export interface RefreshLinkOptions {
  /** Refreshes the session: true when it worked, false when it was refused (signed out).
   * Throw for a failure worth retrying later (offline): the request then fails as it is. */
  refresh: () => Promise<boolean>;
  /** Called once per refused refresh, e.g. to `client.clearStore()` and show the log-in page. */
  onSignedOut: () => void;
}

const EXPIRED = "ACCESS_TOKEN_EXPIRED";

function saysExpired(error: unknown): boolean {
  return (
    CombinedGraphQLErrors.is(error) &&
    error.errors.some(
      (e) => e.extensions?.code === "UNAUTHENTICATED" && e.extensions.reason === EXPIRED,
    )
  );
}

export function refreshLink({ refresh, onSignedOut }: RefreshLinkOptions): ApolloLink {
  // Which credentials a request went out with: a request that failed with credentials an
  // earlier refresh has already replaced just retries, it does not refresh again.
  let generation = 0;
  let inFlight: Promise<boolean> | null = null;

  const refreshOnce = (): Promise<boolean> => {
    inFlight ??= refresh()
      .then((ok) => {
        if (ok) generation += 1;
        // After the requests waiting on this refresh have failed: a clearStore() there would
        // otherwise cut them off with "store reset while query was in flight".
        else setTimeout(onSignedOut, 0);
        return ok;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };

  const retryOnExpiry = new ErrorLink(({ error, operation, forward }) => {
    const context = operation.getContext();
    if (!saysExpired(error) || context.gatehouseRetried) return;
    const sentWith = context.gatehouseGeneration as number;
    const renewed = sentWith < generation ? Promise.resolve(true) : refreshOnce();
    return from(renewed).pipe(
      switchMap((ok) => {
        if (!ok) return throwError(() => error);
        operation.setContext({ gatehouseRetried: true });
        return forward(operation);
      }),
    );
  });

  const stamp = new ApolloLink((operation, forward) => {
    operation.setContext({ gatehouseGeneration: generation });
    return forward(operation);
  });

  return ApolloLink.from([retryOnExpiry, stamp]);
}

/**
 * A `refresh` for cookie sessions: posts `refreshSession` (or `endUserRefreshSession` for a
 * project's end users) with the refresh cookie. The answer's tokens are not selected, so the
 * page never holds one.
 */
export function cookieRefresh(uri: string, projectId?: string): () => Promise<boolean> {
  const query = projectId
    ? "mutation Refresh($projectId: UUID!) { endUserRefreshSession(projectId: $projectId) { session { id } } }"
    : "mutation Refresh { refreshSession { session { id } } }";
  return async () => {
    const response = await fetch(uri, {
      method: "POST",
      credentials: "include",
      headers: { "content-type": "application/json", ...CSRF_HEADER },
      body: JSON.stringify({ query, variables: projectId ? { projectId } : {} }),
    });
    const body = (await response.json()) as {
      data?: unknown;
      errors?: { extensions?: { code?: string } }[];
    };
    const codes = (body.errors ?? []).map((e) => e.extensions?.code);
    if (codes.includes("UNAUTHENTICATED")) return false;
    if (codes.length > 0 || !body.data) throw new Error(`Refresh failed: ${codes.join(", ")}`);
    return true;
  };
}
