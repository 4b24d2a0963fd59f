"""conversations

Revision ID: c14a0e5d7b21
Revises: b7c1e2d3f4a5
Create Date: 2026-12-02 02:44:06.148803

Messages on a case (and unmatched inbound ones), saved replies per storefront, the IMAP
poller's cursor; the case's customer-replied flag and the customer's bounced address.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c14a0e5d7b21"
down_revision: str | None = "b7c1e2d3f4a5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_mailbox_cursors",
        sa.Column("mailbox", sa.String(length=400), nullable=False),
        sa.Column("uid_validity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_uid", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox", name=op.f("pk_conversation_mailbox_cursors")),
    )
    op.create_table(
        "conversation_macros",
        sa.Column("storefront_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("bodies", sa.JSON(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["storefront_id"],
            ["storefronts.id"],
            name=op.f("fk_conversation_macros_storefront_id_storefronts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_macros")),
        sa.UniqueConstraint(
            "storefront_id", "name", name=op.f("uq_conversation_macros_storefront_id_name")
        ),
    )
    op.create_table(
        "conversation_messages",
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("storefront_id", sa.Uuid(), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "message",
                "note",
                "reply",
                "auto_reply",
                "bounce",
                name="message_kind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "direction",
            sa.Enum("in", "out", name="contact_direction", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=True),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("original", sa.Text(), nullable=True),
        sa.Column("matched_by", sa.String(length=20), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("notice_key", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["staff_users.id"],
            name=op.f("fk_conversation_messages_author_id_staff_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_conversation_messages_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_conversation_messages_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["storefront_id"],
            ["storefronts.id"],
            name=op.f("fk_conversation_messages_storefront_id_storefronts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
        sa.UniqueConstraint("external_id", name=op.f("uq_conversation_messages_external_id")),
    )
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_messages_case_created", ["case_id", "created_at"], unique=False
        )

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "customer_replied", sa.Boolean(), server_default=sa.text("false"), nullable=False
            )
        )

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_bounced_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("email_bounce_reason", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("email_bounce_reason")
        batch_op.drop_column("email_bounced_at")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("customer_replied")

    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_messages_case_created")

    op.drop_table("conversation_messages")
    op.drop_table("conversation_macros")
    op.drop_table("conversation_mailbox_cursors")
