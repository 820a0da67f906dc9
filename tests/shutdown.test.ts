import { afterAll, beforeAll, expect, it } from "vitest";
import { LogInDocument } from "./gql/graphql";
import { errorCodes } from "./helpers/client";
import { signUp } from "./helpers/flows";
import { PASSWORD, startInstance, type Instance } from "./helpers/instance";

let gh: Instance;
beforeAll(async () => {
  gh = await startInstance({ isolated: true, env: { PASSWORD_HASH_CONCURRENCY: "1" } });
});
afterAll(() => gh?.close().catch(() => {}));

it("stopping waits for running operations, so closing the database next breaks none of them", async () => {
  const { email } = await signUp(gh.client());
  const running = Array.from({ length: 4 }, () =>
    gh.client().request(LogInDocument, { input: { email, password: PASSWORD } }),
  );
  // Four hashes queued one at a time: tens of milliseconds of work are under way.
  await new Promise((r) => setTimeout(r, 15));
  // What main.ts does on SIGTERM once the HTTP server has stopped accepting.
  await gh.app.stop();
  await gh.database.close();
  const results = await Promise.all(running);
  expect(results.map((r) => errorCodes(r))).toEqual([[], [], [], []]);
});
