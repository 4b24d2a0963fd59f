"""Follow-up surveys (回访): one per completion of a case, answered once."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, IdMixin, str_enum, utcnow


class SurveyStatus(enum.StrEnum):
    #: Waiting for its invitation time (the delay after completion).
    scheduled = "scheduled"
    #: Invitation sent; waiting for the answer until `expires_at`.
    sent = "sent"
    answered = "answered"
    #: The window ended unanswered; the case was closed without it.
    expired = "expired"


class AnswerChannel(enum.StrEnum):
    #: The customer, on the survey page.
    link = "link"
    #: Staff, on the customer's word over the phone.
    phone = "phone"


class Survey(IdMixin, Base):
    __tablename__ = "surveys"

    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[SurveyStatus] = mapped_column(
        str_enum(SurveyStatus, "survey_status"), index=True
    )
    invite_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)
    reminded_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None] = mapped_column(index=True)
    # The answers (1-5 each), as the follow-up asks: 服务态度、产品质量、收费价格合理.
    service_attitude: Mapped[int | None]
    product_quality: Mapped[int | None]
    price_reasonableness: Mapped[int | None]
    overall_satisfaction: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    answer_channel: Mapped[AnswerChannel | None] = mapped_column(
        str_enum(AnswerChannel, "survey_answer_channel")
    )
    recorded_by_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
