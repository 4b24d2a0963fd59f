"""foundation: storefronts, keys, staff, customers, cases

Revision ID: 066dbd8160a6
Revises:
Create Date: 2026-11-23 23:16:21.247179
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "066dbd8160a6"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "storefronts",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("case_prefix", sa.String(length=12), server_default="RMA", nullable=False),
        sa.Column("case_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("warranty_months", sa.Integer(), server_default="12", nullable=False),
        sa.Column("return_window_days", sa.Integer(), server_default="7", nullable=False),
        sa.Column("first_response_hours", sa.Integer(), server_default="24", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storefronts")),
        sa.UniqueConstraint("slug", name=op.f("uq_storefronts_slug")),
    )
    op.create_table(
        "api_keys",
        sa.Column("storefront_id", sa.Uuid(), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["storefront_id"],
            ["storefronts.id"],
            name=op.f("fk_api_keys_storefront_id_storefronts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_index(op.f("ix_api_keys_storefront_id"), "api_keys", ["storefront_id"], unique=False)
    op.create_table(
        "customers",
        sa.Column("storefront_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("locale", sa.String(length=10), server_default="en", nullable=False),
        sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column("consent_email", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("consent_sms", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["storefront_id"],
            ["storefronts.id"],
            name=op.f("fk_customers_storefront_id_storefronts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint(
            "storefront_id", "external_id", name=op.f("uq_customers_storefront_id_external_id")
        ),
    )
    op.create_index(
        "ix_customers_storefront_created",
        "customers",
        ["storefront_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_customers_storefront_email", "customers", ["storefront_id", "email"], unique=False
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("storefront_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["storefront_id"],
            ["storefronts.id"],
            name=op.f("fk_idempotency_keys_storefront_id_storefronts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "storefront_id", "key", name=op.f("uq_idempotency_keys_storefront_id_key")
        ),
    )
    op.create_table(
        "staff_users",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "agent",
                "technician",
                "supervisor",
                "admin",
                name="staff_role",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("storefront_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["storefront_id"],
            ["storefronts.id"],
            name=op.f("fk_staff_users_storefront_id_storefronts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_users_email")),
    )
    op.create_index(
        op.f("ix_staff_users_storefront_id"), "staff_users", ["storefront_id"], unique=False
    )
    op.create_table(
        "cases",
        sa.Column("storefront_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "repair",
                "return",
                "exchange",
                "complaint",
                "inquiry",
                name="case_kind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "web",
                "phone",
                "chat",
                "email",
                "api",
                name="case_channel",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
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
        sa.Column(
            "priority",
            sa.Enum(
                "low",
                "normal",
                "high",
                "urgent",
                name="case_priority",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("order_reference", sa.String(length=128), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("first_response_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_cases_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["storefront_id"],
            ["storefronts.id"],
            name=op.f("fk_cases_storefront_id_storefronts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("storefront_id", "number", name=op.f("uq_cases_storefront_id_number")),
    )
    op.create_index(op.f("ix_cases_customer_id"), "cases", ["customer_id"], unique=False)
    op.create_index(op.f("ix_cases_status"), "cases", ["status"], unique=False)
    op.create_index(
        "ix_cases_storefront_created", "cases", ["storefront_id", "created_at", "id"], unique=False
    )
    op.create_index(
        "ix_cases_storefront_order", "cases", ["storefront_id", "order_reference"], unique=False
    )
    op.create_table(
        "case_items",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("serial_number", sa.String(length=64), nullable=True),
        sa.Column("purchase_date", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("warranty_months", sa.Integer(), nullable=False),
        sa.Column("warranty_until", sa.Date(), nullable=False),
        sa.Column("in_warranty", sa.Boolean(), nullable=False),
        sa.Column("return_window_days", sa.Integer(), nullable=False),
        sa.Column("return_until", sa.Date(), nullable=False),
        sa.Column("returnable", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_items_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_items")),
    )
    op.create_index(op.f("ix_case_items_case_id"), "case_items", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_items_case_id"), table_name="case_items")
    op.drop_table("case_items")
    op.drop_index("ix_cases_storefront_order", table_name="cases")
    op.drop_index("ix_cases_storefront_created", table_name="cases")
    op.drop_index(op.f("ix_cases_status"), table_name="cases")
    op.drop_index(op.f("ix_cases_customer_id"), table_name="cases")
    op.drop_table("cases")
    op.drop_index(op.f("ix_staff_users_storefront_id"), table_name="staff_users")
    op.drop_table("staff_users")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_customers_storefront_email", table_name="customers")
    op.drop_index("ix_customers_storefront_created", table_name="customers")
    op.drop_table("customers")
    op.drop_index(op.f("ix_api_keys_storefront_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("storefronts")
