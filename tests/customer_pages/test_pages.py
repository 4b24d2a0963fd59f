"""The customer pages: what they show, what a GET never does, what a POST does once, and
what a bad link or a forged form gets (a page that reveals nothing)."""

from __future__ import annotations

import html
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from itsdangerous import TimestampSigner
from markupsafe import escape

from service.cases.models import Case, CaseStatus
from service.customer_pages import forms
from service.customer_pages.strings import STRINGS
from service.links import LinkExpired, make_token, new_link_key, read_token
from service.notifications.rendering import format_money, status_words
from service.surveys.models import Survey, SurveyStatus
from tests.customer_pages.conftest import form_field, quote_body
from tests.customer_pages.sample import CHINESE, ENGLISH, IN_WARRANTY, OUT_OF_WARRANTY

GOOD_ANSWERS = {
    "service_attitude": "5",
    "product_quality": "4",
    "price_reasonableness": "3",
    "overall_satisfaction": "4",
    "comment": "Quick and friendly, thank you.",
}


def timeline(client, case, admin) -> list[dict]:
    return client.get(f"/api/v1/cases/{case['id']}/timeline", headers=admin.headers).get_json()


def quotes(client, case, admin) -> list[dict]:
    return client.get(f"/api/v1/cases/{case['id']}/quotes", headers=admin.headers).get_json()


def case_status(client, case, admin) -> str:
    return client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).get_json()["status"]


def shown(locale: str, key: str) -> str:
    """A string of the table as it appears in the HTML."""
    return str(escape(STRINGS[locale][key]))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def survey_row(db_session, survey: Survey) -> Survey:
    return db_session.get(Survey, survey.id, populate_existing=True)


# --- the status page ---------------------------------------------------------------


@pytest.fixture
def shipped(walk):
    """A repair with one item out of warranty and one in: quoted, approved, repaired and
    shipped back with a UPS tracking number."""

    def make(customer: dict) -> dict:
        case = walk(CaseStatus.diagnosing, customer=customer, items=[OUT_OF_WARRANTY, IN_WARRANTY])
        tv, remote = case["items"]
        lines = [
            {
                "kind": "part",
                "description": "Panel",
                "unit_price_minor": 129999,
                "item_id": tv["id"],
            },
            {
                "kind": "labour",
                "description": "Pairing",
                "unit_price_minor": 5000,
                "item_id": remote["id"],
            },
        ]
        return walk.advance(
            case["id"],
            ["send_quote", "approve_quote", "finish_repair", "ship"],
            send_quote=quote_body(lines=lines),
        )

    return make


@pytest.mark.parametrize(
    ("customer", "locale", "zone_name", "words", "waived"),
    [
        (
            ENGLISH,
            "en",
            "(Greenwich Mean Time)",
            ["We received your request", "Repair finished"],
            "In warranty until 2027-10-01: free of charge.",  # the quote's waived_reason
        ),
        (
            CHINESE,
            "zh-CN",
            "（中国标准时间）",
            ["我们已受理您的申请", "维修完成"],
            "保修期至 2027年10月1日，免费。",
        ),
    ],
)
def test_the_status_page_shows_the_case_in_the_customers_language(
    client, admin, link, shipped, customer, locale, zone_name, words, waived
):
    case = shipped(customer)
    response = client.get(link(case, "status"))

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = text_of(response)
    assert f'<html lang="{locale}">' in page
    assert 'name="viewport"' in page
    assert "Main Shop" in page
    assert case["number"] in page
    assert "Television 55" in page and "Remote control" in page
    assert status_words("shipped", locale) in page
    for phrase in words:
        assert phrase in page
    assert zone_name in page
    # The quote: the out-of-warranty line charged, the warranty line free with its reason.
    assert format_money(129999, "CNY", locale) in page
    assert shown(locale, "free") in page
    assert waived in page
    assert "1Z5R89390357567127" in page
    tracking_url = client.get(
        f"/api/v1/cases/{case['id']}/shipments", headers=admin.headers
    ).get_json()[-1]["tracking_url"]
    assert f'href="{html.escape(tracking_url)}"' in page
    assert "<script" not in page


