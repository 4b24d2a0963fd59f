"""Rendering of customer notices and staff alerts, per event, channel and locale.

Pure functions over a :class:`NoticeContext`: no database, no Flask. The caller (the
outbox writer) resolves the case into a context; this module turns it into the exact
text that will be sent, so a rendered notice can be stored and re-sent byte for byte.

Templates live in ``templates/`` (see that folder's layout):

- ``email/<event>.<locale>.txt``  first line ``Subject: ...``, a blank line, then the body
- ``email/<event>.<locale>.html`` extends ``email/_base.<locale>.html``
- ``sms/<event>.<locale>.txt``
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format, get_timezone_name
from babel.numbers import format_currency, get_currency_precision, is_currency
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .sms_segments import count_segments

CUSTOMER_EVENTS: Final[tuple[str, ...]] = (
    "open",
    "request_item",
    "receive",
    "diagnose",
    "send_quote",
    "start_repair",
    "approve_quote",
    "decline_quote",
    "finish_repair",
    "replace",
    "refund",
    "ship",
    "deliver",
    "resolve",
    "close",
    "cancel",
    "reopen",
    "survey_invite",
    "survey_reminder",
    # A staff member's own words (service/conversations/), in the notice's frame.
    "message",
)
STAFF_EVENTS: Final[tuple[str, ...]] = ("sla_breach", "customer_replied")
ALL_EVENTS: Final[tuple[str, ...]] = CUSTOMER_EVENTS + STAFF_EVENTS
LOCALES: Final[tuple[str, ...]] = ("en", "zh-CN")
CHANNELS: Final[tuple[str, ...]] = ("email", "sms")

# Which channels each event may use. Staff alerts go to a shared inbox, never to a phone.
EVENT_CHANNELS: Final[dict[str, tuple[str, ...]]] = {
    **dict.fromkeys(CUSTOMER_EVENTS, CHANNELS),
    **dict.fromkeys(STAFF_EVENTS, ("email",)),
}

# A notice without these would be useless or misleading (a "your item shipped" SMS with
# no tracking number), so rendering refuses rather than sending something half empty.
REQUIRED_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "ship": ("carrier_name", "tracking_number"),
    "send_quote": ("quote_total_minor", "currency", "quote_valid_until"),
    "refund": ("refund_amount_minor", "currency"),
    "survey_invite": ("link",),
    "survey_reminder": ("link",),
    "sla_breach": ("due_at", "breach"),
    "message": ("note",),
    "customer_replied": ("note",),
}

_STATUS_WORDS: Final[dict[str, dict[str, str]]] = {
    "open": {"en": "Request received", "zh-CN": "已受理"},
    "awaiting_item": {"en": "Waiting for your item", "zh-CN": "等待您寄回商品"},
    "received": {"en": "Item received", "zh-CN": "商品已收到"},
    "diagnosing": {"en": "Being inspected", "zh-CN": "检测中"},
    "quote_pending": {"en": "Quote awaiting your decision", "zh-CN": "报价待您确认"},
    "repairing": {"en": "Being repaired", "zh-CN": "维修中"},
    "ready_to_ship": {"en": "Ready to ship back", "zh-CN": "准备寄回"},
    "shipped": {"en": "On its way to you", "zh-CN": "已寄出"},
    "delivered": {"en": "Delivered", "zh-CN": "已签收"},
    "refunded": {"en": "Refunded", "zh-CN": "已退款"},
    "resolved": {"en": "Resolved", "zh-CN": "已解决"},
    "closed": {"en": "Closed", "zh-CN": "已结案"},
    "cancelled": {"en": "Cancelled", "zh-CN": "已取消"},
}

# SLA clock names are owned by the case core; known ones get proper words and anything
# new still renders (humanised) instead of failing a staff alert.
_BREACH_WORDS: Final[dict[str, dict[str, str]]] = {
    "first_response": {"en": "first response", "zh-CN": "首次答复"},
    "intake": {"en": "intake", "zh-CN": "受理"},
    "diagnosis": {"en": "diagnosis", "zh-CN": "检测"},
    "quote": {"en": "quote", "zh-CN": "报价"},
    "repair": {"en": "repair", "zh-CN": "维修"},
    "shipping": {"en": "return shipping", "zh-CN": "寄回"},
    "resolution": {"en": "resolution", "zh-CN": "处理完成"},
    "follow_up": {"en": "follow-up", "zh-CN": "回访"},
}

_BABEL_LOCALE: Final[dict[str, str]] = {"en": "en", "zh-CN": "zh_Hans_CN"}

# Babel emits U+202F / U+00A0 (e.g. "10:30\u202fAM"); one such character would push an
# English SMS from GSM-7 into UCS-2 and halve its capacity, so they become plain spaces.
_NBSP: Final = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})

_TEMPLATES_DIR: Final = Path(__file__).parent / "templates"


class SmsTooLongError(ValueError):
    """The rendered SMS needs more parts than allowed; the template or data must change."""

    def __init__(self, event: str, locale: str, encoding: str, segments: int, limit: int) -> None:
        super().__init__(
            f"SMS for {event!r} ({locale}) needs {segments} {encoding} segments, "
            f"more than the limit of {limit}"
        )
        self.event = event
        self.locale = locale
        self.encoding = encoding
        self.segments = segments
        self.limit = limit


@dataclass(frozen=True)
class NoticeContext:
    case_number: str
    status: str  # status reached
    customer_name: str
    storefront_name: str
    locale: str  # "en" | "zh-CN"
    time_zone: str  # IANA, e.g. "Asia/Shanghai"
    link: str | None = None  # the link that matters (status page / quote approval / survey)
    note: str | None = None  # shipping instructions, cancel reason, resolution summary
    carrier_name: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    quote_total_minor: int | None = None  # integer minor units, never floats
    currency: str | None = None  # ISO 4217
    quote_valid_until: datetime | None = None  # aware datetime (UTC)
    refund_amount_minor: int | None = None
    due_at: datetime | None = None  # for sla_breach
    breach: str | None = None  # for sla_breach, which clock


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class RenderedSms:
    body: str
    encoding: str  # "GSM-7" | "UCS-2"
    segments: int


def normalize_locale(locale: str) -> str:
    """Map a locale tag onto one of :data:`LOCALES`, or raise ValueError.

    Accepts case and separator variants ("zh_CN", "zh-cn", "zh-Hans-CN", "en-US"). Bare
    "zh" is refused on purpose: it could be a Traditional-Chinese reader.
    """
    tag = locale.strip().replace("_", "-").lower()
    if tag == "en" or tag.startswith("en-"):
        return "en"
    if tag in ("zh-cn", "zh-hans-cn", "zh-hans"):
        return "zh-CN"
    raise ValueError(f"unsupported locale {locale!r}; expected one of {LOCALES}")


def status_words(status: str, locale: str) -> str:
    """The status as a customer would say it, in the given locale."""
    loc = normalize_locale(locale)
    try:
        return _STATUS_WORDS[status][loc]
    except KeyError:
        raise ValueError(f"unknown status {status!r}") from None


def breach_words(breach: str, locale: str) -> str:
    """Which SLA clock was breached, in words."""
    loc = normalize_locale(locale)
    known = _BREACH_WORDS.get(breach)
    return known[loc] if known else breach.replace("_", " ")


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """Format an integer amount of minor units exactly, e.g. 12345 USD -> "$123.45".

    The scale comes from babel's currency precision (JPY 0, USD 2, KWD 3), and the
    arithmetic stays in Decimal so no float ever touches a price.
    """
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError("amount_minor must be an int of minor units")
    code = currency.upper()
    if not is_currency(code):
        raise ValueError(f"unknown currency {currency!r}")
    digits = get_currency_precision(code)
    amount = Decimal(amount_minor).scaleb(-digits)
    text = format_currency(
        amount,
        code,
        locale=_BABEL_LOCALE[normalize_locale(locale)],
        currency_digits=True,
        decimal_quantization=True,
    )
    return text.translate(_NBSP)


def _local(dt: datetime, time_zone: str) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        # A naive datetime would be silently read as server-local time.
        raise ValueError("datetime must be timezone-aware")
    try:
        return dt.astimezone(ZoneInfo(time_zone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {time_zone!r}") from None


def format_datetime_local(dt: datetime, time_zone: str, locale: str) -> str:
    """Date, time and zone name in the reader's zone and language.

    en: "July 1, 2025, 11:30 PM (China Standard Time)";
    zh-CN: "2025年7月1日 23:30（中国标准时间）". The zone is spelled out because a
    quote deadline read in the wrong zone is a real dispute waiting to happen.
    """
    loc = Locale.parse(_BABEL_LOCALE[normalize_locale(locale)])
    local = _local(dt, time_zone)
    date_part = format_date(local, "long", locale=loc)
    time_part = format_time(local, "short", locale=loc)
    pattern = get_datetime_format("long", locale=loc).replace("'", "")
    joined = pattern.replace("{1}", date_part).replace("{0}", time_part)
    zone = get_timezone_name(local, width="long", locale=loc)
    wrapped = f"（{zone}）" if loc.language == "zh" else f" ({zone})"
    return (joined + wrapped).translate(_NBSP)


def format_date_local(dt: datetime, time_zone: str, locale: str) -> str:
    """Just the date in the reader's zone; for SMS, where every character counts."""
    loc = _BABEL_LOCALE[normalize_locale(locale)]
    return format_date(_local(dt, time_zone), "long", locale=loc).translate(_NBSP)


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(_TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def _check_url(name: str, url: str | None) -> None:
    # Links end up in href attributes; only web links may get there, whatever a
    # carrier integration or a misconfigured base URL hands us.
    if url is not None and not re.match(r"https?://[^\s]+$", url, flags=re.IGNORECASE):
        raise ValueError(f"{name} must be an absolute http(s) URL, got {url!r}")


def _template_vars(event: str, ctx: NoticeContext, channel: str) -> tuple[str, dict[str, Any]]:
    if event not in ALL_EVENTS:
        raise ValueError(f"unknown event {event!r}")
    if channel not in EVENT_CHANNELS[event]:
        raise ValueError(f"event {event!r} has no {channel} notice")
    locale = normalize_locale(ctx.locale)
    missing = [f for f in REQUIRED_FIELDS.get(event, ()) if getattr(ctx, f) in (None, "")]
    if missing:
        raise ValueError(f"{event!r} notice needs {', '.join(missing)}")
    _check_url("link", ctx.link)
    _check_url("tracking_url", ctx.tracking_url)

    values: dict[str, Any] = {f.name: getattr(ctx, f.name) for f in fields(ctx)}
    values["locale"] = locale
    values["status_words"] = status_words(ctx.status, locale)
    values["quote_total"] = None
    values["quote_valid_until_text"] = None
    values["quote_valid_until_date"] = None
    values["refund_amount"] = None
    values["due_at_text"] = None
    values["breach_words"] = None
    if ctx.quote_total_minor is not None and ctx.currency:
        values["quote_total"] = format_money(ctx.quote_total_minor, ctx.currency, locale)
    if ctx.quote_valid_until is not None:
        values["quote_valid_until_text"] = format_datetime_local(
            ctx.quote_valid_until, ctx.time_zone, locale
        )
        values["quote_valid_until_date"] = format_date_local(
            ctx.quote_valid_until, ctx.time_zone, locale
        )
    if ctx.refund_amount_minor is not None and ctx.currency:
        values["refund_amount"] = format_money(ctx.refund_amount_minor, ctx.currency, locale)
    if ctx.due_at is not None:
        values["due_at_text"] = format_datetime_local(ctx.due_at, ctx.time_zone, locale)
    if ctx.breach:
        values["breach_words"] = breach_words(ctx.breach, locale)
    return locale, values


def _tidy(text: str) -> str:
    # Optional blocks that render empty leave runs of blank lines behind.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_CJK_PUNCT = re.compile(r"[\u3000-\u303f\uff00-\uffef]")


def _one_line(text: str) -> str:
    """Join an SMS template's lines into one paragraph.

    Templates are written over several lines for legibility, but every newline costs a
    character. Chinese puts no spaces between sentences, so no space is added after a
    CJK character or before full-width punctuation; a link followed by Chinese text
    still gets one, or phones would swallow the text into the URL.
    """
    out = ""
    for line in (" ".join(raw.split()) for raw in text.splitlines()):
        if not line:
            continue
        if out and not (_CJK.match(out[-1]) or _CJK_PUNCT.match(line[0])):
            out += " "
        out += line
    return out


def render_email(event: str, ctx: NoticeContext) -> RenderedEmail:
    """Render the email notice (subject, plain text and HTML) for an event."""
    locale, values = _template_vars(event, ctx, "email")
    env = _env()
    raw = env.get_template(f"email/{event}.{locale}.txt").render(values)
    first, _, body = raw.lstrip().partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"template email/{event}.{locale}.txt must start with 'Subject:'")
    subject = " ".join(first.removeprefix("Subject:").split())
    if not subject:
        raise ValueError(f"template email/{event}.{locale}.txt rendered an empty subject")
    html = env.get_template(f"email/{event}.{locale}.html").render(values, subject=subject)
    return RenderedEmail(subject=subject, text=_tidy(body) + "\n", html=html.strip() + "\n")


def render_sms(event: str, ctx: NoticeContext, max_segments: int = 3) -> RenderedSms:
    """Render the SMS notice for an event; raise :class:`SmsTooLongError` past the limit."""
    locale, values = _template_vars(event, ctx, "sms")
    raw = _env().get_template(f"sms/{event}.{locale}.txt").render(values)
    body = _one_line(raw)
    encoding, segments = count_segments(body)
    if segments > max_segments:
        raise SmsTooLongError(event, locale, encoding, segments, max_segments)
    return RenderedSms(body=body, encoding=encoding, segments=segments)
