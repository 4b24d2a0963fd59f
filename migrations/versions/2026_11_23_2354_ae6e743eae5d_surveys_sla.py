"""surveys and sla

Revision ID: ae6e743eae5d
Revises: 979ebe30249f
Create Date: 2026-11-23 23:54:35.907526
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ae6e743eae5d"
down_revision: str | None = "979ebe30249f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sla_breaches",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("clock", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_sla_breaches_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breaches")),
        sa.UniqueConstraint(
            "case_id", "clock", "due_at", name=op.f("uq_sla_breaches_case_id_clock_due_at")
        ),
    )
    op.create_table(
        "surveys",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "sent",
                "answered",
                "expired",
                name="survey_status",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("invite_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("service_attitude", sa.Integer(), nullable=True),
        sa.Column("product_quality", sa.Integer(), nullable=True),
        sa.Column("price_reasonableness", sa.Integer(), nullable=True),
        sa.Column("overall_satisfaction", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "answer_channel",
            sa.Enum("link", "phone", name="survey_answer_channel", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_surveys_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    op.create_index(op.f("ix_surveys_case_id"), "surveys", ["case_id"], unique=False)
    op.create_index(op.f("ix_surveys_status"), "surveys", ["status"], unique=False)
    with op.batch_alter_table("cases") as batch:
        for column in (
            "resolution_due_at",
            "resolution_paused_at",
            "completed_at",
            "followup_due_at",
            "followed_up_at",
        ):
            batch.add_column(sa.Column(column, sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("storefronts") as batch:
        batch.add_column(
            sa.Column("resolution_hours", sa.JSON(), server_default="{}", nullable=False)
        )
        batch.add_column(
            sa.Column("survey_delay_hours", sa.Integer(), server_default="24", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("storefronts") as batch:
        batch.drop_column("survey_delay_hours")
        batch.drop_column("resolution_hours")
    with op.batch_alter_table("cases") as batch:
        for column in (
            "followed_up_at",
            "followup_due_at",
            "completed_at",
            "resolution_paused_at",
            "resolution_due_at",
        ):
            batch.drop_column(column)
    op.drop_index(op.f("ix_surveys_status"), table_name="surveys")
    op.drop_index(op.f("ix_surveys_case_id"), table_name="surveys")
    op.drop_table("surveys")
    op.drop_table("sla_breaches")
