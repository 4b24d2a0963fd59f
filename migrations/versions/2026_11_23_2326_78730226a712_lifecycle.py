"""lifecycle: events, receipts, quotes, shipments, contacts, staff tokens

Revision ID: 78730226a712
Revises: 066dbd8160a6
Create Date: 2026-11-23 23:26:17.082868
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "78730226a712"
down_revision: str | None = "066dbd8160a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_tokens",
        sa.Column("staff_user_id", sa.Uuid(), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_tokens_staff_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_tokens")),
        sa.UniqueConstraint("prefix", name=op.f("uq_staff_tokens_prefix")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_staff_tokens_staff_user_id"), "staff_tokens", ["staff_user_id"], unique=False
    )
    op.create_table(
        "case_events",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "open",
                "awaiting_item",
                "received",
                "diagnosing",
                "quote_pending",
                "repairing",
                "ready_to_ship",
                "shipped",
                "delivered",
                "refunded",
                "resolved",
                "closed",
                "cancelled",
                name="case_status",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "open",
                "awaiting_item",
                "received",
                "diagnosing",
                "quote_pending",
                "repairing",
                "ready_to_ship",
                "shipped",
                "delivered",
                "refunded",
                "resolved",
                "closed",
                "cancelled",
                name="case_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("internal", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
        sa.UniqueConstraint("case_id", "sequence", name=op.f("uq_case_events_case_id_sequence")),
    )
    op.create_table(
        "contacts",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "direction",
            sa.Enum("in", "out", name="contact_direction", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "phone",
                "email",
                "chat",
                "sms",
                "visit",
                name="contact_channel",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("staff_id", sa.Uuid(), nullable=True),
        sa.Column("staff_name", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_contacts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_contacts_staff_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_case_id"), "contacts", ["case_id"], unique=False)
    op.create_table(
        "quotes",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "declined",
                "superseded",
                name="quote_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_minor", sa.Integer(), nullable=False),
        sa.Column("tax_rate_bp", sa.Integer(), nullable=False),
        sa.Column("tax_minor", sa.Integer(), nullable=False),
        sa.Column("total_minor", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_name", sa.String(length=200), nullable=True),
        sa.Column(
            "decided_via",
            sa.Enum(
                "customer_link",
                "storefront",
                "staff_phone",
                name="decision_channel",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_quotes_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
    )
    op.create_index(op.f("ix_quotes_case_id"), "quotes", ["case_id"], unique=False)
    op.create_table(
        "shipments",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "direction",
            sa.Enum("inbound", "outbound", name="shipment_direction", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("carrier_code", sa.String(length=32), nullable=True),
        sa.Column("carrier_name", sa.String(length=100), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("tracking_url", sa.String(length=500), nullable=True),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_shipments_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    op.create_index(op.f("ix_shipments_case_id"), "shipments", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_shipments_tracking_number"), "shipments", ["tracking_number"], unique=False
    )
    op.create_table(
        "item_receipts",
        sa.Column("case_item_id", sa.Uuid(), nullable=False),
        sa.Column(
            "condition",
            sa.Enum(
                "as_described",
                "damaged",
                "missing_parts",
                "not_as_described",
                name="item_condition",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("accessories", sa.JSON(), nullable=False),
        sa.Column("serial_number_seen", sa.String(length=64), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("received_by_id", sa.Uuid(), nullable=True),
        sa.Column("received_by_name", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_item_id"],
            ["case_items.id"],
            name=op.f("fk_item_receipts_case_item_id_case_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"],
            ["staff_users.id"],
            name=op.f("fk_item_receipts_received_by_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_receipts")),
    )
    op.create_index(
        op.f("ix_item_receipts_case_item_id"), "item_receipts", ["case_item_id"], unique=False
    )
    op.create_table(
        "quote_lines",
        sa.Column("quote_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("case_item_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "part",
                "labour",
                "shipping",
                "other",
                name="quote_line_kind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("charged_minor", sa.Integer(), nullable=False),
        sa.Column("waived_reason", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_item_id"],
            ["case_items.id"],
            name=op.f("fk_quote_lines_case_item_id_case_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quotes.id"],
            name=op.f("fk_quote_lines_quote_id_quotes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_lines")),
    )
    op.create_index(op.f("ix_quote_lines_quote_id"), "quote_lines", ["quote_id"], unique=False)
    # Batch operations: SQLite rebuilds the table, PostgreSQL alters it in place.
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("assignee_id", sa.Uuid(), nullable=True))
        batch.add_column(
            sa.Column("escalated", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
        batch.add_column(sa.Column("problem_found", sa.Text(), nullable=True))
        batch.add_column(sa.Column("cause", sa.Text(), nullable=True))
        batch.add_column(sa.Column("fix", sa.Text(), nullable=True))
        batch.add_column(sa.Column("refund_amount_minor", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("refund_currency", sa.String(length=3), nullable=True))
        batch.create_index(batch.f("ix_cases_assignee_id"), ["assignee_id"], unique=False)
        batch.create_foreign_key(
            batch.f("fk_cases_assignee_id_staff_users"),
            "staff_users",
            ["assignee_id"],
            ["id"],
            ondelete="SET NULL",
        )
    # Idempotency keys become per caller (storefront or staff). Stored replies are a
    # short-lived cache of finished requests, so they are dropped, not converted.
    op.execute("DELETE FROM idempotency_keys")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("principal", sa.String(length=80), nullable=False))
        batch.drop_constraint("uq_idempotency_keys_storefront_id_key", type_="unique")
        batch.drop_constraint("fk_idempotency_keys_storefront_id_storefronts", type_="foreignkey")
        batch.drop_column("storefront_id")
        batch.create_unique_constraint("uq_idempotency_keys_principal_key", ["principal", "key"])
    with op.batch_alter_table("storefronts") as batch:
        batch.add_column(sa.Column("tax_rate_bp", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("storefronts") as batch:
        batch.drop_column("tax_rate_bp")
    op.execute("DELETE FROM idempotency_keys")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_constraint("uq_idempotency_keys_principal_key", type_="unique")
        batch.drop_column("principal")
        batch.add_column(sa.Column("storefront_id", sa.Uuid(), nullable=False))
        batch.create_foreign_key(
            "fk_idempotency_keys_storefront_id_storefronts",
            "storefronts",
            ["storefront_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint(
            "uq_idempotency_keys_storefront_id_key", ["storefront_id", "key"]
        )
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("fk_cases_assignee_id_staff_users", type_="foreignkey")
        batch.drop_index("ix_cases_assignee_id")
        for column in (
            "refund_currency",
            "refund_amount_minor",
            "fix",
            "cause",
            "problem_found",
            "escalated",
            "assignee_id",
        ):
            batch.drop_column(column)
    op.drop_index(op.f("ix_quote_lines_quote_id"), table_name="quote_lines")
    op.drop_table("quote_lines")
    op.drop_index(op.f("ix_item_receipts_case_item_id"), table_name="item_receipts")
    op.drop_table("item_receipts")
    op.drop_index(op.f("ix_shipments_tracking_number"), table_name="shipments")
    op.drop_index(op.f("ix_shipments_case_id"), table_name="shipments")
    op.drop_table("shipments")
    op.drop_index(op.f("ix_quotes_case_id"), table_name="quotes")
    op.drop_table("quotes")
    op.drop_index(op.f("ix_contacts_case_id"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_table("case_events")
    op.drop_index(op.f("ix_staff_tokens_staff_user_id"), table_name="staff_tokens")
    op.drop_table("staff_tokens")
