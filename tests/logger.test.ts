/** What reaches the log of a failed query: never its parameters (tokens, hashes, mail). */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger";

describe("the logger", () => {
  it("drops a failed query's parameters from the error, its message, stack and cause", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString("utf8"));
        done();
      },
    });
    const memory = createLogger("info", sink);
    const cause = Object.assign(new Error("duplicate key"), {
      parameters: ["SECRET-TOKEN-1"],
      args: ["SECRET-TOKEN-2"],
    });
    const error = Object.assign(
      new Error('Failed query: insert into "mail_outbox" values ($1)\nparams: SECRET-TOKEN-3', {
        cause,
      }),
      { params: ["SECRET-TOKEN-4"] },
    );
    memory.error({ err: error }, "Unexpected error");
    const logged = lines.join("");
    expect(logged).toContain("Failed query");
    expect(logged).toContain("duplicate key");
    expect(logged).not.toMatch(/SECRET-TOKEN/);
  });
});
