"""SLA breaches, recorded once each so each produces exactly one alert."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, IdMixin, utcnow


class SlaBreach(IdMixin, Base):
    __tablename__ = "sla_breaches"
    # A clock that is reset (a reopened case) has a new due time: a new breach.
    __table_args__ = (UniqueConstraint("case_id", "clock", "due_at"),)

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    #: "first_response", "resolution" or "follow_up".
    clock: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime]
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
