import { Arg, Args, Ctx, Query, Resolver } from "type-graphql";
import type { AuditEventRow } from "../../db/schema/index";
import type { Context } from "../../graphql/context";
import { PageArgs, toConnection } from "../../graphql/connection";
import { UUIDScalar } from "../../graphql/scalars";
import { pageRequest } from "../../pagination";
import { AuditEvent, AuditEventConnection } from "./audit.types";

function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    ...row,
    // The cursor orders by the event time.
    createdAt: row.at,
    metadata: row.metadata ? JSON.stringify(row.metadata) : null,
  };
}

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Query(() => AuditEventConnection, {
    description:
      "Newest first. With organizationId: that organization's events (its projects' included), " +
      "for its owners and admins. With projectId: that project's, for its managers. With " +
      "neither: every event, for platform admins.",
  })
  async auditEvents(
    @Arg("organizationId", () => UUIDScalar, { nullable: true }) organizationId: string | null,
    @Arg("projectId", () => UUIDScalar, { nullable: true }) projectId: string | null,
    @Arg("action", () => String, { nullable: true }) action: string | null,
    @Args(() => PageArgs) args: PageArgs,
    @Ctx() ctx: Context,
  ): Promise<AuditEventConnection> {
    const page = await ctx.services.audit.list(
      { organizationId, projectId, action },
      pageRequest(args),
    );
    return toConnection({ ...page, rows: page.rows.map(toAuditEvent) });
  }
}