def test_the_status_page_hides_internal_notes_and_staff_notes(client, admin, act, walk, link):
    case = walk(CaseStatus.received)
    assert (
        act(
            case["id"],
            "diagnose",
            {"technician_id": str(admin.user.id), "note": "Staff: suspect water damage"},
            admin.headers,
        ).status_code
        == 200
    )
    etag = client.get(f"/api/v1/cases/{case['id']}", headers=admin.headers).headers["ETag"]
    assigned = client.post(
        f"/api/v1/cases/{case['id']}/assignment",
        json={"priority": "high", "note": "Internal: customer was rude on the phone"},
        headers={**admin.headers, "If-Match": etag},
    )
    assert assigned.status_code == 200, assigned.get_json()
    contact = client.post(
        f"/api/v1/cases/{case['id']}/contacts",
        json={"direction": "in", "channel": "phone", "summary": "Internal: angry call"},
        headers=admin.headers,
    )
    assert contact.status_code == 201, contact.get_json()

    page = text_of(client.get(link(case, "status")))

    assert "Internal:" not in page
    assert "suspect water damage" not in page
    assert admin.user.name not in page
    assert shown("en", "event_diagnose") in page


def test_the_status_page_links_to_a_pending_quote(client, quoted, link):
    case = quoted()
    page = text_of(client.get(link(case, "status")))
    assert shown("en", "review_quote") in page
    assert 'href="/c/quote/' in page


def test_pages_forbid_framing_caching_and_referrers(client, quoted, link):
    response = client.get(link(quoted(), "quote"))
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# --- GET never records ---------------------------------------------------------------


def test_opening_the_quote_link_as_a_scanner_would_decides_nothing(client, admin, quoted, link):
    case = quoted()
    before = timeline(client, case, admin)

    for path in (link(case, "quote"), link(case, "quote") + "/approve"):
        for _ in range(2):
            assert client.get(path, follow_redirects=True).status_code == 200

    assert quotes(client, case, admin)[-1]["status"] == "pending"
    assert case_status(client, case, admin) == "quote_pending"
    assert timeline(client, case, admin) == before


def test_opening_the_survey_link_as_a_scanner_would_records_nothing(
    client, admin, db_session, surveyed, link
):
    case, survey = surveyed()
    before = timeline(client, case, admin)

    for _ in range(2):
        response = client.get(link(case, "survey"))
        assert response.status_code == 200
        assert 'type="radio"' in text_of(response)

    assert survey_row(db_session, survey).status == SurveyStatus.sent
    assert survey_row(db_session, survey).answered_at is None
    assert case_status(client, case, admin) == "delivered"
    assert timeline(client, case, admin) == before


# --- bad links -------------------------------------------------------------------------


def _requests(token: str) -> list[tuple[str, str]]:
    return [
        ("GET", f"/c/{token}"),
        ("GET", f"/c/quote/{token}"),
        ("POST", f"/c/quote/{token}/approve"),
        ("POST", f"/c/quote/{token}/decline"),
        ("GET", f"/c/survey/{token}"),
        ("POST", f"/c/survey/{token}"),
    ]


def assert_reveals_nothing(page: str, *cases: dict) -> None:
    for case in cases:
        assert case["number"] not in page
        assert case["customer"]["name"] not in page
        assert case["id"] not in page
    assert "Main Shop" not in page
    assert "Television" not in page


@pytest.fixture
def two_cases(quoted):
    return quoted(ENGLISH), quoted(CHINESE)


def test_a_tampered_token_is_403_and_reveals_nothing(client, link, two_cases):
    case, _other = two_cases
    token = link(case, "quote").rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for method, path in _requests(tampered):
        response = client.open(path, method=method, data=GOOD_ANSWERS)
        assert response.status_code == 403, path
        assert_reveals_nothing(text_of(response), *two_cases)
        assert "This link doesn" in text_of(response)


def test_an_expired_token_is_410_and_reveals_nothing(client, link, two_cases, monkeypatch):
    case, _other = two_cases
    # Signed 61 days ago: older than any purpose's validity.
    signed_at = int(time.time()) - 61 * 86400
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: signed_at)
    tokens = {purpose: link(case, purpose).rsplit("/", 1)[1] for purpose in PURPOSE_PATHS}
    monkeypatch.undo()
    for purpose, token in tokens.items():
        for method, path in PURPOSE_PATHS[purpose](token):
            response = client.open(path, method=method, data=GOOD_ANSWERS)
            assert response.status_code == 410, path
            assert_reveals_nothing(text_of(response), *two_cases)
            assert "expired" in text_of(response)


