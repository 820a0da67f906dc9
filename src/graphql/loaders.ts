/**
 * One set of DataLoaders per request, created in the context for its viewer. Loaders cache
 * for the request; after each mutation the cache is dropped (see applyPermissions in schema.ts),
 * so the fields of a mutation's result and later mutations see what it changed.
 */
import { anyId } from "../db/any-id";
import type { Executor } from "../db/connection";
import { users, type UserRow } from "../db/schema/index";
import { createEndUserLoaders } from "../modules/end-users/end-users.loaders";
import { createOrganizationLoaders } from "../modules/organizations/organizations.loaders";
import { createPolicyLoaders } from "../modules/policies/policies.loaders";
import { createProjectLoaders } from "../modules/projects/projects.loaders";
import { createByIdLoader, type LoadUsersOf } from "./page-loader";

export function createLoaders(db: Executor, viewerId: string | null) {
  const fetchUsers = (ids: readonly string[]) =>
    db.select().from(users).where(anyId(users.id, ids));
  const usersLoader = createByIdLoader<UserRow>(fetchUsers);

  // The users of a page of memberships come with the page, in one statement per batch whatever
  // the cache holds: a nested query's statement count then depends on its shape alone, never
  // on which users an earlier level happened to load.
  const loadUsersOf: LoadUsersOf = async (pages) => {
    const ids = [...new Set([...pages.values()].flatMap((p) => p.rows.map((r) => r.userId)))];
    if (ids.length > 0) {
      for (const user of await fetchUsers(ids)) usersLoader.clear(user.id).prime(user.id, user);
    }
    return pages;
  };

  const loaders = {
    users: usersLoader,
    organizations: createOrganizationLoaders(db, viewerId, loadUsersOf),
    projects: createProjectLoaders(db, viewerId, loadUsersOf),
    policies: createPolicyLoaders(db),
    endUsers: createEndUserLoaders(db),
  };
  return {
    ...loaders,
    clearAll() {
      loaders.users.clearAll();
      const groups = [loaders.organizations, loaders.projects, loaders.policies, loaders.endUsers];
      for (const group of groups) {
        for (const loader of Object.values(group)) loader.clearAll();
      }
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
