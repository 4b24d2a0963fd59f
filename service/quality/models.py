"""Quality reviews (质检): a supervisor or QA reviewer scores one logged contact."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, IdMixin, utcnow

#: The rubric (呼叫质量监控表), 1-5 each, in the order the form asks.
RUBRIC = ("greeting", "accuracy", "attitude", "resolution", "compliance")


class QaReview(IdMixin, Base):
    __tablename__ = "qa_reviews"
    __table_args__ = (
        # One review per contact and reviewer: a second one corrects the first.
        UniqueConstraint("contact_id", "reviewer_id"),
        Index("ix_qa_reviews_agent_created", "agent_id", "created_at"),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE"), index=True
    )
    #: Who handled the contact (the contact's staff member).
    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    reviewer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    reviewer_name: Mapped[str] = mapped_column(String(200))
    greeting: Mapped[int] = mapped_column(SmallInteger)
    accuracy: Mapped[int] = mapped_column(SmallInteger)
    attitude: Mapped[int] = mapped_column(SmallInteger)
    resolution: Mapped[int] = mapped_column(SmallInteger)
    compliance: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def score(self) -> float:
        """The mean of the rubric's five marks."""
        return sum(getattr(self, name) for name in RUBRIC) / len(RUBRIC)
