/** Per-request loaders for end users: by id, and pages of each project's pool. */
import { and, eq, ilike, or, type SQL } from "drizzle-orm";
import { anyId } from "../../db/any-id";
import type { Executor } from "../../db/connection";
import { keysetPagesByParent } from "../../db/keyset";
import { endUsers, type EndUserRow } from "../../db/schema/index";
import { invalidInput, presentProblems } from "../../errors";
import { checkLabel, checkName } from "../../validation";
import { createByIdLoader, createPageLoader } from "../../graphql/page-loader";

export interface EndUserFilter {
  search: string | null;
  status: string | null;
  role: string | null;
}

/** A search term is matched by scanning the project's end users, so it is kept short. */
export const SEARCH_MAX_LENGTH = 100;

/** The list arguments as a filter, or BAD_USER_INPUT before any query runs. */
export function endUserFilter(args: {
  search?: string | null;
  status?: string | null;
  role?: string | null;
}): EndUserFilter {
  const search = args.search?.trim() || null;
  const problems = presentProblems([
    search === null ? null : checkName("search", search, SEARCH_MAX_LENGTH),
    args.status == null ? null : checkLabel("status", args.status),
    args.role == null ? null : checkLabel("role", args.role),
  ]);
  if (problems.length > 0) throw invalidInput(problems);
  return { search, status: args.status ?? null, role: args.role ?? null };
}

/** `term` as a LIKE pattern that matches it literally anywhere (%, _ and \ escaped). */
function containing(term: string): string {
  return `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function filterCondition(filter: EndUserFilter): SQL | undefined {
  const conditions: (SQL | undefined)[] = [];
  if (filter.search) {
    const pattern = containing(filter.search);
    conditions.push(or(ilike(endUsers.email, pattern), ilike(endUsers.fullName, pattern)));
  }
  if (filter.status !== null) conditions.push(eq(endUsers.status, filter.status));
  if (filter.role !== null) conditions.push(eq(endUsers.role, filter.role));
  return and(...conditions);
}

export function createEndUserLoaders(db: Executor) {
  return {
    byId: createByIdLoader<EndUserRow>((ids) =>
      db.select().from(endUsers).where(anyId(endUsers.id, ids)),
    ),
    /** Each project's end users, oldest first, narrowed by the filter. */
    projectPage: createPageLoader<EndUserRow, EndUserFilter>((projectIds, page, filter) =>
      keysetPagesByParent<EndUserRow>(
        db,
        { table: endUsers, parent: endUsers.projectId, at: endUsers.createdAt, id: endUsers.id },
        projectIds,
        filterCondition(filter),
        page,
        (row) => row.projectId,
      ),
    ),
  };
}
