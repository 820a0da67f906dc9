/** npm run keys:rotate — makes a new active signing key; the previous one retires. */
import { createConfiguredKeyRing } from "../services";
import { fail, openForCli } from "./bootstrap";

const [command] = process.argv.slice(2);
if (command !== "rotate") fail("Usage: npm run keys:rotate");

const { config, database } = await openForCli();
const keyRing = createConfiguredKeyRing(config, database.db);
const previous = (await keyRing.signingKey()).kid;
const kid = await keyRing.rotate();
console.log(
  `New active signing key ${kid} (${config.tokens.algorithm}). ${previous} is retiring: it keeps ` +
    `verifying, and stays in the JWKS, until the tokens it signed have expired.`,
);
await database.close();
