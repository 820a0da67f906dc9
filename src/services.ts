/** Builds every service once per process from the config and the database. */
import type { Config } from "./config";
import type { Database, DatabaseHandle } from "./db/connection";
import { createAccessTokens, type AccessTokens } from "./auth/access-tokens";
import { createKeyRing, type KeyRing } from "./auth/key-ring";
import { createPasswordHasher, type PasswordHasher } from "./auth/passwords";
import { createRateLimits, type RateLimits } from "./auth/rate-limits";
import { createSealer } from "./auth/seal";
import { createSessionService, type SessionService } from "./auth/sessions";
import { createViewerCache, type ViewerCache } from "./auth/viewer-cache";
import type { Logger } from "./logger";
import { createAuditService, type AuditService } from "./modules/audit/audit.service";
import { createAuthService, type AuthService } from "./modules/auth/auth.service";
import { createUsersService, type UsersService } from "./modules/users/users.service";
import {
  createInvitationsService,
  type InvitationsService,
} from "./modules/invitations/invitations.service";
import {
  createOrganizationsService,
  type OrganizationsService,
} from "./modules/organizations/organizations.service";
import { createProjectsService, type ProjectsService } from "./modules/projects/projects.service";
import {
  createEndUserAuthService,
  type EndUserAuthService,
} from "./modules/end-users/end-user-auth.service";
import { createEndUsersService, type EndUsersService } from "./modules/end-users/end-users.service";
import { createPoliciesService, type PoliciesService } from "./modules/policies/policies.service";
import type { Mailer } from "./mail/mailer";
import { createMailOutbox, type MailOutbox } from "./mail/outbox";
import { createMailWorker, type MailWorker } from "./mail/worker";
import { createAccountFlows, type AccountFlows } from "./modules/accounts/account-flows";
import {
  platformPool as createPlatformPool,
  type AccountPool,
} from "./modules/accounts/account-pool";
import { createSignInFlows } from "./modules/accounts/sign-in-flows";
import type { UserRow } from "./db/schema/index";

export interface Services {
  keyRing: KeyRing;
  accessTokens: AccessTokens;
  passwords: PasswordHasher;
  rateLimits: RateLimits;
  audit: AuditService;
  sessions: SessionService;
  /** The per-request session check, from memory while every change is heard (start it first). */
  viewerCache: ViewerCache;
  users: UsersService;
  auth: AuthService;
  organizations: OrganizationsService;
  invitations: InvitationsService;
  projects: ProjectsService;
  policies: PoliciesService;
  endUserAuth: EndUserAuthService;
  endUsers: EndUsersService;
  mailer: Mailer;
  /** Where features write mail, in their own transaction. */
  mailOutbox: MailOutbox;
  /** Delivers the outbox through `mailer` (createApp starts it, App.stop stops it). */
  mailWorker: MailWorker;
  /** The database, for the account doors that load a project's pool per request. */
  db: Database;
  /** The platform's account pool (each project's is loaded with its policies). */
  platformPool: AccountPool<UserRow>;
  /** Verification, password reset, email change and password change, over any pool. */
  accountFlows: AccountFlows;
  /** The clock every service reads (a test clock in tests). */
  clock: () => Date;
}

/** Clock skew allowed between nodes when deciding that a retired key can stop verifying. */
const KEY_RETIREMENT_MARGIN_SECONDS = 300;

/** The key ring as the config describes it; `npm run keys:rotate` builds the same one. */
export function createConfiguredKeyRing(config: Config, db: Database, now?: () => Date): KeyRing {
  return createKeyRing({
    db,
    sealer: createSealer(config.secret, "signing-keys"),
    algorithm: config.tokens.algorithm,
    retiringWindowSeconds: config.tokens.accessTtlSeconds + KEY_RETIREMENT_MARGIN_SECONDS,
    now,
  });
}

export function createServices(
  config: Config,
  database: DatabaseHandle,
  deps: { mailer: Mailer; logger: Logger; now?: () => Date },
): Services {
  const { mailer, logger, now } = deps;
  const { db } = database;
  const keyRing = createConfiguredKeyRing(config, db, now);
  const accessTokens = createAccessTokens({
    keyRing,
    issuer: config.tokens.issuer,
    ttlSeconds: config.tokens.accessTtlSeconds,
    now,
  });
  const passwords = createPasswordHasher(config.passwords);
  const rateLimits = createRateLimits(config.rateLimits);
  const audit = createAuditService(db, now);
  const sessions = createSessionService({
    db,
    audit,
    now,
    onError: (error) => logger.warn({ err: error }, "Recording session use failed"),
    lifetimes: {
      idleTtlSeconds: config.tokens.refreshIdleTtlSeconds,
      absoluteTtlSeconds: config.tokens.refreshAbsoluteTtlSeconds,
      reuseGraceSeconds: config.tokens.refreshReuseGraceSeconds,
    },
  });
  const viewerCache = createViewerCache({ database, logger, now });
  const users = createUsersService({ db, audit, now });
  const organizations = createOrganizationsService({
    db,
    audit,
    users,
    requireVerifiedEmail: config.accounts.requireVerifiedEmail,
    now,
  });
  // Queued mail carries live links: sealed at rest until it is sent (then blanked).
  const mailSealer = createSealer(config.secret, "mail-outbox");
  const mailWorker = createMailWorker({
    database,
    mailer,
    logger,
    settings: config.mail.delivery,
    sealer: mailSealer,
    now,
  });
  const mailOutbox = createMailOutbox({ worker: mailWorker, sealer: mailSealer, now });
  const platformPool = createPlatformPool({
    appUrl: config.mail.appUrl,
    requireVerifiedEmail: config.accounts.requireVerifiedEmail,
  });
  const accountFlows = createAccountFlows({
    db,
    passwords,
    audit,
    rateLimits,
    outbox: mailOutbox,
    logger,
    now,
  });
  const signIn = createSignInFlows({
    db,
    passwords,
    sessions,
    accessTokens,
    audit,
    rateLimits,
    accountFlows,
    now,
  });
  const auth = createAuthService({ signIn, flows: accountFlows, pool: platformPool });
  const invitations = createInvitationsService({
    db,
    audit,
    mailOutbox,
    rateLimits,
    appUrl: config.mail.appUrl,
    ttlSeconds: config.invitations.ttlSeconds,
    now,
  });
  const projects = createProjectsService({
    db,
    audit,
    now,
    allowInsecureLocalhost: !config.isProduction,
  });
  const policies = createPoliciesService({ db, audit, now });
  const endUserAuth = createEndUserAuthService({
    db,
    audit,
    signIn,
    flows: accountFlows,
    now,
  });
  const endUsers = createEndUsersService({ db, audit, sessions, now });
  return {
    keyRing,
    accessTokens,
    passwords,
    rateLimits,
    audit,
    sessions,
    viewerCache,
    users,
    auth,
    organizations,
    invitations,
    projects,
    policies,
    endUserAuth,
    endUsers,
    mailer,
    mailOutbox,
    mailWorker,
    db,
    platformPool,
    accountFlows,
    clock: now ?? (() => new Date()),
  };
}
