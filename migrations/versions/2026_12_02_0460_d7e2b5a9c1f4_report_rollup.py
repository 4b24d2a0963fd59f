"""the reports' daily rollup: report_days, report_day_intake, report_day_outcomes,
report_day_products, report_day_staff and the change marks report_day_changes

Revision ID: d7e2b5a9c1f4
Revises: e1f0c3b7a925
Create Date: 2026-12-02 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d7e2b5a9c1f4"
down_revision: str | None = "e1f0c3b7a925"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
COUNT = sa.Integer()


def _storefront(table: str) -> list:
    return [
        sa.Column("storefront_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["storefront_id"],
            ["storefronts.id"],
            name=op.f(f"fk_{table}_storefront_id_storefronts"),
            ondelete="CASCADE",
        ),
    ]


def _counts(*names: str) -> list:
    return [sa.Column(name, COUNT, nullable=False) for name in names]


DAY_SUMS = (
    "follow_up_due", "follow_up_met", "surveys_sent", "sent_answered_link",
    "sent_answered_phone", "answered", "attitude_sum", "attitude_n", "quality_sum",
    "quality_n", "price_sum", "price_n", "overall_sum", "overall_n", "satisfied",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "report_days",
        *_storefront("report_days"),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("built_at", UTC_DATETIME, nullable=False),
        sa.Column("settled_at", UTC_DATETIME, nullable=True),
        *_counts(*DAY_SUMS),
        sa.Column("first_response_hours", sa.Text(), nullable=False),
        sa.Column("resolution_hours", sa.Text(), nullable=False),
        sa.Column("lowest", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("storefront_id", "day", name=op.f("pk_report_days")),
    )
    op.create_index("ix_report_days_day", "report_days", ["day"])
    op.create_table(
        "report_day_intake",
        *_storefront("report_day_intake"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        *_counts("opened", "first_response_met", "first_response_due", "cancelled"),
        sa.PrimaryKeyConstraint(
            "storefront_id", "day", "kind", "channel", name=op.f("pk_report_day_intake")
        ),
    )
    op.create_index("ix_report_day_intake_day", "report_day_intake", ["day"])
    op.create_table(
        "report_day_outcomes",
        sa.Column("id", sa.Uuid(), nullable=False),
        *_storefront("report_day_outcomes"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        *_counts("completed", "resolution_met", "covered", "followed"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_day_outcomes")),
    )
    op.create_index(
        "ix_report_day_outcomes_storefront_day", "report_day_outcomes", ["storefront_id", "day"]
    )
    op.create_index(op.f("ix_report_day_outcomes_day"), "report_day_outcomes", ["day"])
    op.create_table(
        "report_day_products",
        sa.Column("id", sa.Uuid(), nullable=False),
        *_storefront("report_day_products"),
        sa.Column("cohort", sa.String(16), nullable=False),
        sa.Column("sku", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        *_counts("cases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_day_products")),
    )
    op.create_index(
        "ix_report_day_products_storefront_day", "report_day_products", ["storefront_id", "day"]
    )
    op.create_index(op.f("ix_report_day_products_day"), "report_day_products", ["day"])
    op.create_table(
        "report_day_staff",
        *_storefront("report_day_staff"),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        *_counts("contacts", "first_answers"),
        sa.PrimaryKeyConstraint(
            "storefront_id", "day", "staff_id", name=op.f("pk_report_day_staff")
        ),
    )
    op.create_index("ix_report_day_staff_day", "report_day_staff", ["day"])
    op.create_table(
        "report_day_changes",
        sa.Column("id", sa.Uuid(), nullable=False),
        *_storefront("report_day_changes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_day_changes")),
    )
    op.create_index(
        "ix_report_day_changes_storefront_day", "report_day_changes", ["storefront_id", "day"]
    )


def downgrade() -> None:
    for table in (
        "report_day_changes",
        "report_day_staff",
        "report_day_products",
        "report_day_outcomes",
        "report_day_intake",
        "report_days",
    ):
        op.drop_table(table)
