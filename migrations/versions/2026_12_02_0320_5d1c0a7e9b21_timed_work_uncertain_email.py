"""periodic ticks in the database; the e-mail handover mark

Revision ID: 5d1c0a7e9b21
Revises: c14a0e5d7b21
Create Date: 2026-12-02 03:00:00

`periodic_ticks` records the tick each periodic job last claimed and when one last ran,
so timed work survives Redis losing its data. `notifications.handed_over_at` marks an
e-mail attempt that reached SMTP's DATA; the new `uncertain` status needs no DDL (the
status column is a plain string).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d1c0a7e9b21"
down_revision: str | None = "c14a0e5d7b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "periodic_ticks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("tick_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_periodic_ticks")),
    )
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # The older code knows no `uncertain`: such e-mails become visible failures.
    notifications = sa.table(
        "notifications", sa.column("status", sa.String), sa.column("last_error", sa.Text)
    )
    op.execute(
        notifications.update()
        .where(notifications.c.status == "uncertain")
        .values(status="failed", last_error="uncertain: may have been delivered; held for staff")
    )
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("handed_over_at")
    op.drop_table("periodic_ticks")
