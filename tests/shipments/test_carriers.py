import dataclasses

import pytest
from tracking_numbers import DEFINITIONS
from tracking_numbers.checksum_validator import S10

from service.shipments.carriers import (
    CARRIERS,
    MAX_LENGTH,
    Carrier,
    Tracking,
    TrackingNumberError,
    detect_carriers,
    normalise,
    resolve_tracking,
    s10_check_digit,
    tracking_url,
)

CHINESE_CODES = {"sf_express", "jd_logistics", "ems", "zto", "yto", "sto", "yunda"}

# International numbers come from the test data of tracking_number_data, the
# data set the tracking_numbers library is generated from. Chinese numbers are
# real ones quoted in public detection code, except where marked "shape only".
VALID = [
    ("ups", "1Z5R89390357567127"),
    ("ups", "1Z879E930346834440"),
    ("ups", "1Z410E7W0392751591"),
    ("fedex", "986578788855"),  # Express (12)
    ("fedex", "1001921334250001000300779017972697"),  # Express (34)
    ("fedex", "61299998820821171811"),  # SmartPost
    ("fedex", "041441760228964"),  # Ground
    ("fedex", "000123450000000027"),  # Ground SSCC-18
    ("fedex", "9611020987654312345672"),  # Ground 96
    ("fedex", "9622001900000000000000776632517510"),  # Ground GSN
    ("usps", "03071790000523483741"),  # USPS 20
    ("usps", "4201002334249200190132607600833457"),  # USPS 34v2
    ("usps", "9400111201080805483016"),  # USPS 91
    ("usps", "420221539101026837331000039521"),  # USPS 91 with routing prefix
    ("dhl", "3318810025"),
    ("dhl", "73891051146"),
    ("ontrac", "C11031500001879"),
    ("amazon", "TBA502887274000"),
    ("s10", "RB123456785GB"),
    ("s10", "RB123456785US"),
    ("cdl", "1ab2c3d4e5"),  # shape only: lowercase hex with a letter
    ("sf_express", "SF1385628716739"),
    ("sf_express", "SF138562871673"),  # shape only: SF + 12
    ("sf_express", "138562871673"),  # shape only: legacy 12 digits
    ("jd_logistics", "JDX024407261700"),
    ("jd_logistics", "JDVA12345678901"),  # shape only
    ("jd_logistics", "JD0123456789012"),  # shape only: JD + 13 digits
    ("ems", "EA123456785CN"),  # shape only: S10, check digit computed by hand
    ("ems", "RB123456785CN"),  # shape only: the GB sample, posted from China
    ("ems", "1207119765021"),
    ("ems", "9889510569807"),
    ("zto", "73610555582883"),
    ("zto", "75147810223179"),
    ("zto", "78636098066239"),
    ("zto", "212345678901"),  # shape only: legacy 12 digits
    ("yto", "YT8962646785389"),
    ("yto", "YT9693083639795"),
    ("sto", "773277027280336"),
    ("sto", "77316523125896"),
    ("sto", "268123456789"),  # shape only: legacy 12 digits
    ("yunda", "463431409940372"),
    ("yunda", "3914712788236"),
    ("yunda", "5301156237108"),
]

INVALID = [
    ("ups", "1Z1111111111111111"),  # bad check digit
    ("ups", "2Z5R89390357567127"),
    ("fedex", "996578788855"),  # bad check digit
    ("fedex", "568283610012732"),  # bad check digit
    ("usps", "03071790000523483742"),  # bad check digit
    ("usps", "4201028200009261290113185417468511"),
    ("dhl", "3318810010"),  # bad mod-7 check digit
    ("dhl", "3318810034"),
    ("ontrac", "C11031500001889"),
    ("ontrac", "C10000000000000"),
    ("amazon", "TBA50288727400A"),
    ("amazon", "TBB000000000000"),
    ("s10", "RB123456786US"),  # bad check digit
    ("s10", "RB123456785XX"),  # no such country
    ("cdl", "1234567890"),  # CDL ids always contain a letter
    ("cdl", "1ab2c3d4eg"),  # not hex
    ("sf_express", "SF12345678901"),  # SF + 11
    ("sf_express", "SF12345678901234"),  # SF + 14
    ("sf_express", "12345678901"),  # 11 digits
    ("jd_logistics", "JD012345678901"),  # one digit short
    ("jd_logistics", "JDX02440726170A"),
    ("ems", "EA123456784CN"),  # wrong S10 check digit
    ("ems", "EA123456785US"),  # S10, but not China Post
    ("ems", "XX123456785CN"),  # no such S10 service indicator
    ("ems", "2207119765021"),
    ("zto", "83610555582883"),
    ("zto", "7361055558288"),  # 13 digits
    ("yto", "YT896264678538"),  # YT + 12
    ("yto", "YT2212345678901234"),  # YT + 16 is YunExpress, not YTO
    ("sto", "663277027280336"),
    ("sto", "7732770272803361"),  # 16 digits
    ("yunda", "563431409940372"),
    ("yunda", "63431409940372"),  # 14 digits
]


