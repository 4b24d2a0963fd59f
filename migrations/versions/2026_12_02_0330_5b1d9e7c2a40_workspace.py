"""staff workspace: sign-in sessions, failed sign-ins, staff locale, the queue's sort keys

Revision ID: 5b1d9e7c2a40
Revises: 5d1c0a7e9b21
Create Date: 2026-12-02 03:00:00

`cases.next_due_at` is the earliest deadline of a clock still running (kept by the
application at every flush); existing rows are filled in here with the same rule.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1d9e7c2a40"
down_revision: str | None = "5d1c0a7e9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)

#: The rule of service.sla.clocks.next_due, as SQL over the columns.
RUNNING_DEADLINES = (
    "CASE WHEN status NOT IN ('cancelled', 'closed') AND first_responded_at IS NULL "
    "THEN first_response_due_at END",
    "CASE WHEN completed_at IS NULL AND resolution_paused_at IS NULL THEN resolution_due_at END",
    "CASE WHEN followed_up_at IS NULL THEN followup_due_at END",
)


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("staff_user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("user_agent", sa.String(300), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_sessions_staff_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    op.create_index(op.f("ix_staff_sessions_staff_user_id"), "staff_sessions", ["staff_user_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_email_at", "login_failures", ["email", "created_at"])
    op.create_index("ix_login_failures_ip_at", "login_failures", ["ip", "created_at"])
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("locale", sa.String(10), nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("next_due_at", UTC_DATETIME, nullable=True))
        batch.create_index("ix_cases_next_due", ["next_due_at", "id"])
        batch.create_index("ix_cases_created", ["created_at", "id"])
    # The least of the running deadlines; NULLs (clocks not running) drop out of MIN.
    deadlines = " UNION ALL ".join(f"SELECT {expr} AS due" for expr in RUNNING_DEADLINES)
    op.execute(f"UPDATE cases SET next_due_at = (SELECT MIN(due) FROM ({deadlines}) AS d)")


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_created")
        batch.drop_index("ix_cases_next_due")
        batch.drop_column("next_due_at")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("locale")
    op.drop_index("ix_login_failures_ip_at", table_name="login_failures")
    op.drop_index("ix_login_failures_email_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_index(op.f("ix_staff_sessions_staff_user_id"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
