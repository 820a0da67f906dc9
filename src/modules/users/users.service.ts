import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/connection";
import { sessions, users, type SessionRow, type UserRow } from "../../db/schema/index";
import { invalidInput, type FieldProblem } from "../../errors";
import { liveSessionCondition } from "../../auth/sessions";
import { checkFullName, checkPhone, normaliseEmail } from "../../validation";
import { AuditActions, type AuditService, type RequestMeta } from "../audit/audit.service";

export interface PlatformViewer {
  user: UserRow;
  session: SessionRow;
}

export interface UpdateProfileInput {
  fullName?: string | null;
  phone?: string | null;
}

export interface UsersService {
  findById(id: string): Promise<UserRow | null>;
  findByEmail(email: string): Promise<UserRow | null>;
  /** The user and session behind an access token, if both still stand: one statement. */
  findViewer(userId: string, sessionId: string): Promise<PlatformViewer | null>;
  updateProfile(viewer: UserRow, input: UpdateProfileInput, meta: RequestMeta): Promise<UserRow>;
  setPlatformRole(email: string, role: "USER" | "ADMIN"): Promise<UserRow | null>;
}

export function createUsersService(deps: {
  db: Database;
  audit: AuditService;
  now?: () => Date;
}): UsersService {
  const { db, audit } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async findById(id) {
      const [row] = await db.select().from(users).where(eq(users.id, id));
      return row ?? null;
    },

    async findByEmail(email) {
      const [row] = await db
        .select()
        .from(users)
        .where(eq(sql`lower(${users.email})`, normaliseEmail(email)));
      return row ?? null;
    },

    async findViewer(userId, sessionId) {
      const [row] = await db
        .select({ user: users, session: sessions })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(
          and(
            eq(sessions.id, sessionId),
            eq(sessions.userId, userId),
            liveSessionCondition(now()),
            // A locked account's access tokens stop working at once, not when they expire.
            isNull(users.lockedAt),
          ),
        );
      return row ?? null;
    },

    async updateProfile(viewer, input, meta) {
      const problems: FieldProblem[] = [];
      const changes: Partial<UserRow> = {};
      if (input.fullName !== undefined && input.fullName !== null) {
        const problem = checkFullName("fullName", input.fullName);
        if (problem) problems.push(problem);
        else changes.fullName = input.fullName.trim();
      }
      if (input.phone !== undefined) {
        // An empty string or null clears the phone number.
        const phone = input.phone?.trim() || null;
        const problem = phone === null ? null : checkPhone("phone", phone);
        if (problem) problems.push(problem);
        else changes.phone = phone;
      }
      if (problems.length > 0) throw invalidInput(problems);
      if (Object.keys(changes).length === 0) return viewer;

      return db.transaction(async (tx) => {
        const [updated] = await tx
          .update(users)
          .set({ ...changes, updatedAt: now() })
          .where(eq(users.id, viewer.id))
          .returning();
        if (!updated) throw new Error("Viewer vanished during profile update");
        await audit.record(
          {
            action: AuditActions.USER_PROFILE_UPDATED,
            actorUserId: viewer.id,
            targetId: viewer.id,
            metadata: { fields: Object.keys(changes) },
            meta,
          },
          tx,
        );
        return updated;
      });
    },

    async setPlatformRole(email, role) {
      return db.transaction(async (tx) => {
        const [updated] = await tx
          .update(users)
          .set({ platformRole: role, updatedAt: now() })
          .where(eq(sql`lower(${users.email})`, normaliseEmail(email)))
          .returning();
        if (!updated) return null;
        await audit.record(
          {
            action: AuditActions.USER_PLATFORM_ROLE_CHANGED,
            targetId: updated.id,
            metadata: { platformRole: role, via: "cli" },
          },
          tx,
        );
        return updated;
      });
    },
  };
}
