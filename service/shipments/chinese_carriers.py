"""The main Chinese carriers, which the ``tracking_numbers`` library lacks.

They do not publish their formats, so these are the shapes seen on real labels and in
common detection tables. Pure-digit shapes overlap between carriers; detection
(service.shipments.carriers) reports every match and refuses to guess between them.
"""

from __future__ import annotations

import re

from service.shipments.carrier_types import Carrier, CarrierFormat

# UPU S10: two-letter service indicator, 8-digit serial, mod-11 check digit,
# ISO country code. Indicator ranges are the ones the library accepts, so EMS
# never takes a number the generic S10 format would reject.
_S10_SERVICE = r"(?:[CEHLMRUV][A-Z]|Q[A-M]|[BDNPZ][A-Z]|A[V-Z]|G[AD])"
_CHINA_POST_S10 = re.compile(rf"{_S10_SERVICE}(?P<serial>\d{{8}})(?P<check>\d)CN")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def s10_check_digit(serial: str) -> int:
    """Check digit of an 8-digit UPU S10 serial number (S10 standard, mod 11)."""
    if not re.fullmatch(r"[0-9]{8}", serial):
        raise ValueError("an S10 serial number is exactly 8 digits")
    total = sum(int(digit) * weight for digit, weight in zip(serial, _S10_WEIGHTS, strict=True))
    check = 11 - total % 11
    # 11 - remainder can be 10 or 11, which do not fit in one digit.
    return {10: 0, 11: 5}.get(check, check)


def _is_china_post_s10(number: str) -> bool:
    match = _CHINA_POST_S10.fullmatch(number)
    return match is not None and s10_check_digit(match["serial"]) == int(match["check"])


def _shape(code: str, label: str, pattern: str, fixed_prefix: int) -> CarrierFormat:
    compiled = re.compile(pattern)
    return CarrierFormat(
        carrier_code=code,
        label=label,
        matches=lambda number: compiled.fullmatch(number) is not None,
        has_check_digit=False,
        fixed_prefix=fixed_prefix,
    )


CHINESE_CARRIERS = (
    Carrier(
        "sf_express",
        "SF Express",
        "https://www.sf-express.com/chn/en/waybill/waybill-detail/{number}",
    ),
    Carrier(
        "jd_logistics",
        "JD Logistics",
        "https://www.jdl.com/orderSearch/?waybillCodes={number}",
    ),
    Carrier(
        "ems",
        "EMS / China Post",
        "https://www.ems.com.cn/qps/yjcx?mailNum={number}",
    ),
    Carrier(
        "zto",
        "ZTO Express",
        "https://www.zto.com/express/expressCheck.html?txtBill={number}",
    ),
    # YTO, STO and Yunda have no stable deep link on their own sites (their
    # query pages are script-driven), so link the Kuaidi100 query page instead.
    Carrier(
        "yto",
        "YTO Express",
        "https://www.kuaidi100.com/chaxun?com=yuantong&nu={number}",
    ),
    Carrier(
        "sto",
        "STO Express",
        "https://www.kuaidi100.com/chaxun?com=shentong&nu={number}",
    ),
    Carrier(
        "yunda",
        "Yunda Express",
        "https://www.kuaidi100.com/chaxun?com=yunda&nu={number}",
    ),
)

CHINESE_FORMATS = (
    # Current waybills are "SF" + 13 digits; "SF" + 12 and bare 12 digits are older.
    _shape("sf_express", "SF + 12-13 digits", r"SF\d{12,13}", fixed_prefix=2),
    _shape("sf_express", "12 digits (legacy)", r"\d{12}", fixed_prefix=0),
    # 15 characters: "JD", two letters/digits ("VA", "VB", "X0", "00", ...), 11 digits.
    _shape("jd_logistics", "JD + 13", r"JD[A-Z0-9]{2}\d{11}", fixed_prefix=2),
    CarrierFormat(
        carrier_code="ems",
        label="S10 ending CN",
        matches=_is_china_post_s10,
        has_check_digit=True,
        fixed_prefix=4,
        refines="s10",
    ),
    _shape("ems", "domestic EMS, 13 digits from 1", r"1\d{12}", fixed_prefix=1),
    _shape("ems", "domestic parcel, 13 digits from 95-99", r"9[5-9]\d{11}", fixed_prefix=2),
    _shape("zto", "14 digits from 7", r"7\d{13}", fixed_prefix=1),
    _shape("zto", "12 digits (legacy)", r"[257]\d{11}", fixed_prefix=1),
    # "YT" + 16 digits is YunExpress, a different company; do not widen this.
    _shape("yto", "YT + 13", r"YT\d{13}", fixed_prefix=2),
    _shape("sto", "13-15 digits from 77/88", r"(?:77|88)\d{11,13}", fixed_prefix=2),
    _shape(
        "sto",
        "12 digits (legacy)",
        r"(?:268|368|468|568|668|768|868|888|968)\d{9}",
        fixed_prefix=3,
    ),
    # Yunda's 13-digit samples start with 3-5; leaving 1 to EMS keeps domestic
    # EMS numbers detectable.
    _shape("yunda", "13 digits from 3-5", r"[3-5]\d{12}", fixed_prefix=1),
    _shape("yunda", "15 digits from 3/4", r"[34]\d{14}", fixed_prefix=1),
)
