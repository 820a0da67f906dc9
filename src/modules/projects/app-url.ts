/**
 * A project's `appUrl`: its own app, where links in its end users' mail point
 * (`<appUrl>/verify-email?token=…`). An absolute https URL, with an optional path prefix, no
 * credentials, query or fragment; stored normalised (lowercase host, default port dropped) and
 * without a trailing slash. `http://localhost[:port]` and `http://127.0.0.1[:port]` are allowed
 * too outside production, for an app under development.
 */
import type { FieldProblem } from "../../errors";

export const APP_URL_MAX_LENGTH = 2048;

export interface AppUrlOptions {
  /** http://localhost and http://127.0.0.1 (any port); never in production. */
  allowInsecureLocalhost: boolean;
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1"]);
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_CHARACTERS = /[\s\\\u0000-\u001f\u007f-\u009f]/u;

/**
 * The stored form of `value`, null to clear it (`""`), or why it is refused. The URL parser is
 * lenient (it drops tabs and newlines, reads `\` as `/`, fills in a missing `//`), so the raw text
 * is checked first: what is stored is what was meant.
 */
export function normaliseAppUrl(
  field: string,
  value: string,
  options: AppUrlOptions,
): { value: string | null; problem: null } | { value?: undefined; problem: FieldProblem } {
  const trimmed = value.trim();
  if (trimmed === "") return { value: null, problem: null };
  const refuse = (message: string) => ({ problem: { field, message } });
  const expected = options.allowInsecureLocalhost
    ? "must be an https URL (or http://localhost or http://127.0.0.1), like https://app.example.com"
    : "must be an https URL, like https://app.example.com";

  if (trimmed.length > APP_URL_MAX_LENGTH) {
    return refuse(`must be at most ${APP_URL_MAX_LENGTH} characters`);
  }
  if (FORBIDDEN_CHARACTERS.test(trimmed)) {
    return refuse("must not contain spaces, backslashes or control characters");
  }
  if (!/^https?:\/\//i.test(trimmed)) return refuse(expected);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return refuse(expected);
  }
  const localhost = url.protocol === "http:" && LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== "https:" && !(localhost && options.allowInsecureLocalhost)) {
    return refuse(expected);
  }
  if (url.hostname === "") return refuse(expected);
  // "https://@host" parses with no user name: the "@" in the authority is refused all the same.
  const authority = trimmed.slice(trimmed.indexOf("//") + 2).split(/[/?#]/)[0] ?? "";
  if (url.username !== "" || url.password !== "" || authority.includes("@")) {
    return refuse("must not contain a user name or password");
  }
  if (trimmed.includes("#")) return refuse("must not have a fragment (#…)");
  if (trimmed.includes("?")) return refuse("must not have a query string (?…)");
  const path = url.pathname.replace(/\/+$/, "");
  return { value: `${url.protocol}//${url.host}${path}`, problem: null };
}

/**
 * Where links in the project's end-user mail start (no trailing slash), or null when the project
 * has no app URL: mail that needs a link cannot be sent for it then.
 */
export function projectLinkBase(project: { appUrl: string | null }): string | null {
  const base = project.appUrl?.trim().replace(/\/+$/, "") ?? "";
  return base === "" ? null : base;
}
