-- Least privilege for icam-bot on PostgreSQL (NIST SP 800-53 AC-6, AU-9).
--
-- Two roles:
--   migrator  owns the schema's tables; used ONLY by `icam-bot db upgrade` (the migration Job / one-shot
--             service). It can change the schema, so its credentials never reach the running bot.
--   app       what `icam-bot serve` and the other commands connect as: no DDL (creates, alters, drops nothing),
--             no TRUNCATE, INSERT and SELECT only on the audit tables, UPDATE/DELETE only where the bot needs
--             them (tracker items are updated, never deleted; comments only redacted).
-- The audit tables' triggers (migration 0006) refuse UPDATE/DELETE/TRUNCATE for every role; only a role that
-- owns the tables (migrator) or a superuser could drop a trigger, and both are kept away from the bot.
--
-- Run as a superuser or the database owner, after `icam-bot db upgrade`, and again after every upgrade
-- (it is idempotent; tables a later migration adds get SELECT and INSERT only until it is re-run):
--
--   psql "postgresql://admin@db/icam" -v ON_ERROR_STOP=1 \
--        -v schema=public -v migrator=icam_migrator -v app=icam_app -f deploy/sql/least-privilege.sql
--
-- The roles are created with LOGIN but no password: set one (\password icam_app) or use your platform's
-- authentication. DATABASE_URL for the migration job uses icam_migrator, for the bot icam_app.

\set ON_ERROR_STOP on

-- Roles (created once).
SELECT format('CREATE ROLE %I LOGIN', :'migrator')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'migrator') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app') \gexec

-- The schema: only the migrator creates objects in it.
REVOKE CREATE ON SCHEMA :"schema" FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA :"schema" TO :"migrator";
REVOKE CREATE ON SCHEMA :"schema" FROM :"app";
GRANT USAGE ON SCHEMA :"schema" TO :"app";

-- The migrator owns every table and sequence (tables an administrator created first are handed over).
SELECT format('ALTER TABLE %I.%I OWNER TO %I', schemaname, tablename, :'migrator')
FROM pg_tables WHERE schemaname = :'schema' AND tableowner <> :'migrator' \gexec

-- The bot: start from nothing, then SELECT and INSERT everywhere (audit tables get no more than this).
REVOKE ALL ON ALL TABLES IN SCHEMA :"schema" FROM :"app";
REVOKE ALL ON ALL TABLES IN SCHEMA :"schema" FROM PUBLIC;
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA :"schema" TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA :"schema" TO :"app";

-- Working tables the bot changes and prunes (event dedup, question logs and retention, feedback votes,
-- subscriptions, the digest claim, the program board, the outbox and the pending questions, the help channels,
-- the webhook deliveries and the review queue).
GRANT UPDATE, DELETE ON
    :"schema".processed_events,
    :"schema".outbox,
    :"schema".pending_questions,
    :"schema".question_log,
    :"schema".unanswered_questions,
    :"schema".answer_feedback,
    :"schema".channel_subscriptions,
    :"schema".digest_runs,
    :"schema".board_programs,
    :"schema".board_workstreams,
    :"schema".board_milestones,
    :"schema".listened_channels,
    :"schema".webhook_deliveries,
    :"schema".review_signals
TO :"app";
-- Live knowledge: a change's status moves on (draft, live, superseded, retired), never deleted; the version row
-- is bumped. Closed queue rows are written and read, and retention clears their askers and wording only;
-- kb_teaching_events is an audit table.
GRANT UPDATE ON :"schema".kb_live_changes, :"schema".kb_live_version TO :"app";
GRANT UPDATE (questions, askers) ON :"schema".kb_review_closures TO :"app";
-- Items change state but are never deleted; announcements only move through their status.
GRANT UPDATE ON :"schema".tracker_items TO :"app";
GRANT UPDATE (status, confirmed_at, finished_at) ON :"schema".announcements TO :"app";
-- Submission keys (a re-submitted form finds its item) are only written and read, like the items they name.
-- Comments: only the body, and the trigger allows only its redaction.
GRANT UPDATE (body) ON :"schema".tracker_comments TO :"app";
-- The migration history is the migrator's; the bot only reads it (its schema check).
REVOKE INSERT ON :"schema".alembic_version FROM :"app";
-- Audit tables (append-only): tracker_events, board_events, announcement_deliveries, access_events, channel_events,
-- kb_teaching_events keep
-- SELECT and INSERT from the grant above and nothing else.

-- Tables and sequences a later migration creates: SELECT and INSERT only until this script is re-run.
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA :"schema" GRANT SELECT, INSERT ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA :"schema" GRANT USAGE, SELECT ON SEQUENCES TO :"app";