def _ids(cases: list[tuple[str, str]]) -> list[str]:
    return [f"{code}-{number}" for code, number in cases]


# --- registry -----------------------------------------------------------------


def test_registry_holds_every_library_courier_and_the_chinese_carriers() -> None:
    library_codes = {definition.courier.code for definition in DEFINITIONS}
    assert set(CARRIERS) == library_codes | CHINESE_CODES


def test_registry_is_keyed_by_lowercase_carrier_code() -> None:
    for code, carrier in CARRIERS.items():
        assert isinstance(carrier, Carrier)
        assert code == carrier.code == code.lower()
        assert carrier.name


def test_url_templates_use_the_number_placeholder() -> None:
    for carrier in CARRIERS.values():
        template = carrier.tracking_url_template
        assert template is None or (template.startswith("http") and "{number}" in template)


def test_library_url_templates_are_carried_over() -> None:
    assert CARRIERS["ups"].tracking_url_template == (
        "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums={number}"
    )


def test_every_carrier_has_valid_and_invalid_samples() -> None:
    # A library upgrade that adds a courier must come with samples here.
    assert {code for code, _ in VALID} == set(CARRIERS)
    assert {code for code, _ in INVALID} == set(CARRIERS)


def test_carrier_and_tracking_are_immutable() -> None:
    tracking = resolve_tracking("SF1385628716739")
    with pytest.raises(dataclasses.FrozenInstanceError):
        CARRIERS["ups"].name = "Other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        tracking.carrier_code = "ups"  # type: ignore[misc]


# --- validation per carrier ---------------------------------------------------


@pytest.mark.parametrize(("code", "number"), VALID, ids=_ids(VALID))
def test_valid_number_is_accepted_for_its_carrier(code: str, number: str) -> None:
    tracking = resolve_tracking(number, carrier=code)

    assert tracking.carrier_code == code
    assert tracking.carrier_name == CARRIERS[code].name
    assert tracking.tracking_number == normalise(number)


@pytest.mark.parametrize(("code", "number"), VALID, ids=_ids(VALID))
def test_valid_number_is_among_detected_carriers(code: str, number: str) -> None:
    assert CARRIERS[code] in detect_carriers(number)


@pytest.mark.parametrize(("code", "number"), INVALID, ids=_ids(INVALID))
def test_invalid_number_is_rejected_for_the_named_carrier(code: str, number: str) -> None:
    with pytest.raises(TrackingNumberError) as caught:
        resolve_tracking(number, carrier=code)

    assert caught.value.field == "tracking_number"
    assert caught.value.message == f"not a valid {CARRIERS[code].name} tracking number"


def test_invalid_message_names_the_carrier() -> None:
    with pytest.raises(TrackingNumberError, match="not a valid UPS tracking number"):
        resolve_tracking("1Z1111111111111111", carrier="ups")


def test_carrier_code_is_case_insensitive() -> None:
    assert resolve_tracking("1Z879E930346834440", carrier=" UPS ").carrier_code == "ups"


def test_named_known_carrier_ignores_carrier_name() -> None:
    tracking = resolve_tracking("1Z879E930346834440", carrier="ups", carrier_name="Brown")

    assert tracking.carrier_name == "UPS"


# --- S10 check digit ----------------------------------------------------------


@pytest.mark.parametrize(
    ("serial", "check"),
    [
        ("12345678", 5),  # RB123456785GB, a real S10 sample
        ("10000000", 3),
        ("10000002", 5),  # remainder 0 -> 5
        ("10000014", 0),  # remainder 1 -> 0
        ("10000005", 1),
    ],
)
def test_s10_check_digit(serial: str, check: int) -> None:
    assert s10_check_digit(serial) == check


def test_s10_check_digit_agrees_with_library() -> None:
    library = S10()
    for value in range(10_000_000, 99_999_999, 7_654_321):
        serial = str(value)
        digits = [int(d) for d in serial]
        assert library.passes(serial_number=digits, check_digit=s10_check_digit(serial))


@pytest.mark.parametrize("serial", ["1234567", "123456789", "1234567A", "١٢٣٤٥٦٧٨"])
def test_s10_check_digit_needs_eight_digits(serial: str) -> None:
    with pytest.raises(ValueError):
        s10_check_digit(serial)


@pytest.mark.parametrize("check", range(10))
def test_china_post_s10_needs_the_right_check_digit(check: int) -> None:
    number = f"EA12345678{check}CN"
    assert (CARRIERS["ems"] in detect_carriers(number)) == (check == 5)


