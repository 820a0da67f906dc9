/** npm run keys:rotate — makes a new active signing key; the previous one retires. */
import { createKeyRing } from "../auth/key-ring";
import { createSealer } from "../auth/seal";
import { fail, openForCli } from "./bootstrap";

const [command] = process.argv.slice(2);
if (command !== "rotate") fail("Usage: npm run keys:rotate");

const { config, database } = await openForCli();
const keyRing = createKeyRing({
  db: database.db,
  sealer: createSealer(config.secret, "signing-keys"),
  algorithm: config.tokens.algorithm,
  retiringWindowSeconds: config.tokens.accessTtlSeconds + 300,
});
const previous = (await keyRing.signingKey()).kid;
const kid = await keyRing.rotate();
console.log(
  `New active signing key ${kid} (${config.tokens.algorithm}). ${previous} is retiring: it keeps ` +
    `verifying, and stays in the JWKS, until the tokens it signed have expired.`,
);
await database.close();
