"""The record of each scheduled report sent: one row per storefront and period, so
several workers (or a repeated tick) send it once."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service.core.db import Base, IdMixin, utcnow


class ReportDelivery(IdMixin, Base):
    __tablename__ = "report_deliveries"
    __table_args__ = (UniqueConstraint("storefront_id", "kind", "starts_on"),)

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE")
    )
    #: daily, weekly or monthly.
    kind: Mapped[str] = mapped_column(String(16))
    #: The first local day of the period reported.
    starts_on: Mapped[date] = mapped_column(Date)
    #: How many supervisors it was sent to.
    recipients: Mapped[int] = mapped_column(default=0, server_default="0")
    #: When a worker claimed it (moved on when a stale claim is taken over).
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None until every recipient's e-mail was handed to the backend.
    sent_at: Mapped[datetime | None]


# --- the daily rollup (service.reports.rollup) ---------------------------------------------
# One storefront's closed local day (in its zone), rebuilt from the live tables by the
# `report_rollup` periodic job; reports read it for whole days (service.reports.rolled).


class ReportDay(Base):
    """A built day and its single figures. Valid for a report at `now` when its zone is
    the report's, no change is pending for it and `settled_at` (if any) has passed."""

    __tablename__ = "report_days"
    __table_args__ = (Index("ix_report_days_day", "day"),)

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    #: The zone the day was cut in (a storefront moved to another zone: rebuilt).
    time_zone: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The latest first-response deadline of a case of the day still unanswered: until
    #: then, whether it counts as due depends on the report's clock (read live).
    settled_at: Mapped[datetime | None]
    follow_up_due: Mapped[int] = mapped_column(default=0)
    follow_up_met: Mapped[int] = mapped_column(default=0)
    surveys_sent: Mapped[int] = mapped_column(default=0)
    sent_answered_link: Mapped[int] = mapped_column(default=0)
    sent_answered_phone: Mapped[int] = mapped_column(default=0)
    answered: Mapped[int] = mapped_column(default=0)
    attitude_sum: Mapped[int] = mapped_column(default=0)
    attitude_n: Mapped[int] = mapped_column(default=0)
    quality_sum: Mapped[int] = mapped_column(default=0)
    quality_n: Mapped[int] = mapped_column(default=0)
    price_sum: Mapped[int] = mapped_column(default=0)
    price_n: Mapped[int] = mapped_column(default=0)
    overall_sum: Mapped[int] = mapped_column(default=0)
    overall_n: Mapped[int] = mapped_column(default=0)
    satisfied: Mapped[int] = mapped_column(default=0)
    #: JSON: [[hours, cases], ...] ascending, of first responses of the cases opened.
    first_response_hours: Mapped[str] = mapped_column(Text, default="[]")
    #: JSON: {kind: [[hours, cases], ...]} of the cases completed.
    resolution_hours: Mapped[str] = mapped_column(Text, default="{}")
    #: JSON: the day's lowest-scored answered surveys (at most the report's list).
    lowest: Mapped[str] = mapped_column(Text, default="[]")


class ReportDayIntake(Base):
    """Cases opened on the day per kind and channel."""

    __tablename__ = "report_day_intake"
    __table_args__ = (Index("ix_report_day_intake_day", "day"),)

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    opened: Mapped[int]
    first_response_met: Mapped[int]
    #: Answered, or unanswered with a deadline (due once `settled_at` has passed).
    first_response_due: Mapped[int]
    cancelled: Mapped[int]


class ReportDayOutcome(IdMixin, Base):
    """Cases completed on the day per kind and assignee."""

    __tablename__ = "report_day_outcomes"
    __table_args__ = (Index("ix_report_day_outcomes_storefront_day", "storefront_id", "day"),)

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[uuid.UUID | None]
    completed: Mapped[int]
    resolution_met: Mapped[int]
    covered: Mapped[int]
    followed: Mapped[int]


class ReportDayProduct(IdMixin, Base):
    """Cases per SKU: opened on the day (cause ''), or completed on it per cause."""

    __tablename__ = "report_day_products"
    __table_args__ = (Index("ix_report_day_products_storefront_day", "storefront_id", "day"),)

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date, index=True)
    #: opened or completed.
    cohort: Mapped[str] = mapped_column(String(16))
    sku: Mapped[str] = mapped_column(Text)
    cause: Mapped[str] = mapped_column(Text)
    cases: Mapped[int]


class ReportDayStaff(Base):
    """Per person: contacts logged and first answers given on the day."""

    __tablename__ = "report_day_staff"
    __table_args__ = (Index("ix_report_day_staff_day", "day"),)

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    contacts: Mapped[int]
    first_answers: Mapped[int]


class ReportDayChange(IdMixin, Base):
    """A day whose figures changed since it was built: written in the transaction of the
    change (service.reports.changes), consumed by the rebuild; reports read such a day
    live until then."""

    __tablename__ = "report_day_changes"
    __table_args__ = (Index("ix_report_day_changes_storefront_day", "storefront_id", "day"),)

    storefront_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("storefronts.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
