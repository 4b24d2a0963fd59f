"""case numbers from a sequence per storefront on PostgreSQL (no row lock until commit)

Revision ID: b4e8c2f6a1d9
Revises: d8f2a6c4e1b3
Create Date: 2026-12-02 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b4e8c2f6a1d9"
down_revision: str | None = "d8f2a6c4e1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _name(storefront_id) -> str:
    # As service.storefronts.models.case_number_sequence (migrations do not import the app).
    hex_id = storefront_id.hex if hasattr(storefront_id, "hex") else str(storefront_id)
    return "case_seq_" + hex_id.replace("-", "")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite keeps counting in storefronts.case_seq
    for storefront_id, case_seq in bind.execute(sa.text("SELECT id, case_seq FROM storefronts")):
        op.execute(f'CREATE SEQUENCE "{_name(storefront_id)}" START WITH {case_seq + 1}')


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for (storefront_id,) in bind.execute(sa.text("SELECT id FROM storefronts")).all():
        name = _name(storefront_id)
        # The counter column takes over where the sequence stopped.
        op.execute(
            f"UPDATE storefronts SET case_seq = (SELECT CASE WHEN is_called THEN last_value "
            f"ELSE last_value - 1 END FROM \"{name}\") WHERE id = '{storefront_id}'"
        )
        op.execute(f'DROP SEQUENCE "{name}"')
