/** True when `error` (or its cause, as Drizzle wraps driver errors) is a unique violation. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  for (
    let e: unknown = error;
    e instanceof Error || isRecord(e);
    e = (e as { cause?: unknown }).cause
  ) {
    const record = e as { code?: unknown; constraint?: unknown; constraint_name?: unknown };
    if (record.code === "23505") {
      const name = record.constraint ?? record.constraint_name;
      return constraint === undefined || name === constraint;
    }
    if (!(e as { cause?: unknown }).cause) break;
  }
  return false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
