export * from "./users";
export * from "./sessions";
export * from "./signing-keys";
export * from "./audit-events";
export * from "./tenancy";
export * from "./end-users";
export * from "./account-tokens";
export * from "./mail-outbox";
