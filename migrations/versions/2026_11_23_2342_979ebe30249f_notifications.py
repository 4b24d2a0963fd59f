"""notifications outbox

Revision ID: 979ebe30249f
Revises: 78730226a712
Create Date: 2026-11-23 23:42:45.931188
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "979ebe30249f"
down_revision: str | None = "78730226a712"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("event_key", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column(
            "channel",
            sa.Enum("email", "sms", name="notice_channel", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "queued",
                "deferred",
                "sending",
                "sent",
                "failed",
                "suppressed",
                name="notice_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_notifications_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "event_key", "channel", name=op.f("uq_notifications_event_key_channel")
        ),
    )
    op.create_index(op.f("ix_notifications_case_id"), "notifications", ["case_id"], unique=False)
    op.create_index(
        "ix_notifications_due", "notifications", ["status", "scheduled_for"], unique=False
    )
    # Every case gets its own random link key; existing cases are given one here.
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("link_key", sa.String(length=32), nullable=True))
    connection = op.get_bind()
    cases = sa.table("cases", sa.column("id", sa.Uuid()), sa.column("link_key", sa.String))
    for (case_id,) in connection.execute(sa.select(cases.c.id)).all():
        connection.execute(
            cases.update().where(cases.c.id == case_id).values(link_key=secrets.token_urlsafe(12))
        )
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("link_key", existing_type=sa.String(length=32), nullable=False)
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("sms_stopped_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("storefronts") as batch:
        batch.add_column(
            sa.Column("quiet_start_hour", sa.Integer(), server_default="21", nullable=False)
        )
        batch.add_column(
            sa.Column("quiet_end_hour", sa.Integer(), server_default="8", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("storefronts") as batch:
        batch.drop_column("quiet_end_hour")
        batch.drop_column("quiet_start_hour")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("sms_stopped_at")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("link_key")
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.drop_index(op.f("ix_notifications_case_id"), table_name="notifications")
    op.drop_table("notifications")