PURPOSE_PATHS = {
    "status": lambda token: [
        ("GET", f"/c/{token}"),
        ("POST", f"/c/{token}/attachments"),
        ("GET", f"/c/{token}/attachments/{uuid.UUID(int=0)}"),
        ("GET", f"/c/{token}/attachments/{uuid.UUID(int=0)}/thumbnail"),
    ],
    "quote": lambda token: [
        ("GET", f"/c/quote/{token}"),
        ("POST", f"/c/quote/{token}/approve"),
        ("POST", f"/c/quote/{token}/decline"),
    ],
    "survey": lambda token: [("GET", f"/c/survey/{token}"), ("POST", f"/c/survey/{token}")],
}


def test_a_token_for_another_purpose_is_403(client, link, two_cases):
    case, _other = two_cases
    for purpose, requests in PURPOSE_PATHS.items():
        for other_purpose in PURPOSE_PATHS:
            if other_purpose == purpose:
                continue
            token = link(case, other_purpose).rsplit("/", 1)[1]
            for method, path in requests(token):
                response = client.open(path, method=method, data=GOOD_ANSWERS)
                assert response.status_code == 403, (purpose, other_purpose, path)
                assert_reveals_nothing(text_of(response), *two_cases)


def test_a_token_pairing_one_cases_id_with_anothers_link_key_is_403(
    app, client, db_session, two_cases
):
    case, other = two_cases
    with app.app_context():
        other_key = db_session.get(Case, uuid.UUID(other["id"])).link_key
        crossed = SimpleNamespace(id=uuid.UUID(case["id"]), link_key=other_key)
        tokens = {purpose: make_token(crossed, purpose) for purpose in PURPOSE_PATHS}
    for purpose, token in tokens.items():
        for method, path in PURPOSE_PATHS[purpose](token):
            response = client.open(path, method=method, data=GOOD_ANSWERS)
            assert response.status_code == 403, path
            assert_reveals_nothing(text_of(response), *two_cases)


def test_a_token_of_a_case_that_does_not_exist_is_403(app, client, two_cases):
    with app.app_context():
        ghost = make_token(SimpleNamespace(id=uuid.uuid4(), link_key="abcdefgh"), "status")
    response = client.get(f"/c/{ghost}")
    assert response.status_code == 403
    assert_reveals_nothing(text_of(response), *two_cases)


def test_rotating_the_link_key_revokes_every_link(client, db_session, link, quoted):
    case = quoted()
    old = {purpose: link(case, purpose) for purpose in ("status", "quote")}
    assert client.get(old["status"]).status_code == 200

    row = db_session.get(Case, uuid.UUID(case["id"]))
    row.link_key = new_link_key()
    db_session.commit()

    for path in old.values():
        response = client.get(path)
        assert response.status_code == 403
        assert case["number"] not in text_of(response)
    assert client.get(link(case, "status")).status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "." * 40,
        "not.a.token",
        "A" * 5000,
        "%00%01",
        "李伟",
        "Q6Eh7s0VRrqauFx8TJfUfQ.612QCmBs.awTUAQ.3MZKDpg52as6mololoGv2w4l2JE",
        "====.====.====",
    ],
)
def test_junk_tokens_get_a_page_never_a_500(client, token):
    for method, path in _requests(token):
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code in (403, 404, 410), (path, response.status_code)
        assert response.mimetype == "text/html"


# --- quote approval --------------------------------------------------------------------


def test_approving_the_quote_moves_the_case_to_repairing_once(client, admin, quoted, link):
    case = quoted()
    path = link(case, "quote")
    binding = form_field(text_of(client.get(path)))

    first = client.post(f"{path}/approve", data={"csrf_token": binding})
    second = client.post(f"{path}/approve", data={"csrf_token": binding})

    assert first.status_code == 200
    assert second.status_code == 200
    assert shown("en", "approved_title") in text_of(first)
    assert text_of(second).count(shown("en", "approved_body")) == 1
    assert case_status(client, case, admin) == "repairing"
    events = timeline(client, case, admin)
    assert [e["action"] for e in events].count("approve_quote") == 1
    approval = next(e for e in events if e["action"] == "approve_quote")
    assert approval["actor"]["type"] == "customer"
    assert approval["actor"]["name"] == ENGLISH["name"]
    decided = quotes(client, case, admin)[-1]
    assert decided["status"] == "approved"
    assert decided["decided_via"] == "customer_link"


