"""Audit records: append-only audit tables enforced by the database, no cascading deletes of history.

- ``tracker_events``, ``board_events`` and ``announcement_deliveries`` are audit records: a trigger refuses
  every UPDATE, DELETE (and on PostgreSQL TRUNCATE), whoever runs it (AU-9). The ORM hook stays as the
  friendlier first line.
- ``tracker_comments`` are item content, not audit records (the ``commented`` event is the record): never
  deleted, never edited, except that the retention job may replace a body with ``[redacted]``.
- ``access_events`` (new, audit record): who read or tried to read which item, queue, risks, statistics or
  export, from Slack or the command line, when, and whether it was allowed (AU-2, AU-12).
- ``tracker_items.redacted_at``: when the retention job replaced a finished item's free text with
  ``[redacted]`` (it writes a ``redacted`` event; the audit rows themselves are never changed).
- ``announcements``: never deleted, and what one says (author, audience, headline, body) never changes once
  written; only its status and times move on.
- Foreign keys to these tables are RESTRICT instead of CASCADE: items and announcements are closed, never
  deleted, so deleting one cannot wipe its history.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

#: The text a redacted free-text field holds (icam_bot.records.policy.REDACTED).
REDACTED = "[redacted]"
#: Tables whose rows are never updated or deleted.
AUDIT_TABLES = ("tracker_events", "board_events", "announcement_deliveries", "access_events")
#: (table, column, referred table): foreign keys onto items and announcements.
FOREIGN_KEYS = (
    ("tracker_comments", "item_id", "tracker_items"),
    ("tracker_events", "item_id", "tracker_items"),
    ("announcement_deliveries", "announcement_id", "announcements"),
)
COMMENT_COLUMNS = ("id", "item_id", "author_id", "created_at")
#: What an announcement said, to whom, by whom: fixed once written (its status and times still move on).
ANNOUNCEMENT_COLUMNS = ("id", "author_id", "audience", "headline", "body", "created_at")

PG_REFUSE = """
CREATE FUNCTION icam_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'icam-bot: % is an append-only audit table: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
PG_COMMENTS = f"""
CREATE FUNCTION icam_comment_redaction_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.body = '{REDACTED}' AND {" AND ".join(f"NEW.{c} = OLD.{c}" for c in COMMENT_COLUMNS)} THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'icam-bot: tracker comments are never deleted or edited, only redacted: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""
PG_ANNOUNCEMENTS = f"""
CREATE FUNCTION icam_announcement_content_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF {" AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in ANNOUNCEMENT_COLUMNS)} THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'icam-bot: an announcement is never deleted and what it says never changes: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def _set_foreign_keys(ondelete: str) -> None:
    for table, column, referred in FOREIGN_KEYS:
        name = op.f(f"fk_{table}_{column}_{referred}")
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(name, type_="foreignkey")
            batch.create_foreign_key(name, referred, [column], ["id"], ondelete=ondelete)


def _sqlite_refuse(table: str, operation: str, message: str, when: str = "") -> str:
    return (
        f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table}{when} "
        f"BEGIN SELECT RAISE(ABORT, 'icam-bot: {message}: {operation} refused'); END"
    )


def _create_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(PG_REFUSE)
        op.execute(PG_COMMENTS)
        for table in AUDIT_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION icam_refuse_audit_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION icam_refuse_audit_change()"
            )
        op.execute(
            "CREATE TRIGGER tracker_comments_redaction_only BEFORE UPDATE OR DELETE ON tracker_comments "
            "FOR EACH ROW EXECUTE FUNCTION icam_comment_redaction_only()"
        )
        op.execute(
            "CREATE TRIGGER tracker_comments_no_truncate BEFORE TRUNCATE ON tracker_comments "
            "FOR EACH STATEMENT EXECUTE FUNCTION icam_comment_redaction_only()"
        )
        op.execute(PG_ANNOUNCEMENTS)
        op.execute(
            "CREATE TRIGGER announcements_content_fixed BEFORE UPDATE OR DELETE ON announcements "
            "FOR EACH ROW EXECUTE FUNCTION icam_announcement_content_fixed()"
        )
        op.execute(
            "CREATE TRIGGER announcements_no_truncate BEFORE TRUNCATE ON announcements "
            "FOR EACH STATEMENT EXECUTE FUNCTION icam_announcement_content_fixed()"
        )
        return
    for table in AUDIT_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(_sqlite_refuse(table, operation, f"{table} is an append-only audit table"))
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in COMMENT_COLUMNS)
    when = f" WHEN NEW.body IS NOT '{REDACTED}' OR {changed}"
    message = "tracker comments are never deleted or edited, only redacted"
    op.execute(_sqlite_refuse("tracker_comments", "UPDATE", message, when))
    op.execute(_sqlite_refuse("tracker_comments", "DELETE", message))
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in ANNOUNCEMENT_COLUMNS)
    message = "an announcement is never deleted and what it says never changes"
    op.execute(_sqlite_refuse("announcements", "UPDATE", message, f" WHEN {changed}"))
    op.execute(_sqlite_refuse("announcements", "DELETE", message))


def _drop_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        for table in AUDIT_TABLES:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute("DROP TRIGGER tracker_comments_redaction_only ON tracker_comments")
        op.execute("DROP TRIGGER tracker_comments_no_truncate ON tracker_comments")
        op.execute("DROP TRIGGER announcements_content_fixed ON announcements")
        op.execute("DROP TRIGGER announcements_no_truncate ON announcements")
        op.execute("DROP FUNCTION icam_announcement_content_fixed()")
        op.execute("DROP FUNCTION icam_comment_redaction_only()")
        op.execute("DROP FUNCTION icam_refuse_audit_change()")
        return
    for table in (*AUDIT_TABLES, "tracker_comments", "announcements"):
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_no_{operation}")


def _create_access_events() -> None:
    op.create_table(
        "access_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["tracker_items.id"], name=op.f("fk_access_events_item_id_tracker_items"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_events")),
    )
    op.create_index("ix_access_events_actor_id_id", "access_events", ["actor_id", "id"])
    op.create_index("ix_access_events_item_id_id", "access_events", ["item_id", "id"])
    op.create_index("ix_access_events_created_at", "access_events", ["created_at"])


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column("tracker_items", sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
    _create_access_events()
    _set_foreign_keys("RESTRICT")  # first: on SQLite this rebuilds the tables (which would drop triggers)
    _create_triggers(dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    _set_foreign_keys("CASCADE")
    for index in ("ix_access_events_created_at", "ix_access_events_item_id_id", "ix_access_events_actor_id_id"):
        op.drop_index(index, table_name="access_events")
    op.drop_table("access_events")
    # Not batch mode on SQLite: rebuilding tracker_items would drop the parent table of the (now cascading)
    # events and comments. SQLite 3.35+ drops a column in place.
    op.execute("ALTER TABLE tracker_items DROP COLUMN redacted_at")
