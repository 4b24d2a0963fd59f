"""carrier tracking: aggregator accounts, shipment checkpoints, tracking state

Revision ID: e7b2c9d4a1f6
Revises: d7e2b5a9c1f4
Create Date: 2026-12-02 04:10:00

Each storefront may have one tracking aggregator account (Kuaidi100 or AfterShip);
shipments gain their tracking status, desk flag and subscription state; the pushed
checkpoints are stored once each (unique per shipment and dedupe key). Existing
shipments have no provider and are left alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7b2c9d4a1f6"
down_revision: str | None = "d7e2b5a9c1f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tracking_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("storefront_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("api_key", sa.String(200), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("callback_token", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["storefront_id"], ["storefronts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("storefront_id"),
        sa.UniqueConstraint("callback_token"),
    )
    op.create_table(
        "shipment_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("shipment_id", sa.Uuid(), nullable=False),
        sa.Column("dedupe_key", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("provider_status", sa.String(64), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("occurred_at", UTC_DATETIME, nullable=True),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipments.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("shipment_id", "dedupe_key"),
    )
    op.create_index("ix_shipment_events_shipment_id", "shipment_events", ["shipment_id"])
    with op.batch_alter_table("shipments") as batch:
        batch.add_column(sa.Column("tracking_provider", sa.String(20), nullable=True))
        batch.add_column(sa.Column("tracking_status", sa.String(32), nullable=True))
        batch.add_column(sa.Column("tracking_updated_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("last_checkpoint_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("tracking_flag", sa.String(20), nullable=True))
        batch.add_column(sa.Column("tracking_flag_note", sa.String(500), nullable=True))
        batch.add_column(sa.Column("tracking_flagged_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("subscription_status", sa.String(16), nullable=True))
        batch.add_column(
            sa.Column("subscription_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch.add_column(sa.Column("subscription_due_at", UTC_DATETIME, nullable=True))
        batch.add_column(sa.Column("subscription_error", sa.String(500), nullable=True))
        batch.create_index("ix_shipments_subscription_status", ["subscription_status"])


def downgrade() -> None:
    with op.batch_alter_table("shipments") as batch:
        batch.drop_index("ix_shipments_subscription_status")
        for column in (
            "subscription_error",
            "subscription_due_at",
            "subscription_attempts",
            "subscription_status",
            "tracking_flagged_at",
            "tracking_flag_note",
            "tracking_flag",
            "last_checkpoint_at",
            "tracking_updated_at",
            "tracking_status",
            "tracking_provider",
        ):
            batch.drop_column(column)
    op.drop_index("ix_shipment_events_shipment_id", table_name="shipment_events")
    op.drop_table("shipment_events")
    op.drop_table("tracking_accounts")
