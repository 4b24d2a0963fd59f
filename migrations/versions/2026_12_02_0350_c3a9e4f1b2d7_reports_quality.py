"""reports and quality review: storefront time zone, QA reviews, report deliveries,
indexes for the period queries

Revision ID: c3a9e4f1b2d7
Revises: c4e8a1f3b9d2
Create Date: 2026-12-02 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3a9e4f1b2d7"
down_revision: str | None = "c4e8a1f3b9d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)

INDEXES = (
    ("ix_cases_completed_at", "cases", ["completed_at"]),
    ("ix_cases_storefront_completed", "cases", ["storefront_id", "completed_at"]),
    ("ix_cases_followup_due", "cases", ["followup_due_at"]),
    ("ix_surveys_sent_at", "surveys", ["sent_at"]),
    ("ix_surveys_answered_at", "surveys", ["answered_at"]),
    ("ix_contacts_occurred_at", "contacts", ["occurred_at"]),
    ("ix_case_events_action_created", "case_events", ["action", "created_at"]),
)


def upgrade() -> None:
    with op.batch_alter_table("storefronts") as batch:
        batch.add_column(
            sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC")
        )
    op.create_table(
        "qa_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("storefront_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("reviewer_id", sa.Uuid(), nullable=False),
        sa.Column("reviewer_name", sa.String(200), nullable=False),
        *(
            sa.Column(name, sa.SmallInteger(), nullable=False)
            for name in ("greeting", "accuracy", "attitude", "resolution", "compliance")
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        *(
            sa.ForeignKeyConstraint(
                [column],
                [f"{table}.id"],
                name=op.f(f"fk_qa_reviews_{column}_{table}"),
                ondelete="CASCADE",
            )
            for column, table in (
                ("contact_id", "contacts"),
                ("case_id", "cases"),
                ("storefront_id", "storefronts"),
                ("agent_id", "staff_users"),
                ("reviewer_id", "staff_users"),
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_reviews")),
        sa.UniqueConstraint(
            "contact_id", "reviewer_id", name=op.f("uq_qa_reviews_contact_id_reviewer_id")
        ),
    )
    op.create_index("ix_qa_reviews_agent_created", "qa_reviews", ["agent_id", "created_at"])
    op.create_index(op.f("ix_qa_reviews_storefront_id"), "qa_reviews", ["storefront_id"])
    op.create_table(
        "report_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("storefront_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_at", UTC_DATETIME, nullable=False),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["storefront_id"],
            ["storefronts.id"],
            name=op.f("fk_report_deliveries_storefront_id_storefronts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_deliveries")),
        sa.UniqueConstraint(
            "storefront_id",
            "kind",
            "starts_on",
            name=op.f("uq_report_deliveries_storefront_id_kind_starts_on"),
        ),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("report_deliveries")
    op.drop_index(op.f("ix_qa_reviews_storefront_id"), table_name="qa_reviews")
    op.drop_index("ix_qa_reviews_agent_created", table_name="qa_reviews")
    op.drop_table("qa_reviews")
    with op.batch_alter_table("storefronts") as batch:
        batch.drop_column("time_zone")
