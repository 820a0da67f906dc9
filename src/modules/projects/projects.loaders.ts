/** Per-request batch loaders for projects, the viewer's access to them, and their members. */
import DataLoader from "dataloader";
import { anyId } from "../../db/any-id";
import { and, eq, exists, inArray, or, sql } from "drizzle-orm";
import type { Executor } from "../../db/connection";
import { keysetPagesByParent } from "../../db/keyset";
import {
  organizationMembers,
  projectMembers,
  projects,
  type OrganizationMemberRow,
  type ProjectMemberRow,
  type ProjectRow,
} from "../../db/schema/index";

import { createPageLoader, type LoadUsersOf } from "../../graphql/page-loader";

const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** A project with the viewer's memberships that decide what they may do with it. */
export interface ProjectAccess {
  project: ProjectRow;
  organizationMembership: OrganizationMemberRow | null;
  projectMembership: ProjectMemberRow | null;
}

export function createProjectLoaders(
  db: Executor,
  viewerId: string | null,
  loadUsersOf: LoadUsersOf,
) {
  // Shield refuses anonymous callers before any of this runs; should one get here, the nil UUID
  // matches no membership, so it sees nothing.
  const viewer = viewerId ?? NIL_UUID;
  return {
    access: new DataLoader<string, ProjectAccess | null>(async (ids) => {
      const rows = await db
        .select({
          project: projects,
          organizationMembership: organizationMembers,
          projectMembership: projectMembers,
        })
        .from(projects)
        .leftJoin(
          organizationMembers,
          and(
            eq(organizationMembers.organizationId, projects.organizationId),
            eq(organizationMembers.userId, viewer),
          ),
        )
        .leftJoin(
          projectMembers,
          and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, viewer)),
        )
        .where(anyId(projects.id, ids));
      const byId = new Map(rows.map((row) => [row.project.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),

    /**
     * The projects of each organization that the viewer may see: all of them for its active
     * owners and admins, otherwise those where the viewer holds an active project role.
     */
    organizationProjectsPage: createPageLoader<ProjectRow>((ids, page) =>
      keysetPagesByParent<ProjectRow>(
        db,
        {
          table: projects,
          parent: projects.organizationId,
          at: projects.createdAt,
          id: projects.id,
        },
        ids,
        or(
          exists(
            db
              .select({ one: sql`1` })
              .from(organizationMembers)
              .where(
                and(
                  eq(organizationMembers.organizationId, projects.organizationId),
                  eq(organizationMembers.userId, viewer),
                  eq(organizationMembers.status, "ACTIVE"),
                  inArray(organizationMembers.role, ["OWNER", "ADMIN"]),
                ),
              ),
          ),
          exists(
            db
              .select({ one: sql`1` })
              .from(projectMembers)
              .where(
                and(
                  eq(projectMembers.projectId, projects.id),
                  eq(projectMembers.userId, viewer),
                  eq(projectMembers.status, "ACTIVE"),
                ),
              ),
          ),
        ),
        page,
        (row) => row.organizationId,
      ),
    ),

    membersPage: createPageLoader<ProjectMemberRow, { withUsers: boolean }>(
      async (ids, page, filter) => {
        const pages = await keysetPagesByParent<ProjectMemberRow>(
          db,
          {
            table: projectMembers,
            parent: projectMembers.projectId,
            at: projectMembers.createdAt,
            id: projectMembers.id,
          },
          ids,
          undefined,
          page,
          (row) => row.projectId,
        );
        return filter.withUsers ? loadUsersOf(pages) : pages;
      },
    ),
  };
}
