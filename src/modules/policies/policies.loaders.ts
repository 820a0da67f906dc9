/** Per-request loaders for the policies of many projects at once. */
import DataLoader from "dataloader";
import { anyId } from "../../db/any-id";
import type { Executor } from "../../db/connection";
import {
  passwordPolicies,
  projectPolicies,
  type PasswordPolicyRow,
  type ProjectPolicyRow,
} from "../../db/schema/index";

function byProject<Row extends { projectId: string }>(
  fetch: (projectIds: string[]) => Promise<Row[]>,
): DataLoader<string, Row | null> {
  return new DataLoader<string, Row | null>(async (ids) => {
    const rows = await fetch([...ids]);
    const found = new Map(rows.map((row) => [row.projectId, row]));
    return ids.map((id) => found.get(id) ?? null);
  });
}

export function createPolicyLoaders(db: Executor) {
  return {
    passwordPolicy: byProject<PasswordPolicyRow>((ids) =>
      db.select().from(passwordPolicies).where(anyId(passwordPolicies.projectId, ids)),
    ),
    projectPolicy: byProject<ProjectPolicyRow>((ids) =>
      db.select().from(projectPolicies).where(anyId(projectPolicies.projectId, ids)),
    ),
  };
}
