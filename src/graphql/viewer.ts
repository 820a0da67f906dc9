import { AppError, CommonErrors } from "../errors";
import type { PlatformViewer } from "../modules/users/users.service";
import type { Context } from "./context";

/**
 * `extensions.reason` of an UNAUTHENTICATED answer to a request whose access token has expired
 * (or whose access cookie is gone while its refresh cookie is still there): the client should
 * refresh the session and retry, not show a signed-out screen.
 */
export const ACCESS_TOKEN_EXPIRED = "ACCESS_TOKEN_EXPIRED";

export function unauthenticated(accessExpired: boolean): AppError {
  return accessExpired
    ? new AppError(
        { code: "UNAUTHENTICATED", message: "The access token has expired; refresh the session" },
        { details: { reason: ACCESS_TOKEN_EXPIRED } },
      )
    : new AppError(CommonErrors.UNAUTHENTICATED);
}

/** Shield has already refused anonymous callers; this narrows the type for the resolver. */
export function requireViewer(ctx: Context): PlatformViewer {
  if (!ctx.viewer) throw unauthenticated(ctx.accessExpired);
  return ctx.viewer;
}

/** The signed-in platform user as the actor of a change, with where the request came from. */
export function actorOf(ctx: Context): { userId: string; meta: Context["meta"] } {
  return { userId: requireViewer(ctx).user.id, meta: ctx.meta };
}
