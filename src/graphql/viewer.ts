import { AppError, CommonErrors } from "../errors";
import type { PlatformViewer } from "../modules/users/users.service";
import type { Context } from "./context";

/** Shield has already refused anonymous callers; this narrows the type for the resolver. */
export function requireViewer(ctx: Context): PlatformViewer {
  if (!ctx.viewer) throw new AppError(CommonErrors.UNAUTHENTICATED);
  return ctx.viewer;
}
