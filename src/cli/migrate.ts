/** npm run db:migrate — applies the committed migrations in drizzle/ (the server also does at start). */
import { openForCli } from "./bootstrap";

const { database } = await openForCli();
console.log(`Migrations applied (${database.kind}).`);
await database.close();
