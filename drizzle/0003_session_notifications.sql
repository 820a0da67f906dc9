-- Every change that can end a session or refuse its viewer is published on the channel
-- `gatehouse_sessions` from the transaction that makes it, so PostgreSQL delivers it at commit to
-- every node (each keeps a per-session cache of the viewer check). Triggers, not application code,
-- publish: cascading deletes, the CLI and hand-written SQL are heard like any GraphQL mutation.
-- Payloads: `s:<session ids>`, `u:<user ids>`, `e:<end user ids>`, `p:<project ids>` (a policy's
-- blocked statuses), comma-separated; `*` (forget everything) when a statement touched over 100.
CREATE FUNCTION "gatehouse_publish"(prefix text, ids text[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF ids IS NULL OR cardinality(ids) = 0 THEN
    RETURN;
  ELSIF cardinality(ids) > 100 THEN
    PERFORM pg_notify('gatehouse_sessions', '*');
  ELSE
    PERFORM pg_notify('gatehouse_sessions', prefix || array_to_string(ids, ','));
  END IF;
END
$$;
--> statement-breakpoint
-- Rows updated or deleted: users and end users (any column may be part of a viewer).
CREATE FUNCTION "gatehouse_publish_changed_rows"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM gatehouse_publish(TG_ARGV[0], (SELECT array_agg(DISTINCT id::text) FROM old_rows));
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Sessions: deleted, or updated so that they end sooner (a rotation or a use extends or keeps
-- the end and publishes nothing).
CREATE FUNCTION "gatehouse_publish_ended_sessions"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM gatehouse_publish('s:', (SELECT array_agg(id::text) FROM old_rows));
  ELSE
    PERFORM gatehouse_publish('s:', (
      SELECT array_agg(n.id::text) FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE n.revoked_at IS DISTINCT FROM o.revoked_at
        OR n.expires_at < o.expires_at
        OR n.idle_expires_at < o.idle_expires_at
        OR n.user_id IS DISTINCT FROM o.user_id
        OR n.end_user_id IS DISTINCT FROM o.end_user_id
        OR n.project_id IS DISTINCT FROM o.project_id));
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Project policies: their blocked statuses decide whether an end user's token still works.
CREATE FUNCTION "gatehouse_publish_policy_projects"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM gatehouse_publish('p:', (SELECT array_agg(DISTINCT project_id::text) FROM new_rows));
  ELSE
    PERFORM gatehouse_publish('p:', (SELECT array_agg(DISTINCT project_id::text) FROM old_rows));
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "sessions_publish_update" AFTER UPDATE ON "sessions" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_publish_ended_sessions();
--> statement-breakpoint
CREATE TRIGGER "sessions_publish_delete" AFTER DELETE ON "sessions" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_publish_ended_sessions();
--> statement-breakpoint
CREATE TRIGGER "users_publish_update" AFTER UPDATE ON "users" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_publish_changed_rows('u:');
--> statement-breakpoint
CREATE TRIGGER "users_publish_delete" AFTER DELETE ON "users" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_publish_changed_rows('u:');
--> statement-breakpoint
CREATE TRIGGER "end_users_publish_update" AFTER UPDATE ON "end_users" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_publish_changed_rows('e:');
--> statement-breakpoint
CREATE TRIGGER "end_users_publish_delete" AFTER DELETE ON "end_users" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_publish_changed_rows('e:');
--> statement-breakpoint
CREATE TRIGGER "project_policies_publish_insert" AFTER INSERT ON "project_policies" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_publish_policy_projects();
--> statement-breakpoint
CREATE TRIGGER "project_policies_publish_update" AFTER UPDATE ON "project_policies" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_publish_policy_projects();
--> statement-breakpoint
CREATE TRIGGER "project_policies_publish_delete" AFTER DELETE ON "project_policies" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_publish_policy_projects();
