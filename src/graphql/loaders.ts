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
  // Each group is made on first use: most requests (`me`, log-in) touch none of them.
  let usersLoader: ReturnType<typeof createByIdLoader<UserRow>> | undefined;
  const usersById = () => (usersLoader ??= createByIdLoader<UserRow>(fetchUsers));

  // The users of a page of memberships come with the page, in one statement per batch whatever
  // the cache holds: a nested query's statement count then depends on its shape alone, never
  // on which users an earlier level happened to load.
  const loadUsersOf: LoadUsersOf = async (pages) => {
    const ids = [...new Set([...pages.values()].flatMap((p) => p.rows.map((r) => r.userId)))];
    if (ids.length > 0) {
      const loader = usersById();
      for (const user of await fetchUsers(ids)) loader.clear(user.id).prime(user.id, user);
    }
    return pages;
  };

  let organizations: ReturnType<typeof createOrganizationLoaders> | undefined;
  let projects: ReturnType<typeof createProjectLoaders> | undefined;
  let policies: ReturnType<typeof createPolicyLoaders> | undefined;
  let endUsers: ReturnType<typeof createEndUserLoaders> | undefined;
  return {
    get users() {
      return usersById();
    },
    get organizations() {
      return (organizations ??= createOrganizationLoaders(db, viewerId, loadUsersOf));
    },
    get projects() {
      return (projects ??= createProjectLoaders(db, viewerId, loadUsersOf));
    },
    get policies() {
      return (policies ??= createPolicyLoaders(db));
    },
    get endUsers() {
      return (endUsers ??= createEndUserLoaders(db));
    },
    clearAll() {
      usersLoader?.clearAll();
      for (const group of [organizations, projects, policies, endUsers]) {
        for (const loader of Object.values(group ?? {})) loader.clearAll();
      }
    },
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
