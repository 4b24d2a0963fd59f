"""How many SMS parts a text costs, and in which encoding.

Carriers bill per part, and a single character outside the GSM 03.38 alphabet (a curly
quote, a narrow no-break space from a date formatter, any CJK character) switches the
whole message to UCS-2 and cuts the part size by more than half. Templates are checked
against this so an innocent edit cannot triple the SMS bill unnoticed.
"""

from __future__ import annotations

from typing import Final

GSM7: Final = "GSM-7"
UCS2: Final = "UCS-2"

# GSM 03.38 default alphabet (the escape 0x1B itself is not a sendable character).
GSM7_BASIC: Final[frozenset[str]] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: sent as ESC + char, so each costs two septets.
GSM7_EXTENSION: Final[frozenset[str]] = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE: Final = 160
GSM7_PART: Final = 153  # 7 septets of each part go to the concatenation header
UCS2_SINGLE: Final = 70
UCS2_PART: Final = 67


def is_gsm7(text: str) -> bool:
    """True if every character can be sent in the GSM-7 alphabet (basic or extension)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(text: str, encoding: str) -> list[int]:
    """Cost of each character in the encoding's units (septets or UTF-16 code units)."""
    if encoding == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    # Characters beyond the BMP (emoji) are a UTF-16 surrogate pair: two units.
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(units: list[int], part_size: int) -> int:
    """Number of concatenated parts, never splitting one character across two parts.

    Handsets and gateways keep an escape sequence or a surrogate pair together, so a
    plain ceil(total / part_size) would undercount right at the part boundaries.
    """
    parts, used = 1, 0
    for cost in units:
        if used + cost > part_size:
            parts += 1
            used = 0
        used += cost
    return parts


def count_segments(text: str) -> tuple[str, int]:
    """Return ``(encoding, parts)`` for an SMS body: ``("GSM-7" | "UCS-2", n)``.

    GSM-7 fits 160 septets in one part, 153 per part when concatenated; UCS-2 fits 70
    UTF-16 code units, 67 per part. An empty text still counts as one part: a message
    would still be sent.
    """
    encoding = GSM7 if is_gsm7(text) else UCS2
    units = _units(text, encoding)
    single, part = (GSM7_SINGLE, GSM7_PART) if encoding == GSM7 else (UCS2_SINGLE, UCS2_PART)
    if sum(units) <= single:
        return encoding, 1
    return encoding, _pack(units, part)
