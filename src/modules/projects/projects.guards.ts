/**
 * What every change inside a project does first: find the project, lock its organization's row
 * (every tenancy change locks the organization first), and check the actor under that lock.
 */
import { eq } from "drizzle-orm";
import type { Executor } from "../../db/connection";
import { organizations, projects, type ProjectRow } from "../../db/schema/index";
import { AppError } from "../../errors";
import type { ProjectPermission } from "../../auth/permissions";
import { authorizeInProject } from "../organizations/organizations.guards";
import { ProjectErrors } from "./projects.errors";

/**
 * The project, with its organization locked (every tenancy change locks the organization
 * first) and the actor checked for `permission` under that lock.
 */
export async function lockProject(
  tx: Executor,
  id: string,
  actorId: string,
  permission: ProjectPermission,
): Promise<ProjectRow> {
  const [found] = await tx
    .select({ organizationId: projects.organizationId })
    .from(projects)
    .where(eq(projects.id, id));
  if (!found) throw new AppError(ProjectErrors.NOT_FOUND);
  const locked = await tx
    .select({ id: organizations.id })
    .from(organizations)
    .where(eq(organizations.id, found.organizationId))
    .for("update");
  // Read again under the lock: the project may have gone while this waited.
  const [project] =
    locked.length > 0 ? await tx.select().from(projects).where(eq(projects.id, id)) : [];
  if (!project) throw new AppError(ProjectErrors.NOT_FOUND);
  await authorizeInProject(tx, project, actorId, permission);
  return project;
}
