/**
 * helmet's security headers, worked out once at start-up and then copied onto each response:
 * with no per-request options (no nonces), helmet's dozen middlewares would compute the same
 * headers on every request.
 */
import type { RequestHandler } from "express";
import helmet, { type HelmetOptions } from "helmet";

export function staticSecurityHeaders(options?: HelmetOptions): RequestHandler {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.push([name, String(value)]);
    },
    removeHeader() {},
  };
  // helmet calls `next` synchronously once it has set every header.
  let done = false;
  helmet(options)({} as never, recorder as never, (error?: unknown) => {
    if (error) throw error;
    done = true;
  });
  if (!done) throw new Error("helmet did not finish synchronously");
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
