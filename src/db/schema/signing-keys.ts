import { sql } from "drizzle-orm";
import { jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const signingKeyStatus = pgEnum("signing_key_status", ["active", "retiring"]);

/**
 * Access-token signing keys. Exactly one is active (the partial unique index makes two nodes
 * starting at once agree); retiring keys still verify and stay in the JWKS until the tokens
 * they signed have expired. Private keys are sealed with AES-256-GCM under GATEHOUSE_SECRET.
 */
export const signingKeys = pgTable(
  "signing_keys",
  {
    kid: text().primaryKey(),
    alg: text().notNull(),
    status: signingKeyStatus().notNull(),
    publicJwk: jsonb().$type<Record<string, unknown>>().notNull(),
    privateKeySealed: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    retiredAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex("signing_keys_one_active")
      .on(t.status)
      .where(sql`${t.status} = 'active'`),
  ],
);

export type SigningKeyRow = typeof signingKeys.$inferSelect;
