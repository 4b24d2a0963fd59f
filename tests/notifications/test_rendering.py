"""Notice rendering per event x channel x locale, money and time formatting, SMS parts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from service.notifications.rendering import (
    CUSTOMER_EVENTS,
    LOCALES,
    REQUIRED_FIELDS,
    STAFF_EVENTS,
    NoticeContext,
    SmsTooLongError,
    format_datetime_local,
    format_money,
    normalize_locale,
    render_email,
    render_sms,
    status_words,
)
from service.notifications.sms_segments import count_segments

# The status each event moves a case to, so the fixtures read like real notices.
EVENT_STATUS = {
    "open": "open",
    "request_item": "awaiting_item",
    "receive": "received",
    "diagnose": "diagnosing",
    "send_quote": "quote_pending",
    "start_repair": "repairing",
    "approve_quote": "repairing",
    "decline_quote": "ready_to_ship",
    "finish_repair": "ready_to_ship",
    "replace": "ready_to_ship",
    "refund": "refunded",
    "ship": "shipped",
    "deliver": "delivered",
    "resolve": "resolved",
    "close": "closed",
    "cancel": "cancelled",
    "reopen": "open",
    "survey_invite": "delivered",
    "survey_reminder": "delivered",
    "sla_breach": "diagnosing",
    "message": "awaiting_item",
    "customer_replied": "awaiting_item",
}
ALL_STATUSES = sorted(set(EVENT_STATUS.values()))
LINK = "https://help.acme-shop.example/s/RMA-2025-000123?t=q8Zr1xKp4LmN2vB7cD"
TRACKING_URL = "https://www.sf-express.com/cn/sc/waybill/list?billno=SF1234567890123"
VALID_UNTIL = datetime(2025, 7, 1, 15, 30, tzinfo=UTC)


def full_context(event: str, locale: str) -> NoticeContext:
    zh = locale == "zh-CN"
    return NoticeContext(
        case_number="RMA-2025-000123",
        status=EVENT_STATUS[event],
        customer_name="王小明" if zh else "Jane Doe",
        storefront_name="Acme Shop",
        locale=locale,
        time_zone="Asia/Shanghai" if zh else "America/New_York",
        link=LINK,
        note="请使用顺丰到付寄回。" if zh else "Please use the prepaid label in your account.",
        carrier_name="顺丰速运" if zh else "SF Express",
        tracking_number="SF1234567890123",
        tracking_url=TRACKING_URL,
        quote_total_minor=12345,
        currency="CNY" if zh else "USD",
        quote_valid_until=VALID_UNTIL,
        refund_amount_minor=9900,
        due_at=VALID_UNTIL,
        breach="first_response",
    )


def minimal_context(event: str, locale: str) -> NoticeContext:
    """Only what the event requires; optional blocks must disappear cleanly."""
    full = full_context(event, locale)
    keep = set(REQUIRED_FIELDS.get(event, ()))
    optional = {
        f.name: None
        for f in dataclasses.fields(NoticeContext)
        if f.default is None and f.name not in keep
    }
    return dataclasses.replace(full, **optional)


CASES = [
    (event, locale, channel)
    for event in CUSTOMER_EVENTS + STAFF_EVENTS
    for locale in LOCALES
    for channel in (("email", "sms") if event in CUSTOMER_EVENTS else ("email",))
]


# --------------------------------------------------------------------------- every notice


def _segments_by_hand(body: str) -> tuple[str, int]:
    """The parts of a template's body, worked out the way a carrier's price list puts
    it: GSM-7 is 160 characters, or 153 a part; anything else is UCS-2, 70 or 67 a
    part. (Exact for the bodies here: no extension characters, no emoji; the packing
    rules for those are tested with `count_segments` below.)"""
    assert not set(body) & set("^{}\\[~]|€\f") and all(ord(ch) <= 0xFFFF for ch in body)
    gsm = set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )
    single, part, encoding = (160, 153, "GSM-7") if set(body) <= gsm else (70, 67, "UCS-2")
    return encoding, 1 if len(body) <= single else -(-len(body) // part)


@pytest.mark.parametrize(("event", "locale", "channel"), CASES)
def test_every_event_locale_channel_renders(event: str, locale: str, channel: str) -> None:
    ctx = full_context(event, locale)
    words = status_words(ctx.status, locale)
    if channel == "email":
        rendered = render_email(event, ctx)
        assert rendered.subject and "\n" not in rendered.subject
        assert "RMA-2025-000123" in rendered.subject
        for body in (rendered.text, rendered.html):
            assert "RMA-2025-000123" in body
            assert words in body
            assert LINK in body
            assert "{{" not in body and "{%" not in body
        assert f'href="{LINK}"' in rendered.html
        assert f'<html lang="{locale}">' in rendered.html
        assert "\n\n\n" not in rendered.text
    else:
        rendered_sms = render_sms(event, ctx)
        assert "RMA-2025-000123" in rendered_sms.body
        assert "\n" not in rendered_sms.body
        assert "{{" not in rendered_sms.body
        # A staff message's SMS is their words; they add {status_link} when it helps.
        if event not in ("close", "ship", "message"):
            assert LINK in rendered_sms.body
        assert (rendered_sms.encoding, rendered_sms.segments) == _segments_by_hand(
            rendered_sms.body
        )
        if locale == "en":
            assert rendered_sms.encoding == "GSM-7"
            assert rendered_sms.segments <= 2
        else:
            assert rendered_sms.encoding == "UCS-2"
            assert rendered_sms.segments <= 3


@pytest.mark.parametrize(("event", "locale", "channel"), CASES)
def test_every_notice_renders_without_optional_fields(
    event: str, locale: str, channel: str
) -> None:
    ctx = minimal_context(event, locale)
    if channel == "email":
        rendered = render_email(event, ctx)
        assert "None" not in rendered.text and "None" not in rendered.html
        assert "RMA-2025-000123" in rendered.text
    else:
        body = render_sms(event, ctx).body
        assert "None" not in body and "RMA-2025-000123" in body


def test_staff_alerts_have_no_sms() -> None:
    with pytest.raises(ValueError):
        render_sms("sla_breach", full_context("sla_breach", "en"))


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize("locale", LOCALES)
def test_ship_notice_carries_carrier_number_and_url(locale: str) -> None:
    ctx = full_context("ship", locale)
    email_ = render_email("ship", ctx)
    for body in (email_.text, email_.html):
        assert ctx.carrier_name in body
        assert "SF1234567890123" in body
    assert TRACKING_URL in email_.text
    assert f'href="{TRACKING_URL.replace("&", "&amp;")}"' in email_.html
    assert "SF1234567890123" in email_.subject
    body = render_sms("ship", ctx).body
    assert ctx.carrier_name in body and "SF1234567890123" in body and TRACKING_URL in body


def test_quote_notice_money_and_deadline_en() -> None:
    ctx = full_context("send_quote", "en")
    email_ = render_email("send_quote", ctx)
    assert "$123.45" in email_.subject
    assert "$123.45" in email_.text and "$123.45" in email_.html
    # 15:30 UTC is 11:30 in New York (EDT) on 1 July.
    assert "July 1, 2025, 11:30 AM (Eastern Daylight Time)" in email_.text
    sms = render_sms("send_quote", ctx)
    assert "$123.45" in sms.body and "July 1, 2025" in sms.body


def test_quote_notice_money_and_deadline_zh() -> None:
    ctx = full_context("send_quote", "zh-CN")
    email_ = render_email("send_quote", ctx)
    assert "¥123.45" in email_.subject and "¥123.45" in email_.text
    # 15:30 UTC is 23:30 in Shanghai.
    assert "2025年7月1日 23:30（中国标准时间）" in email_.text
    sms = render_sms("send_quote", ctx)
    assert "¥123.45" in sms.body and "2025年7月1日" in sms.body


@pytest.mark.parametrize(("locale", "expected"), [("en", "$99.00"), ("zh-CN", "¥99.00")])
def test_refund_notice_carries_amount(locale: str, expected: str) -> None:
    ctx = full_context("refund", locale)
    assert expected in render_email("refund", ctx).text
    assert expected in render_sms("refund", ctx).body


def test_sla_breach_alert_names_clock_and_deadline() -> None:
    rendered = render_email("sla_breach", full_context("sla_breach", "en"))
    assert "first response" in rendered.subject
    assert "July 1, 2025, 11:30 AM" in rendered.text
    assert "diagnosing" in rendered.text


def test_html_escapes_customer_data_but_text_keeps_it() -> None:
    ctx = dataclasses.replace(
        full_context("cancel", "en"),
        customer_name='<script>alert("x")</script>',
        note="Tom & Jerry <b>bold</b>",
    )
    rendered = render_email("cancel", ctx)
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html
    assert "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt;" in rendered.html
    assert '<script>alert("x")</script>' in rendered.text


def test_non_web_links_are_refused() -> None:
    ctx = dataclasses.replace(full_context("open", "en"), link="javascript:alert(1)")
    with pytest.raises(ValueError):
        render_email("open", ctx)


def test_missing_required_data_is_refused() -> None:
    ctx = dataclasses.replace(full_context("ship", "en"), tracking_number=None)
    with pytest.raises(ValueError, match="tracking_number"):
        render_email("ship", ctx)


def test_zh_sms_keeps_a_link_apart_from_following_chinese() -> None:
    body = render_sms("open", full_context("open", "zh-CN")).body
    assert f"{LINK} 回复STOP退订" in body
    assert "，24小时内答复您。" in body  # no stray spaces between Chinese sentences


def test_unknown_event_is_refused() -> None:
    with pytest.raises(ValueError):
        render_email("teleport", full_context("open", "en"))


# --------------------------------------------------------------------------- SMS length


def test_over_long_sms_raises() -> None:
    ctx = dataclasses.replace(full_context("open", "en"), link=LINK + "&x=" + "a" * 450)
    with pytest.raises(SmsTooLongError) as info:
        render_sms("open", ctx)
    assert info.value.segments > 3 and info.value.limit == 3


@pytest.mark.parametrize("locale", LOCALES)
def test_sms_segment_limit_is_configurable(locale: str) -> None:
    ctx = full_context("open", locale)
    segments = render_sms("open", ctx).segments
    assert segments == 2
    assert render_sms("open", ctx, max_segments=segments).segments == segments
    with pytest.raises(SmsTooLongError):
        render_sms("open", ctx, max_segments=segments - 1)


# --------------------------------------------------------------------------- locales, words


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("en", "en"), ("en-US", "en"), ("EN_gb", "en"), ("zh-CN", "zh-CN"), ("zh_CN", "zh-CN"),
     ("zh-cn", "zh-CN"), ("zh-Hans-CN", "zh-CN")],
)  # fmt: skip
def test_locale_normalisation(tag: str, expected: str) -> None:
    assert normalize_locale(tag) == expected
    ctx = dataclasses.replace(full_context("open", expected), locale=tag)
    assert (
        render_email("open", ctx).subject
        == render_email("open", full_context("open", expected)).subject
    )


@pytest.mark.parametrize("tag", ["fr", "zh", "zh-TW", "de-DE", ""])
def test_unsupported_locale_is_refused(tag: str) -> None:
    with pytest.raises(ValueError):
        normalize_locale(tag)
    with pytest.raises(ValueError):
        render_email("open", dataclasses.replace(full_context("open", "en"), locale=tag))


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    "status",
    [*ALL_STATUSES, "awaiting_item", "quote_pending", "repairing", "received"],
)
def test_status_words_cover_every_status(status: str, locale: str) -> None:
    words = status_words(status, locale)
    assert words and "_" not in words


def test_status_words_reject_unknown_status() -> None:
    with pytest.raises(ValueError):
        status_words("teleported", "en")


# --------------------------------------------------------------------------- money, time


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (12345, "USD", "en", "$123.45"),
        (12345, "CNY", "zh-CN", "¥123.45"),
        (12345, "JPY", "en", "¥12,345"),
        (12345, "EUR", "en", "€123.45"),
        (12345, "KWD", "en", "KWD12.345"),
        (5, "USD", "en", "$0.05"),
        (0, "USD", "en", "$0.00"),
        (123456789, "USD", "en", "$1,234,567.89"),
        (-250, "USD", "en", "-$2.50"),
    ],
)
def test_format_money_is_exact(amount: int, currency: str, locale: str, expected: str) -> None:
    assert format_money(amount, currency, locale) == expected


def test_format_money_refuses_floats_and_unknown_currency() -> None:
    with pytest.raises(TypeError):
        format_money(123.45, "USD", "en")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_money(100, "XYZ", "en")


def test_format_datetime_local() -> None:
    assert (
        format_datetime_local(VALID_UNTIL, "Asia/Shanghai", "zh-CN")
        == "2025年7月1日 23:30（中国标准时间）"
    )
    assert (
        format_datetime_local(VALID_UNTIL, "America/New_York", "en")
        == "July 1, 2025, 11:30 AM (Eastern Daylight Time)"
    )
    with pytest.raises(ValueError):
        format_datetime_local(datetime(2025, 7, 1, 15, 30), "UTC", "en")
    with pytest.raises(ValueError):
        format_datetime_local(VALID_UNTIL, "Mars/Olympus_Mons", "en")


# --------------------------------------------------------------------------- segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("GSM-7", 1)),
        ("a" * 160, ("GSM-7", 1)),
        ("a" * 161, ("GSM-7", 2)),
        ("a" * 306, ("GSM-7", 2)),
        ("a" * 307, ("GSM-7", 3)),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà", ("GSM-7", 1)),
        # Extension characters take two septets each.
        ("€" * 80, ("GSM-7", 1)),
        ("€" * 80 + "a", ("GSM-7", 2)),
        ("{}[]~^|\\\f" * 10, ("GSM-7", 2)),
        # 306 septets, but the escape pair cannot straddle parts: 152 | 2+151 | 1.
        ("a" * 152 + "€" + "a" * 152, ("GSM-7", 3)),
        ("中" * 70, ("UCS-2", 1)),
        ("中" * 71, ("UCS-2", 2)),
        ("中" * 134, ("UCS-2", 2)),
        ("中" * 135, ("UCS-2", 3)),
        # One non-GSM character turns the whole text into UCS-2.
        ("a" * 69 + "ç", ("UCS-2", 1)),
        ("a" * 70 + "’", ("UCS-2", 2)),
        # Emoji are two UTF-16 code units.
        ("😀" * 35, ("UCS-2", 1)),
        ("😀" * 35 + "a", ("UCS-2", 2)),
        ("😀" * 66, ("UCS-2", 2)),
        ("😀" * 67, ("UCS-2", 3)),  # 134 units, yet 33 pairs fill a 67-unit part
        # 134 units, but a surrogate pair cannot straddle parts: 66 | 2+64 | 2.
        ("中" * 66 + "😀" + "中" * 64 + "😀", ("UCS-2", 3)),
    ],
)
def test_count_segments(text: str, expected: tuple[str, int]) -> None:
    assert count_segments(text) == expected
