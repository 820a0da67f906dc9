/** npm run admin -- promote <email> | demote <email> — sets a platform user's role. */
import { createAuditService } from "../modules/audit/audit.service";
import { createUsersService } from "../modules/users/users.service";
import { fail, openForCli } from "./bootstrap";

const [command, email] = process.argv.slice(2);
if ((command !== "promote" && command !== "demote") || !email) {
  fail("Usage: npm run admin -- promote <email>   (or demote <email>)");
}

const { database } = await openForCli();
const users = createUsersService({ db: database.db, audit: createAuditService(database.db) });
const user = await users.setPlatformRole(email, command === "promote" ? "ADMIN" : "USER");
await database.close();
if (!user) fail(`No platform user has the email ${email}. They must sign up first.`);
console.log(`${user.email} is now a platform ${user.platformRole}.`);
