import { ProjectPermission as P } from "../../auth/permissions";
import { projectRule } from "../../graphql/rules";
import type { PasswordPolicy, ProjectPolicy } from "./policies.types";

const byProjectId = (_: unknown, args: { projectId: string }) => args.projectId;
const manage = projectRule(P.MANAGE_POLICIES, byProjectId);

export const policiesRules = {
  Mutation: {
    createPasswordPolicy: manage,
    updatePasswordPolicy: manage,
    deletePasswordPolicy: manage,
    createProjectPolicy: manage,
    updateProjectPolicy: manage,
    deleteProjectPolicy: manage,
  },
  // Readable by everyone who may read the project (VIEWER and up).
  PasswordPolicy: projectRule<PasswordPolicy>(P.READ, (policy) => policy.projectId),
  ProjectPolicy: projectRule<ProjectPolicy>(P.READ, (policy) => policy.projectId),
};
