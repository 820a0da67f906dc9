/**
 * Platform-user authentication: the platform pool's door onto the account flows (sign-up,
 * log-in, refresh, log-out, password change in src/modules/accounts/). What is the platform's
 * own is here: which sign-up input is valid, and how a user row is written and re-read.
 * Returns sessions and tokens; how they reach the client (body, cookies) is the resolver's job.
 */
import { eq } from "drizzle-orm";
import type { RequestMeta } from "../../audit/audit-log";
import { AuditActions } from "../../audit/audit-log";
import type { IssuedAccessToken } from "../../auth/access-tokens";
import { users, type SessionRow, type UserRow } from "../../db/schema/index";
import { presentProblems } from "../../errors";
import {
  checkEmail,
  checkFullName,
  checkPasswordLength,
  checkPlatformPassword,
} from "../../validation";
import type { AccountFlows } from "../accounts/account-flows";
import type { AccountPool } from "../accounts/account-pool";
import type { SignedIn, SignInFlows } from "../accounts/sign-in-flows";
import { AuthErrors } from "./auth.errors";

export interface AuthResult {
  user: UserRow;
  session: SessionRow;
  accessToken: IssuedAccessToken;
  refreshToken: string;
  refreshExpiresAt: Date;
}

export interface SignUpInput {
  fullName: string;
  email: string;
  password: string;
}

export interface AuthService {
  signUp(input: SignUpInput, meta: RequestMeta): Promise<AuthResult>;
  logIn(input: { email: string; password: string }, meta: RequestMeta): Promise<AuthResult>;
  refresh(refreshToken: string, meta: RequestMeta): Promise<AuthResult>;
  /** Ends one session; false when there was none to end. */
  logOut(sessionId: string, userId: string, meta: RequestMeta): Promise<boolean>;
  changePassword(
    viewer: { user: UserRow; session: SessionRow },
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void>;
}

const asResult = ({ account, ...rest }: SignedIn<UserRow>): AuthResult => ({
  user: account,
  ...rest,
});

export function createAuthService(deps: {
  signIn: SignInFlows;
  flows: AccountFlows;
  pool: AccountPool<UserRow>;
}): AuthService {
  const { signIn, flows, pool } = deps;

  return {
    async signUp(input, meta) {
      const email = input.email.trim();
      const signedIn = await signIn.signUp(
        pool,
        {
          password: input.password,
          check: async () =>
            presentProblems([
              checkFullName("fullName", input.fullName),
              checkEmail("email", email),
              ...checkPlatformPassword("password", input.password, email, input.fullName),
            ]),
          async insert(tx, passwordHash) {
            const [user] = await tx
              .insert(users)
              .values({ email, fullName: input.fullName.trim(), passwordHash })
              .returning();
            if (!user) throw new Error("User insert returned nothing");
            return user;
          },
          action: AuditActions.USER_SIGNED_UP,
        },
        meta,
      );
      return asResult(signedIn);
    },

    async logIn(input, meta) {
      const signedIn = await signIn.logIn(
        pool,
        {
          // Oversized input says nothing about any account: refuse it before any work.
          problems: presentProblems([
            checkEmail("email", input.email),
            checkPasswordLength("password", input.password),
          ]),
          password: input.password,
          identifier: { field: "email", value: input.email },
          find: (executor) => pool.findByEmail(executor, input.email),
          async lockForLogIn(tx, id) {
            const account = await pool.lock(tx, id);
            return account ? { account, refusal: pool.refusal(account) } : null;
          },
          async recordLogIn(tx, account, rehash, at) {
            if (!rehash) return account;
            const [rehashed] = await tx
              .update(users)
              .set({ passwordHash: rehash, updatedAt: at })
              .where(eq(users.id, account.id))
              .returning();
            return rehashed ?? account;
          },
          actions: {
            succeeded: AuditActions.USER_LOGIN_SUCCEEDED,
            failed: AuditActions.USER_LOGIN_FAILED,
          },
          invalidCredentials: AuthErrors.INVALID_CREDENTIALS,
        },
        meta,
      );
      return asResult(signedIn);
    },

    async refresh(refreshToken, meta) {
      return asResult(
        await signIn.refresh(pool, refreshToken, meta, AuthErrors.INVALID_CREDENTIALS),
      );
    },

    logOut: (sessionId, userId, meta) => signIn.logOut(pool, { id: sessionId }, userId, meta),

    changePassword: (viewer, input, meta) =>
      flows.changePassword(pool, { account: viewer.user, session: viewer.session }, input, meta),
  };
}
