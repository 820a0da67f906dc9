import { allow } from "graphql-shield";
import { OrganizationPermission, ProjectPermission as P } from "../../auth/permissions";
import { isPlatformUser, organizationRule, projectRule } from "../../graphql/rules";
import type { Project, ProjectMember } from "./projects.types";

const byId = (_: unknown, args: { id: string }) => args.id;
const byProjectId = (_: unknown, args: { projectId: string }) => args.projectId;

export const projectsRules = {
  Query: { project: isPlatformUser },
  Mutation: {
    createProject: organizationRule<unknown, { organizationId: string }>(
      OrganizationPermission.CREATE_PROJECT,
      (_, args) => args.organizationId,
    ),
    updateProject: projectRule(P.UPDATE, byId),
    deleteProject: projectRule(P.DELETE, byId),
    addProjectMember: projectRule(P.MANAGE_MEMBERS, byProjectId),
    updateProjectMember: projectRule(P.MANAGE_MEMBERS, byProjectId),
    removeProjectMember: projectRule(P.MANAGE_MEMBERS, byProjectId),
  },
  Project: projectRule<Project>(P.READ, (project) => project.id),
  ProjectMember: projectRule<ProjectMember>(P.READ, (member) => member.projectId),
  ProjectEdge: allow,
  ProjectConnection: allow,
  ProjectMemberEdge: allow,
  ProjectMemberConnection: allow,
};
