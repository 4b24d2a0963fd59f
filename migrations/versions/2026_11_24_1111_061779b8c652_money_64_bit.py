"""money columns are 64-bit

Revision ID: 061779b8c652
Revises: ae6e743eae5d
Create Date: 2026-11-24 11:11:09

A quote of 22 lines at the largest unit price (100,000,000 minor units) overflows a
32-bit column; the documented limits go up to 100 lines x 1,000 x 100,000,000.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "061779b8c652"
down_revision: str | None = "ae6e743eae5d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY_COLUMNS = {
    "quotes": ("subtotal_minor", "tax_minor", "total_minor"),
    "quote_lines": ("unit_price_minor", "amount_minor", "charged_minor"),
    "cases": ("refund_amount_minor",),
}
NULLABLE = {"refund_amount_minor"}


def _retype(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> None:
    for table, columns in MONEY_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(
                    column, existing_type=old, type_=new, existing_nullable=column in NULLABLE
                )


def upgrade() -> None:
    _retype(sa.Integer(), sa.BigInteger())


def downgrade() -> None:
    # Refuses (out of range) if a stored amount no longer fits 32 bits.
    _retype(sa.BigInteger(), sa.Integer())
