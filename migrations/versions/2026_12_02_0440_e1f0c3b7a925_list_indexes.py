"""list indexes: every list filter the leading part of an index in the list's order;
incremental sync on updated_at; lookups by serial number, SKU, e-mail and phone

Revision ID: e1f0c3b7a925
Revises: a7c2e9d4f1b3
Create Date: 2026-12-02 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1f0c3b7a925"
down_revision: str | None = "a7c2e9d4f1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUNNING = "next_due_at IS NOT NULL"

INDEXES = (
    (
        "ix_cases_storefront_status_created",
        "cases",
        ["storefront_id", "status", "created_at", "id"],
    ),
    ("ix_cases_status_created", "cases", ["status", "created_at", "id"]),
    ("ix_cases_assignee_created", "cases", ["assignee_id", "created_at", "id"]),
    ("ix_cases_storefront_next_due", "cases", ["storefront_id", "next_due_at", "id"]),
    ("ix_cases_storefront_updated", "cases", ["storefront_id", "updated_at", "id"]),
    ("ix_cases_updated", "cases", ["updated_at", "id"]),
    ("ix_case_items_serial_number", "case_items", ["serial_number"]),
    ("ix_case_items_sku", "case_items", ["sku"]),
    ("ix_customers_email", "customers", ["email"]),
    ("ix_customers_phone", "customers", ["phone"]),
)
#: Only the cases with a clock still running (the backlog).
PARTIAL = (
    ("ix_cases_storefront_running_created", ["storefront_id", "created_at", "id"]),
    ("ix_cases_running_created", ["created_at", "id"]),
)
#: Single-column indexes the composite ones above replace (same leading column).
REPLACED = (("ix_cases_status", ["status"]), ("ix_cases_assignee_id", ["assignee_id"]))


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    for name, columns in PARTIAL:
        where = sa.text(RUNNING)
        op.create_index(name, "cases", columns, postgresql_where=where, sqlite_where=where)
    for name, _columns in REPLACED:
        op.drop_index(name, table_name="cases")


def downgrade() -> None:
    for name, columns in REPLACED:
        op.create_index(name, "cases", columns)
    for name, _columns in PARTIAL:
        op.drop_index(name, table_name="cases")
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
