"""api keys: when each was last used

Revision ID: c4e8a1f3b9d2
Revises: 5b1d9e7c2a40
Create Date: 2026-12-02 04:00:00

`api_keys.last_used_at` is written by authentication at most once a minute per key;
keys used before this migration show as never used until their next request.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e8a1f3b9d2"
down_revision: str | None = "5b1d9e7c2a40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")
