import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from "type-graphql";
import { AppError } from "../../errors";
import type { Context } from "../../graphql/context";
import { UUIDScalar } from "../../graphql/scalars";
import { actorOf } from "../../graphql/viewer";
import { Project } from "../projects/projects.types";
import { PolicyErrors } from "./policies.errors";
import {
  PasswordPolicy,
  PasswordPolicyArgs,
  ProjectPolicy,
  ProjectPolicyArgs,
} from "./policies.types";

@Resolver(() => ProjectPolicy)
export class PoliciesResolver {
  @Mutation(() => PasswordPolicy, {
    description: "The first step of a project's setup: its end users' password rules",
  })
  async createPasswordPolicy(
    @Args(() => PasswordPolicyArgs) { projectId, ...input }: PasswordPolicyArgs,
    @Ctx() ctx: Context,
  ): Promise<PasswordPolicy> {
    return ctx.services.policies.createPasswordPolicy(actorOf(ctx), projectId, input);
  }

  @Mutation(() => PasswordPolicy, { description: "Changes the fields given; others stay" })
  async updatePasswordPolicy(
    @Args(() => PasswordPolicyArgs) { projectId, ...input }: PasswordPolicyArgs,
    @Ctx() ctx: Context,
  ): Promise<PasswordPolicy> {
    return ctx.services.policies.updatePasswordPolicy(actorOf(ctx), projectId, input);
  }

  @Mutation(() => Boolean, {
    description: "FAILED_PRECONDITION while the project policy references it",
  })
  async deletePasswordPolicy(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await ctx.services.policies.deletePasswordPolicy(actorOf(ctx), projectId);
    return true;
  }

  @Mutation(() => ProjectPolicy, {
    description:
      "The second step: how end users sign up and log in. Needs the password policy " +
      "(FAILED_PRECONDITION without it); end users can sign up once it exists.",
  })
  async createProjectPolicy(
    @Args(() => ProjectPolicyArgs) { projectId, ...input }: ProjectPolicyArgs,
    @Ctx() ctx: Context,
  ): Promise<ProjectPolicy> {
    return ctx.services.policies.createProjectPolicy(actorOf(ctx), projectId, input);
  }

  @Mutation(() => ProjectPolicy, {
    description:
      "Changes the fields given; others stay. Statuses newly listed as blocked end the " +
      "sessions of the end users who have them.",
  })
  async updateProjectPolicy(
    @Args(() => ProjectPolicyArgs) { projectId, ...input }: ProjectPolicyArgs,
    @Ctx() ctx: Context,
  ): Promise<ProjectPolicy> {
    return ctx.services.policies.updateProjectPolicy(actorOf(ctx), projectId, input);
  }

  @Mutation(() => Boolean, { description: "End users cannot sign up or log in without one" })
  async deleteProjectPolicy(
    @Arg("projectId", () => UUIDScalar) projectId: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    await ctx.services.policies.deleteProjectPolicy(actorOf(ctx), projectId);
    return true;
  }

  @FieldResolver(() => PasswordPolicy)
  async passwordPolicy(@Root() policy: ProjectPolicy, @Ctx() ctx: Context) {
    const row = await ctx.loaders.policies.passwordPolicy.load(policy.projectId);
    if (!row) throw new AppError(PolicyErrors.NO_PASSWORD_POLICY);
    return row;
  }
}

@Resolver(() => Project)
export class ProjectPoliciesResolver {
  @FieldResolver(() => PasswordPolicy, { nullable: true, description: "Null until created" })
  async passwordPolicy(@Root() project: Project, @Ctx() ctx: Context) {
    return ctx.loaders.policies.passwordPolicy.load(project.id);
  }

  @FieldResolver(() => ProjectPolicy, { nullable: true, description: "Null until created" })
  async policy(@Root() project: Project, @Ctx() ctx: Context) {
    return ctx.loaders.policies.projectPolicy.load(project.id);
  }
}