def test_declining_records_the_reason_and_returns_the_item_unrepaired(client, admin, quoted, link):
    case = quoted(CHINESE)
    path = link(case, "quote")
    binding = form_field(text_of(client.get(path)))

    response = client.post(
        f"{path}/decline", data={"csrf_token": binding, "reason": "  太贵了，不修了。\r\n谢谢 "}
    )

    assert response.status_code == 200
    assert shown("zh-CN", "declined_title") in text_of(response)
    assert case_status(client, case, admin) == "ready_to_ship"
    decided = quotes(client, case, admin)[-1]
    assert decided["status"] == "declined"
    assert decided["decision_note"] == "太贵了，不修了。\n谢谢"
    # Approving what was just declined changes nothing.
    again = client.post(f"{path}/approve", data={"csrf_token": binding})
    assert again.status_code == 409
    assert quotes(client, case, admin)[-1]["status"] == "declined"


def test_a_decline_reason_over_2000_characters_is_422_and_nothing_changes(
    client, admin, quoted, link
):
    case = quoted()
    path = link(case, "quote")
    binding = form_field(text_of(client.get(path)))

    response = client.post(f"{path}/decline", data={"csrf_token": binding, "reason": "x" * 2001})

    assert response.status_code == 422
    assert 'id="reason-error"' in text_of(response)
    assert quotes(client, case, admin)[-1]["status"] == "pending"
    assert case_status(client, case, admin) == "quote_pending"


def test_a_superseded_quote_cannot_be_approved(client, admin, quoted, walk, link):
    case = quoted()
    path = link(case, "quote")
    first_form = form_field(text_of(client.get(path)))
    walk.advance(case["id"], ["send_quote"], send_quote=quote_body(unit_price_minor=39900))
    before = timeline(client, case, admin)

    response = client.post(f"{path}/approve", data={"csrf_token": first_form})

    assert response.status_code == 409
    assert shown("en", "superseded_title") in text_of(response)
    first, second = quotes(client, case, admin)
    assert (first["status"], second["status"]) == ("superseded", "pending")
    assert case_status(client, case, admin) == "quote_pending"
    assert timeline(client, case, admin) == before
    # The page now shows the newer quote, which can be approved.
    second_form = form_field(text_of(client.get(path)))
    assert client.post(f"{path}/approve", data={"csrf_token": second_form}).status_code == 200
    assert quotes(client, case, admin)[1]["status"] == "approved"


def test_an_expired_quote_cannot_be_approved(client, admin, db_session, quoted, link):
    case = quoted()
    path = link(case, "quote")
    binding = form_field(text_of(client.get(path)))
    quote = db_session.get(Case, uuid.UUID(case["id"])).quotes[-1]
    quote.valid_until = datetime.now(UTC) - timedelta(minutes=1)
    db_session.commit()

    page = client.get(path)
    assert page.status_code == 200
    assert "expired on" in text_of(page)
    assert "/approve" not in text_of(page)

    response = client.post(f"{path}/approve", data={"csrf_token": binding})
    assert response.status_code == 409
    assert shown("en", "quote_expired_title") in text_of(response)
    assert quotes(client, case, admin)[-1]["status"] == "pending"
    assert case_status(client, case, admin) == "quote_pending"


def test_a_quote_on_a_cancelled_case_cannot_be_decided(client, admin, act, quoted, link):
    case = quoted()
    path = link(case, "quote")
    binding = form_field(text_of(client.get(path)))
    assert act(case["id"], "cancel", {"reason": "Changed mind"}, admin.headers).status_code == 200

    assert "/approve" not in text_of(client.get(path))
    response = client.post(f"{path}/approve", data={"csrf_token": binding})
    assert response.status_code == 409
    assert case_status(client, case, admin) == "cancelled"


def test_a_case_without_a_quote_says_so(client, walk, link):
    case = walk(CaseStatus.diagnosing)
    response = client.get(link(case, "quote"))
    assert response.status_code == 404
    assert shown("en", "no_quote_title") in text_of(response)


