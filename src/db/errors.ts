/** True when `error` (or its cause, as Drizzle wraps driver errors) is a unique violation. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  for (let e: unknown = error; isRecord(e); e = e.cause) {
    if (e.code === "23505") {
      const name = e.constraint ?? e.constraint_name;
      return constraint === undefined || name === constraint;
    }
  }
  return false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
