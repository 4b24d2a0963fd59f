"""case numbers from a sequence per storefront on PostgreSQL (no row lock until commit)

A trigger makes each storefront's sequence when its row is inserted (by the app or by
SQL) and drops it with the row; the storefronts there already get theirs here,
starting after their last number.

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

#: As service.storefronts.models.case_number_sequence (migrations do not import the app).
NAME = "'case_seq_' || replace({id}::text, '-', '')"

FUNCTION = f"""
CREATE FUNCTION storefront_case_sequence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('CREATE SEQUENCE %I START WITH %s', {NAME.format(id="NEW.id")},
                       NEW.case_seq + 1);
        RETURN NEW;
    END IF;
    EXECUTE format('DROP SEQUENCE IF EXISTS %I', {NAME.format(id="OLD.id")});
    RETURN OLD;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps counting in storefronts.case_seq
    op.execute(FUNCTION)
    op.execute(
        "CREATE TRIGGER storefront_case_sequence AFTER INSERT OR DELETE ON storefronts "
        "FOR EACH ROW EXECUTE FUNCTION storefront_case_sequence()"
    )
    op.execute(
        sa.text(
            "DO $$ DECLARE s record; BEGIN FOR s IN SELECT id, case_seq FROM storefronts LOOP "
            f"EXECUTE format('CREATE SEQUENCE %I START WITH %s', {NAME.format(id='s.id')}, "
            "s.case_seq + 1); END LOOP; END $$"
        )
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER storefront_case_sequence ON storefronts")
    op.execute("DROP FUNCTION storefront_case_sequence()")
    # The counter column takes over where each sequence stopped.
    op.execute(
        sa.text(
            "DO $$ DECLARE s record; n bigint; BEGIN FOR s IN SELECT id FROM storefronts LOOP "
            f"EXECUTE format('SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 "
            f"END FROM %I', {NAME.format(id='s.id')}) INTO n; "
            "UPDATE storefronts SET case_seq = n WHERE id = s.id; "
            f"EXECUTE format('DROP SEQUENCE %I', {NAME.format(id='s.id')}); "
            "END LOOP; END $$"
        )
    )