@pytest.mark.parametrize(
    "binding",
    [
        None,
        "",
        "junk",
        "not:signed.at-all",
    ],
)
def test_a_quote_post_without_a_valid_form_binding_is_403(client, admin, quoted, link, binding):
    case = quoted()
    path = link(case, "quote")
    data = {} if binding is None else {"csrf_token": binding}
    for action in ("approve", "decline"):
        response = client.post(f"{path}/{action}", data=data)
        assert response.status_code == 403
        assert case["number"] not in text_of(response)
    assert quotes(client, case, admin)[-1]["status"] == "pending"


def test_a_form_binding_of_another_case_or_form_is_403(app, client, admin, two_cases, link):
    case, other = two_cases
    path = link(case, "quote")
    others_form = form_field(text_of(client.get(link(other, "quote"))))
    own_quote_id = uuid.UUID(quotes(client, case, admin)[-1]["id"])
    with app.app_context():
        survey_salted = forms.bind(forms.SURVEY_FORM, uuid.UUID(case["id"]), own_quote_id)

    for binding in (others_form, survey_salted):
        response = client.post(f"{path}/approve", data={"csrf_token": binding})
        assert response.status_code == 403
    assert quotes(client, case, admin)[-1]["status"] == "pending"
    assert quotes(client, other, admin)[-1]["status"] == "pending"


# --- the survey ------------------------------------------------------------------------


def test_answering_the_survey_records_once_and_closes_the_case(
    client, admin, db_session, surveyed, link
):
    case, survey = surveyed(CHINESE)
    path = link(case, "survey")
    binding = form_field(text_of(client.get(path)))

    response = client.post(path, data={**GOOD_ANSWERS, "csrf_token": binding})

    assert response.status_code == 200
    assert shown("zh-CN", "survey_thanks_title") in text_of(response)
    row = survey_row(db_session, survey)
    assert row.status == SurveyStatus.answered
    assert (row.service_attitude, row.product_quality) == (5, 4)
    assert (row.price_reasonableness, row.overall_satisfaction) == (3, 4)
    assert row.comment == GOOD_ANSWERS["comment"]
    assert row.answer_channel.value == "link"
    assert row.recorded_by_name == CHINESE["name"]
    assert case_status(client, case, admin) == "closed"
    closes = [e for e in timeline(client, case, admin) if e["action"] == "close"]
    assert len(closes) == 1

    again = client.post(
        path, data={**GOOD_ANSWERS, "overall_satisfaction": "1", "csrf_token": binding}
    )
    assert again.status_code == 200
    assert shown("zh-CN", "survey_answered_title") in text_of(again)
    assert survey_row(db_session, survey).overall_satisfaction == 4
    assert len([e for e in timeline(client, case, admin) if e["action"] == "close"]) == 1
    # And the link now says so instead of showing the form.
    reopened = client.get(path)
    assert reopened.status_code == 200
    assert 'type="radio"' not in text_of(reopened)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"service_attitude": None}, "service_attitude"),
        ({"product_quality": "6"}, "product_quality"),
        ({"price_reasonableness": "0"}, "price_reasonableness"),
        ({"overall_satisfaction": "abc"}, "overall_satisfaction"),
        ({"overall_satisfaction": "3.5"}, "overall_satisfaction"),
        ({"service_attitude": " "}, "service_attitude"),
        ({"comment": "é" * 2001}, "comment"),
    ],
)
def test_invalid_survey_answers_are_422_naming_the_field_and_record_nothing(
    client, admin, db_session, surveyed, link, changes, field
):
    case, survey = surveyed()
    path = link(case, "survey")
    binding = form_field(text_of(client.get(path)))
    data = {**GOOD_ANSWERS, **changes, "csrf_token": binding}
    data = {name: value for name, value in data.items() if value is not None}

    response = client.post(path, data=data)

    assert response.status_code == 422
    page = text_of(response)
    assert f'id="{field}-error"' in page
    assert page.count('class="error"') == 1
    assert shown("en", "errors_summary") in page
    # What was typed is kept: the valid ratings stay checked.
    assert 'value="5" required checked' in page or field == "service_attitude"
    assert survey_row(db_session, survey).status == SurveyStatus.sent
    assert case_status(client, case, admin) == "delivered"


