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
  // Know when all four log-ins are inside the server (at their password check): a fixed delay
  // was not always long enough for them to arrive on a loaded machine.
  const hasher = gh.app.services.passwords;
  const verify = hasher.verify.bind(hasher);
  let arrived = 0;
  let allArrived: () => void = () => {};
  const inside = new Promise<void>((resolve) => (allArrived = resolve));
  hasher.verify = (stored, password) => {
    if (++arrived === 4) allArrived();
    return verify(stored, password);
  };
  const running = Array.from({ length: 4 }, () =>
    gh.client().request(LogInDocument, { input: { email, password: PASSWORD } }),
  );
  // Four hashes queued one at a time: tens of milliseconds of work are under way.
  await inside;
  // What main.ts does on SIGTERM once the HTTP server has stopped accepting.
  await gh.app.stop();
  await gh.database.close();
  const results = await Promise.all(running);
  expect(results.map((r) => errorCodes(r))).toEqual([[], [], [], []]);
});
