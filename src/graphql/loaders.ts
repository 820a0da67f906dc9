/**
 * One set of DataLoaders per request, created in the context for its viewer. Loaders cache
 * for the request; after each mutation the cache is dropped (see clearLoadersAfterMutations),
 * so the fields of a mutation's result and later mutations see what it changed.
 */
import { inArray } from "drizzle-orm";
import type { Executor } from "../db/connection";
import { users, type UserRow } from "../db/schema/index";
import { createOrganizationLoaders } from "../modules/organizations/organizations.loaders";
import { createProjectLoaders } from "../modules/projects/projects.loaders";
import { createByIdLoader } from "./page-loader";

export function createLoaders(db: Executor, viewerId: string | null) {
  const loaders = {
    users: createByIdLoader<UserRow>((ids) =>
      db
        .select()
        .from(users)
        .where(inArray(users.id, [...ids])),
    ),
    organizations: createOrganizationLoaders(db, viewerId),
    projects: createProjectLoaders(db, viewerId),
  };
  return {
    ...loaders,
    clearAll() {
      loaders.users.clearAll();
      for (const group of [loaders.organizations, loaders.projects]) {
        for (const loader of Object.values(group)) loader.clearAll();
      }
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