def test_a_survey_post_without_a_valid_form_binding_is_403(
    client, db_session, surveyed, quoted, link
):
    case, survey = surveyed()
    path = link(case, "survey")
    quote_case = quoted()
    quote_form = form_field(text_of(client.get(link(quote_case, "quote"))))
    for binding in (None, "junk", quote_form):
        data = dict(GOOD_ANSWERS) if binding is None else {**GOOD_ANSWERS, "csrf_token": binding}
        response = client.post(path, data=data)
        assert response.status_code == 403
    assert survey_row(db_session, survey).status == SurveyStatus.sent


def test_a_survey_past_its_window_has_closed(client, db_session, surveyed, link):
    case, survey = surveyed()
    path = link(case, "survey")
    binding = form_field(text_of(client.get(path)))
    row = survey_row(db_session, survey)
    row.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db_session.commit()

    assert client.get(path).status_code == 410
    response = client.post(path, data={**GOOD_ANSWERS, "csrf_token": binding})
    assert response.status_code == 410
    assert shown("en", "survey_closed_title") in text_of(response)
    assert survey_row(db_session, survey).status == SurveyStatus.sent


def test_a_survey_not_yet_sent_is_not_there(client, db_session, walk, link):
    case = walk(CaseStatus.delivered)
    response = client.get(link(case, "survey"))
    assert response.status_code == 404
    assert shown("en", "survey_missing_title") in text_of(response)

    open_case = walk(CaseStatus.open)
    assert client.get(link(open_case, "survey")).status_code == 404


def test_junk_survey_values_never_cause_a_500(client, db_session, surveyed, link):
    case, survey = surveyed()
    path = link(case, "survey")
    binding = form_field(text_of(client.get(path)))
    for junk in ("\x00", "５", "1\x002", "𝟓", "-1", "1e0", "0x3", "999999999999999999999"):
        data = {**GOOD_ANSWERS, "service_attitude": junk, "csrf_token": binding}
        assert client.post(path, data=data).status_code == 422
    response = client.post(
        path, data={**GOOD_ANSWERS, "comment": "ok\x00 \x07fine", "csrf_token": binding}
    )
    assert response.status_code == 200
    assert survey_row(db_session, survey).comment == "ok fine"


# --- the strings -----------------------------------------------------------------------


def test_both_locales_have_every_string():
    assert set(STRINGS["en"]) == set(STRINGS["zh-CN"])
    for locale, table in STRINGS.items():
        for key, text in table.items():
            assert text.strip(), (locale, key)


def test_paths_under_c_that_are_no_page_are_404(client):
    for path in ("/c/", "/c/quote/", "/c/survey/", "/c/a/b"):
        assert client.get(path).status_code == 404


#: How long each purpose's links last, in days (the product's promise, written out).
VALIDITY_DAYS = {"status": 60, "quote": 30, "survey": 14}


@pytest.mark.parametrize("purpose", sorted(VALIDITY_DAYS))
def test_a_link_lasts_exactly_its_purposes_validity(app, monkeypatch, purpose):
    case = SimpleNamespace(id=uuid.uuid4(), link_key="k3y-Ab")
    limit = VALIDITY_DAYS[purpose] * 86400
    for age, expired in ((limit - 5, False), (limit + 5, True)):
        signed_at = int(time.time()) - age
        with app.app_context():
            monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self, at=signed_at: at)
            token = make_token(case, purpose)
            monkeypatch.undo()
            if expired:
                with pytest.raises(LinkExpired):
                    read_token(token, purpose)
            else:
                assert read_token(token, purpose) == (case.id, "k3y-Ab")


def test_a_link_token_is_compact_for_sms_a_bare_case_id_and_an_8_character_key(app):
    # Every character of an SMS counts: the case id without base64 padding (22
    # characters for 16 bytes), a link key of 6 random bytes (8 characters).
    assert {len(new_link_key()) for _ in range(20)} == {8}
    case = SimpleNamespace(id=uuid.UUID("12345678-1234-5678-1234-567812345678"), link_key="k" * 8)
    with app.app_context():
        token = make_token(case, "status")
    case_part, link_key, *_signature = token.split(".")
    assert "=" not in token and len(case_part) == 22 and link_key == "k" * 8
