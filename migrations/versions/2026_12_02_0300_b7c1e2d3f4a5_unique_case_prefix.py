"""case prefixes are unique across storefronts

Revision ID: b7c1e2d3f4a5
Revises: 061779b8c652
Create Date: 2026-12-02 03:00:00

Two storefronts with one prefix issued the same case numbers (both `SA-000001`), so a
staff lookup by number picked one of two cases. Existing duplicates are renamed
deterministically before the constraint is added: per prefix, the oldest storefront
(created_at, then id) keeps it and each later one gets the first free of `<prefix>2`,
`<prefix>3`, ... Their cases keep the numbers they were issued (customers hold them);
new cases get the new prefix. The downgrade drops the constraint and the index but
leaves the renamed prefixes as they are (they are valid, unique values either way).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7c1e2d3f4a5"
down_revision: str | None = "061779b8c652"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_MAX = 12

storefronts = sa.table(
    "storefronts",
    sa.column("id", sa.Uuid()),
    sa.column("case_prefix", sa.String(PREFIX_MAX)),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _deduplicate(connection: sa.Connection) -> None:
    rows = connection.execute(
        sa.select(storefronts.c.id, storefronts.c.case_prefix).order_by(
            storefronts.c.created_at, storefronts.c.id
        )
    ).all()
    taken = {prefix for _id, prefix in rows}
    seen: set[str] = set()
    for storefront_id, prefix in rows:
        if prefix not in seen:
            seen.add(prefix)
            continue
        n = 2
        while (candidate := f"{prefix[: PREFIX_MAX - len(str(n))]}{n}") in taken:
            n += 1
        taken.add(candidate)
        seen.add(candidate)
        connection.execute(
            sa.update(storefronts)
            .where(storefronts.c.id == storefront_id)
            .values(case_prefix=candidate)
        )


def upgrade() -> None:
    _deduplicate(op.get_bind())
    with op.batch_alter_table("storefronts") as batch:
        batch.create_unique_constraint(op.f("uq_storefronts_case_prefix"), ["case_prefix"])
    op.create_index("ix_cases_number", "cases", ["number"])


def downgrade() -> None:
    op.drop_index("ix_cases_number", table_name="cases")
    with op.batch_alter_table("storefronts") as batch:
        batch.drop_constraint(op.f("uq_storefronts_case_prefix"), type_="unique")
