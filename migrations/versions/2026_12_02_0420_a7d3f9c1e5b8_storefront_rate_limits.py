"""rate limits: a storefront's own API budgets (null: the settings' defaults); the
headers (Location, ETag) of an idempotent create, replayed with it; an index for the
notice cap per recipient

Revision ID: a7d3f9c1e5b8
Revises: c3a9e4f1b2d7
Create Date: 2026-12-02 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7d3f9c1e5b8"
down_revision: str | None = "c3a9e4f1b2d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("storefronts") as batch:
        batch.add_column(sa.Column("rate_limit_read_per_minute", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("rate_limit_write_per_minute", sa.Integer(), nullable=True))
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("response_headers", sa.JSON(), nullable=True))
    op.create_index(
        "ix_notifications_recipient_created", "notifications", ["recipient", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_recipient_created", table_name="notifications")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("response_headers")
    with op.batch_alter_table("storefronts") as batch:
        batch.drop_column("rate_limit_write_per_minute")
        batch.drop_column("rate_limit_read_per_minute")