# --- detection ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "codes"),
    [
        ("1Z879E930346834440", ["ups"]),
        ("SF1385628716739", ["sf_express"]),
        ("JDX024407261700", ["jd_logistics"]),
        ("YT8962646785389", ["yto"]),
        ("73610555582883", ["zto"]),
        ("463431409940372", ["yunda"]),
        ("9889510569807", ["ems"]),
        # China Post S10 first, the generic S10 it refines after.
        ("EA123456785CN", ["ems", "s10"]),
        # Overlapping digit formats: fixed prefix "77" beats "7".
        ("77316523125896", ["sto", "zto"]),
        # Check-digit formats first, then fixed prefix, then bare shape.
        ("790535312317", ["fedex", "zto", "sf_express"]),
        ("9261292700768711948021", ["usps", "fedex"]),
    ],
)
def test_detect_lists_matches_most_specific_first(number: str, codes: list[str]) -> None:
    assert [carrier.code for carrier in detect_carriers(number)] == codes


@pytest.mark.parametrize("number", ["", "   ", "!!!", "ZZZZZZZZZZZZ", "SF-号码"])
def test_detect_returns_nothing_for_unknown_formats(number: str) -> None:
    assert detect_carriers(number) == []


def test_detect_normalises_input() -> None:
    assert detect_carriers(" sf 1385-6287-16739 ") == [CARRIERS["sf_express"]]


# --- resolving without a carrier ----------------------------------------------


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("1Z879E930346834440", "ups"),
        ("041441760228964", "fedex"),
        ("SF1385628716739", "sf_express"),
        ("JDX024407261700", "jd_logistics"),
        ("EA123456785CN", "ems"),  # ems, not the generic s10
        ("YT8962646785389", "yto"),
        ("75147810223179", "zto"),
        ("463431409940372", "yunda"),
    ],
)
def test_single_plausible_carrier_is_detected(number: str, code: str) -> None:
    tracking = resolve_tracking(number)

    assert tracking == Tracking(code, CARRIERS[code].name, number, tracking_url(code, number))


@pytest.mark.parametrize(
    ("number", "codes"),
    [
        ("77316523125896", "sto, zto"),
        ("9261292700768711948021", "usps, fedex"),
        # A FedEx check digit does not beat a format without one: this real STO
        # number happens to pass the FedEx Ground check.
        ("773277027280336", "fedex, sto"),
        ("986578788855", "fedex, sf_express"),
    ],
)
def test_ambiguous_number_asks_for_the_carrier(number: str, codes: str) -> None:
    with pytest.raises(TrackingNumberError) as caught:
        resolve_tracking(number)

    assert caught.value.field == "carrier"
    assert f"({codes})" in caught.value.message


def test_ambiguous_number_is_accepted_once_the_carrier_is_named() -> None:
    assert resolve_tracking("77316523125896", carrier="zto").carrier_code == "zto"
    assert resolve_tracking("77316523125896", carrier="sto").carrier_code == "sto"


def test_ambiguity_is_not_settled_by_carrier_name() -> None:
    with pytest.raises(TrackingNumberError) as caught:
        resolve_tracking("77316523125896", carrier_name="ZTO Express")

    assert caught.value.field == "carrier"


def test_unrecognised_number_without_carrier_is_rejected() -> None:
    with pytest.raises(TrackingNumberError) as caught:
        resolve_tracking("ZZ12345678")

    assert caught.value.field == "carrier"
    assert caught.value.message == (
        "carrier not recognised from the tracking number; give carrier or carrier_name"
    )


# --- unknown carriers ---------------------------------------------------------


def test_unrecognised_number_with_carrier_name_is_an_unknown_carrier() -> None:
    tracking = resolve_tracking(" zz-1234 5678 ", carrier_name="  Best Express ")

    assert tracking == Tracking(None, "Best Express", "ZZ12345678", None)


def test_unknown_carrier_code_with_carrier_name_is_an_unknown_carrier() -> None:
    tracking = resolve_tracking("JT5261988016578", carrier="jtexpress", carrier_name="J&T Express")

    assert tracking == Tracking(None, "J&T Express", "JT5261988016578", None)


def test_unknown_carrier_code_without_carrier_name_is_rejected() -> None:
    with pytest.raises(TrackingNumberError) as caught:
        resolve_tracking("JT5261988016578", carrier="jtexpress")

    assert caught.value.field == "carrier"
    assert caught.value.message == (
        "unknown carrier code; give carrier_name for a carrier we do not know"
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_carrier_fields_count_as_not_given(blank: str) -> None:
    assert resolve_tracking("SF1385628716739", carrier=blank).carrier_code == "sf_express"
    with pytest.raises(TrackingNumberError) as caught:
        resolve_tracking("ZZ12345678", carrier_name=blank)
    assert caught.value.field == "carrier"


# --- malformed tracking numbers -----------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "",
        "   ",
        " - - ",
        "1234567",  # 7 characters
        "12 34-56 7",  # 7 once normalised
        "SF1385628716739!",
        "顺丰1385628716739",
        "SF13856_28716739",
        "9" * (MAX_LENGTH + 1),
    ],
)
def test_malformed_number_blames_the_tracking_number(number: str) -> None:
    for carrier in (None, "sf_express", "nosuchcarrier"):
        with pytest.raises(TrackingNumberError) as caught:
            resolve_tracking(number, carrier=carrier, carrier_name="Someone")
        assert caught.value.field == "tracking_number"


