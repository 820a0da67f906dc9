CREATE TYPE "public"."auth_method" AS ENUM('EMAIL', 'PHONE', 'GOOGLE', 'GITHUB');--> statement-breakpoint
CREATE TYPE "public"."auth_type" AS ENUM('PASSWORD', 'OAUTH', 'TWO_FACTOR');--> statement-breakpoint
CREATE TABLE "end_users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"email" text,
	"phone" text,
	"full_name" text NOT NULL,
	"password_hash" text NOT NULL,
	"email_verified" boolean DEFAULT false NOT NULL,
	"mfa_enabled" boolean DEFAULT false NOT NULL,
	"avatar_key" text,
	"role" text,
	"status" text,
	"last_log_in_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "end_users_id_project_key" UNIQUE("id","project_id"),
	CONSTRAINT "end_users_identifier" CHECK ("end_users"."email" is not null or "end_users"."phone" is not null)
);
--> statement-breakpoint
CREATE TABLE "password_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"min_length" integer NOT NULL,
	"max_length" integer NOT NULL,
	"require_numbers" boolean NOT NULL,
	"require_uppercase" boolean NOT NULL,
	"require_special_chars" boolean NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "password_policies_project_id_key" UNIQUE("project_id"),
	CONSTRAINT "password_policies_id_project_key" UNIQUE("id","project_id"),
	CONSTRAINT "password_policies_lengths" CHECK ("password_policies"."min_length" <= "password_policies"."max_length")
);
--> statement-breakpoint
CREATE TABLE "project_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"password_policy_id" uuid NOT NULL,
	"auth_required" boolean NOT NULL,
	"auth_type" "auth_type" NOT NULL,
	"auth_methods" "auth_method"[] NOT NULL,
	"phone_required" boolean NOT NULL,
	"roles" text[] NOT NULL,
	"statuses" text[] NOT NULL,
	"self_assignable_roles" text[] NOT NULL,
	"self_assignable_statuses" text[] NOT NULL,
	"blocked_statuses" text[] NOT NULL,
	"default_role" text,
	"default_status" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "project_policies_project_id_key" UNIQUE("project_id")
);
--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "end_user_id" uuid;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "project_id" uuid;--> statement-breakpoint
ALTER TABLE "end_users" ADD CONSTRAINT "end_users_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "password_policies" ADD CONSTRAINT "password_policies_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_policies" ADD CONSTRAINT "project_policies_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_policies" ADD CONSTRAINT "project_policies_password_policy_fk" FOREIGN KEY ("password_policy_id","project_id") REFERENCES "public"."password_policies"("id","project_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "end_users_project_email_key" ON "end_users" USING btree ("project_id",lower("email")) WHERE "end_users"."email" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "end_users_project_phone_key" ON "end_users" USING btree ("project_id","phone") WHERE "end_users"."phone" is not null;--> statement-breakpoint
CREATE INDEX "end_users_project_created_at_idx" ON "end_users" USING btree ("project_id","created_at","id");--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_end_user_fk" FOREIGN KEY ("end_user_id","project_id") REFERENCES "public"."end_users"("id","project_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sessions_end_user_id_created_at_idx" ON "sessions" USING btree ("end_user_id","created_at","id");--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_one_owner" CHECK (("sessions"."user_id" is not null and "sessions"."end_user_id" is null and "sessions"."project_id" is null) or ("sessions"."user_id" is null and "sessions"."end_user_id" is not null and "sessions"."project_id" is not null));