"""A case as the customer sees it: what the templates show, already in the customer's
words, money and local time. Nothing internal gets this far."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from babel.dates import format_date
from babel.numbers import format_percent
from sqlalchemy.orm import Session

from service.cases.models import Case, CaseEvent
from service.contact_log.models import ContactDirection
from service.conversations.outbound import case_messages
from service.customer_pages.strings import STRINGS, page_locale, translator
from service.notifications.rendering import format_datetime_local, format_money, status_words
from service.quotes.models import Quote, QuoteLine, QuoteStatus
from service.shipments.models import Direction
from service.storefronts.models import Storefront

_BABEL_LOCALE: Final = {"en": "en", "zh-CN": "zh_Hans_CN"}
# Only web links may become an href, whatever a carrier integration stored.
_WEB_URL: Final = re.compile(r"https?://[^\s\"'<>]+$", re.IGNORECASE)
#: What a timeline entry may add to the action's words: the texts the customer's notices
#: carry too (service.notifications.outbox), so nothing here is news to them.
_EVENT_DETAILS: Final = {
    "request_item": ("shipping_instructions", "timeline_shipping_instructions"),
    "resolve": ("resolution", "timeline_resolution"),
    "cancel": ("reason", "timeline_reason"),
    "tracking_update": ("description", "timeline_tracking"),
}


@dataclass(frozen=True)
class TimelineEntry:
    when: str
    words: str
    detail: str | None


@dataclass(frozen=True)
class MessageView:
    when: str
    author: str
    body: str
    ours: bool


@dataclass(frozen=True)
class LineView:
    description: str
    #: "2 × ¥450.00" when more than one.
    quantity: str | None
    #: What the customer pays (or "Free").
    amount: str
    #: The price the warranty waived, shown struck through.
    waived_amount: str | None
    waived_reason: str | None


@dataclass(frozen=True)
class QuoteView:
    quote: Quote
    #: pending, approved, declined, superseded or expired.
    state: str
    title: str
    lines: list[LineView]
    subtotal: str
    #: "Tax (13%)", or None when the storefront charges none.
    tax_label: str | None
    tax: str
    total: str
    free: bool
    valid_until: str
    decided_at: str | None


@dataclass(frozen=True)
class ParcelView:
    carrier: str
    tracking_number: str
    tracking_url: str | None
    #: The carrier's latest status in the customer's words (None: no tracking).
    status: str | None = None


class Presenter:
    """Formats for one customer: their locale and time zone."""

    def __init__(self, session: Session, case: Case) -> None:
        self.case = case
        self.locale = page_locale(case.customer.locale)
        self.time_zone = case.customer.time_zone or "UTC"
        self.t: Callable[..., str] = translator(self.locale)
        self.storefront_name = session.get(Storefront, case.storefront_id).name

    def when(self, moment: datetime) -> str:
        try:
            return format_datetime_local(moment, self.time_zone, self.locale)
        except ValueError:
            # A zone the customer record got wrong must not cost them the page.
            return format_datetime_local(moment, "UTC", self.locale)

    def money(self, amount_minor: int, currency: str) -> str:
        return format_money(amount_minor, currency, self.locale)

    @property
    def status_words(self) -> str:
        return status_words(self.case.status.value, self.locale)

    def timeline(self) -> list[TimelineEntry]:
        """The changes of status and the carrier's updates, newest first; internal events
        never."""
        shown = [
            event
            for event in self.case.events
            if not event.internal
            and (event.from_status != event.to_status or event.action == "tracking_update")
        ]
        return [self._entry(event) for event in reversed(shown)]

    def conversation(self, session: Session) -> list[MessageView]:
        """Our messages and the customer's replies, oldest first; notes and machine
        mail never (service/conversations/)."""
        return [
            MessageView(
                when=self.when(message.created_at),
                author=self.t("message_from_us", storefront=self.storefront_name)
                if message.direction == ContactDirection.outbound
                else self.t("message_from_you"),
                body=message.body,
                ours=message.direction == ContactDirection.outbound,
            )
            for message in case_messages(session, self.case, customer_view=True)
        ]

    def _parcel_status(self, status: str | None) -> str | None:
        key = f"parcel_{status}"
        return self.t(key) if status and key in STRINGS[self.locale] else None

    def _entry(self, event: CaseEvent) -> TimelineEntry:
        key = f"event_{event.action}"
        words = (
            self.t(key)
            if key in STRINGS[self.locale]
            else status_words(event.to_status.value, self.locale)
        )
        # Staff notes are written for colleagues; only text meant for the customer is shown.
        detail = None
        if event.action in _EVENT_DETAILS:
            field, pattern = _EVENT_DETAILS[event.action]
            if text := (event.data or {}).get(field):
                detail = self.t(pattern, text=text)
        return TimelineEntry(self.when(event.created_at), words, detail)

    def _waived_reason(self, line: QuoteLine) -> str | None:
        # The stored reason is English ("In warranty until 2027-10-01: free of charge.");
        # a Chinese reader gets the same fact from the item's warranty, in Chinese.
        item = next((i for i in self.case.items if i.id == line.case_item_id), None)
        if self.locale == "en" or item is None or not item.in_warranty:
            return line.waived_reason
        until = format_date(item.warranty_until, "long", locale=_BABEL_LOCALE[self.locale])
        return self.t("warranty_until", date=until)

    def quote(self, quote: Quote, now: datetime) -> QuoteView:
        state = "expired" if quote.expired(now) else quote.status.value
        lines = []
        for line in quote.lines:
            each = self.money(line.unit_price_minor, quote.currency)
            waived = bool(line.waived_reason) and line.charged_minor == 0
            lines.append(
                LineView(
                    description=line.description,
                    quantity=self.t("quote_line_quantity", quantity=line.quantity, unit_price=each)
                    if line.quantity != 1
                    else None,
                    amount=self.t("free")
                    if waived
                    else self.money(line.charged_minor, quote.currency),
                    waived_amount=self.money(line.amount_minor, quote.currency) if waived else None,
                    waived_reason=self._waived_reason(line) if waived else None,
                )
            )
        rate = format_percent(
            Decimal(quote.tax_rate_bp) / 10_000, "#,##0.##%", locale=_BABEL_LOCALE[self.locale]
        )
        decided = quote.status in (QuoteStatus.approved, QuoteStatus.declined)
        return QuoteView(
            quote=quote,
            state=state,
            # "Quote 1" means nothing to a customer; a later revision is worth pointing out.
            title=self.t("quote_heading")
            if quote.revision == 1
            else self.t("quote_revised", revision=quote.revision),
            lines=lines,
            subtotal=self.money(quote.subtotal_minor, quote.currency),
            tax_label=self.t("tax", rate=rate) if quote.tax_rate_bp else None,
            tax=self.money(quote.tax_minor, quote.currency),
            total=self.money(quote.total_minor, quote.currency),
            free=quote.total_minor == 0,
            valid_until=self.when(quote.valid_until),
            decided_at=self.when(quote.decided_at) if decided and quote.decided_at else None,
        )

    def parcels(self) -> list[ParcelView]:
        """Shipments on their way back to the customer, newest first."""
        return [
            ParcelView(
                carrier=shipment.carrier_name,
                tracking_number=shipment.tracking_number,
                tracking_url=shipment.tracking_url
                if shipment.tracking_url and _WEB_URL.match(shipment.tracking_url)
                else None,
                status=self._parcel_status(shipment.tracking_status),
            )
            for shipment in reversed(self.case.shipments)
            if shipment.direction == Direction.outbound
        ]