def test_non_string_number_blames_the_tracking_number() -> None:
    with pytest.raises(TrackingNumberError) as caught:
        resolve_tracking(123456789012)  # type: ignore[arg-type]

    assert caught.value.field == "tracking_number"


@pytest.mark.parametrize("field", ["carrier", "carrier_name"])
def test_non_string_carrier_fields_blame_the_carrier(field: str) -> None:
    with pytest.raises(TrackingNumberError) as caught:
        resolve_tracking("SF1385628716739", **{field: 42})  # type: ignore[arg-type]

    assert caught.value.field == "carrier"


def test_tracking_number_error_is_a_value_error_carrying_its_message() -> None:
    error = TrackingNumberError("carrier", "pick one")

    assert isinstance(error, ValueError)
    assert (error.field, error.message, str(error)) == ("carrier", "pick one", "pick one")


# --- normalisation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1z879e930346834440", "1Z879E930346834440"),
        (" 1Z 879E-9303 4683 4440\n", "1Z879E930346834440"),
        ("SF\t1385\u20136287\u201416739", "SF1385628716739"),  # en and em dashes
        ("\u3000ＳＦ１３８５６２８７１６７３９\u3000", "SF1385628716739"),  # full-width IME input
        ("yt 8962－6467－85389", "YT8962646785389"),  # full-width hyphen
        ("", ""),
    ],
)
def test_normalise_strips_spaces_and_dashes_and_uppercases(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_keeps_other_characters_for_validation_to_reject() -> None:
    assert normalise("sf.123") == "SF.123"


# --- tracking URLs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "number", "url"),
    [
        (
            "ups",
            "1Z879E930346834440",
            "https://wwwapps.ups.com/WebTracking/track?track=yes&trackNums=1Z879E930346834440",
        ),
        (
            "fedex",
            "986578788855",
            "https://www.fedex.com/apps/fedextrack/?tracknumbers=986578788855",
        ),
        (
            "sf_express",
            "sf 1385628716739",
            "https://www.sf-express.com/chn/en/waybill/waybill-detail/SF1385628716739",
        ),
        (
            "jd_logistics",
            "JDX024407261700",
            "https://www.jdl.com/orderSearch/?waybillCodes=JDX024407261700",
        ),
        ("ems", "EA123456785CN", "https://www.ems.com.cn/qps/yjcx?mailNum=EA123456785CN"),
        (
            "zto",
            "73610555582883",
            "https://www.zto.com/express/expressCheck.html?txtBill=73610555582883",
        ),
        (
            "yto",
            "YT8962646785389",
            "https://www.kuaidi100.com/chaxun?com=yuantong&nu=YT8962646785389",
        ),
        (
            "sto",
            "773277027280336",
            "https://www.kuaidi100.com/chaxun?com=shentong&nu=773277027280336",
        ),
        (
            "yunda",
            "463431409940372",
            "https://www.kuaidi100.com/chaxun?com=yunda&nu=463431409940372",
        ),
        # CDL ids are lowercase; the link keeps them that way.
        (
            "cdl",
            "1AB2C3D4E5",
            "https://ship.cdldelivers.com/Xcelerator/Tracking/Tracking?packageitemrefno=1ab2c3d4e5",
        ),
        ("amazon", "TBA502887274000", None),  # the library has no URL for Amazon
        ("s10", "RB123456785GB", None),
        ("nosuchcarrier", "ZZ12345678", None),
    ],
)
def test_tracking_url(code: str, number: str, url: str | None) -> None:
    assert tracking_url(code, number) == url


def test_tracking_url_accepts_any_case_of_code() -> None:
    assert tracking_url("SF_EXPRESS", "SF1385628716739") == tracking_url(
        "sf_express", "SF1385628716739"
    )


def test_tracking_url_escapes_what_it_is_given() -> None:
    assert tracking_url("zto", "7361&x=1") == (
        "https://www.zto.com/express/expressCheck.html?txtBill=7361%26X%3D1"
    )


def test_resolved_tracking_carries_the_url() -> None:
    tracking = resolve_tracking("SF1385628716739")

    assert tracking.tracking_url == (
        "https://www.sf-express.com/chn/en/waybill/waybill-detail/SF1385628716739"
    )
