import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** Keys under which database drivers keep a failed query's parameters (tokens, hashes, mail). */
const PARAMETER_KEYS = ["params", "parameters", "args"];
/** drizzle puts them in the message too ("Failed query: …\nparams: …"), and so in the stack. */
const PARAMS_IN_TEXT = /\nparams: [\s\S]*?(?=\n\s+at |$)/;

function scrub(value: unknown, depth = 0): unknown {
  if (depth > 5 || value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  for (const key of PARAMETER_KEYS) if (key in record) record[key] = "[redacted]";
  for (const key of ["message", "stack"]) {
    if (typeof record[key] === "string") {
      record[key] = (record[key] as string).replace(PARAMS_IN_TEXT, "\nparams: [redacted]");
    }
  }
  if ("cause" in record) record.cause = scrub(record.cause, depth + 1);
  return record;
}

/** JSON on stdout, or on `destination` (tests). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "gatehouse" },
    // Never log credentials, even by accident in a request dump.
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        "*.password",
        "*.refreshToken",
        "*.accessToken",
      ],
      censor: "[redacted]",
    },
    // A failed query's parameters can hold a token, a password hash or a mail body.
    serializers: { err: (error: Error) => scrub(pino.stdSerializers.err(error)) },
  };
  return destination ? pino(options, destination) : pino(options);
}
