import { AppError, CommonErrors } from "../errors";
import type { PlatformViewer } from "../modules/users/users.service";
import type { Context } from "./context";

/** Shield has already refused anonymous callers; this narrows the type for the resolver. */
export function requireViewer(ctx: Context): PlatformViewer {
  if (!ctx.viewer) throw new AppError(CommonErrors.UNAUTHENTICATED);
  return ctx.viewer;
}

/** The signed-in platform user as the actor of a change, with where the request came from. */
export function actorOf(ctx: Context): { userId: string; meta: Context["meta"] } {
  return { userId: requireViewer(ctx).user.id, meta: ctx.meta };
}
