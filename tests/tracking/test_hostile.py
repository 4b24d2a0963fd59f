"""Hostile pushes, correctly signed (a leaked secret, or a provider gone wrong): none
gives a 500. Unreadable ones are 400 and write nothing; readable ones with poisoned
text are stored cleaned (run on PostgreSQL too: it refuses NUL where SQLite stores it)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from service.tracking.models import ShipmentEvent
from tests.tracking.conftest import (
    AFTERSHIP_NUMBER,
    KUAIDI100_NUMBER,
    case_row,
    fixture,
    footprint,
)


def kuaidi100_with(**changes) -> dict:
    payload = fixture("kuaidi100_in_transit")
    payload["lastResult"]["data"][0].update(changes)
    return payload


UNREADABLE_KUAIDI100 = {
    "not-json": "{not json",
    "deep": "[" * 5000 + "]" * 5000,
    "deep-object": '{"a":' * 200 + "1" + "}" * 200,
    "huge-int": '{"lastResult": {"nu": "YT7523381298765", "state": ' + "9" * 5000 + "}}",
    "list": "[1, 2, 3]",
    "last-result-list": '{"lastResult": []}',
    "no-number": '{"lastResult": {"state": "3", "data": []}}',
    "data-not-list": '{"lastResult": {"nu": "YT7523381298765", "state": "3", "data": "x"}}',
}


@pytest.mark.parametrize("param", UNREADABLE_KUAIDI100.values(), ids=UNREADABLE_KUAIDI100)
def test_an_unreadable_kuaidi100_push_is_400_and_writes_nothing(
    db_session, tracking_account, shipped, push_kuaidi100, param
):
    account = tracking_account("kuaidi100")
    case = shipped(KUAIDI100_NUMBER, "yto")
    before = footprint(db_session, case["id"])
    response = push_kuaidi100(account, param)
    assert response.status_code == 400
    assert response.get_json()["result"] is False
    assert footprint(db_session, case["id"]) == before


POISONED_KUAIDI100 = {
    "nul": kuaidi100_with(context="已发出\u0000下一站"),
    "lone-surrogate": kuaidi100_with(context="已发出\ud800下一站"),
    "year-1": kuaidi100_with(time="0001-01-01 00:00:00"),
    "year-9999": kuaidi100_with(time="9999-12-31 23:59:59"),
    "garbage-time": kuaidi100_with(time="yesterday-ish"),
    "object-context": kuaidi100_with(context={"a": [1, 2]}),
    "huge-state": {
        **fixture("kuaidi100_in_transit"),
        "lastResult": {**fixture("kuaidi100_in_transit")["lastResult"], "state": 1e308 * 10},
    },
    "long-area": kuaidi100_with(areaName="省" * 10_000),
}


@pytest.mark.parametrize("payload", POISONED_KUAIDI100.values(), ids=POISONED_KUAIDI100)
def test_poisoned_text_in_a_kuaidi100_push_is_stored_cleaned(
    db_session, tracking_account, shipped, push_kuaidi100, payload
):
    account = tracking_account("kuaidi100")
    case = shipped(KUAIDI100_NUMBER, "yto")
    param = json.dumps(payload, ensure_ascii=True)  # \ud800 travels escaped, as JSON allows
    response = push_kuaidi100(account, param)
    assert response.status_code == 200, response.get_data(as_text=True)
    shipment = case_row(db_session, case["id"]).shipments[-1]
    stored = list(
        db_session.scalars(select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id))
    )
    assert stored
    for event in stored:
        assert "\x00" not in event.description
        event.description.encode("utf-8")  # no unpaired surrogate left
        assert event.location is None or len(event.location) <= 200


def aftership_with_checkpoint(**changes) -> dict:
    payload = fixture("aftership_exception")
    payload["msg"]["checkpoints"][-1].update(changes)
    return payload


UNREADABLE_AFTERSHIP = {
    "not-json": b"{not json",
    "not-utf8": b"\xff\xfe\x00garbage",
    "deep": b"[" * 5000 + b"]" * 5000,
    "msg-null": b'{"event": "tracking_update", "msg": null}',
    "no-number": b'{"msg": {"tag": "Delivered"}}',
    "checkpoints-string": b'{"msg": {"tracking_number": "1Z999AA10123456784", "checkpoints": "x"}}',
}


@pytest.mark.parametrize("body", UNREADABLE_AFTERSHIP.values(), ids=UNREADABLE_AFTERSHIP)
def test_an_unreadable_aftership_push_is_400_and_writes_nothing(
    db_session, tracking_account, shipped, push_aftership, body
):
    account = tracking_account("aftership")
    case = shipped(AFTERSHIP_NUMBER, "ups")
    before = footprint(db_session, case["id"])
    assert push_aftership(account, body).status_code == 400
    assert footprint(db_session, case["id"]) == before


POISONED_AFTERSHIP = {
    "nul": aftership_with_checkpoint(message="held\u0000pending"),
    "lone-surrogate": aftership_with_checkpoint(message="held\udfffpending"),
    "year-1-east": aftership_with_checkpoint(checkpoint_time="0001-01-01T00:00:00+14:00"),
    "year-9999-west": aftership_with_checkpoint(checkpoint_time="9999-12-31T23:59:59-14:00"),
    "number-time": aftership_with_checkpoint(checkpoint_time=10**30),
    "tag-object": {
        **fixture("aftership_exception"),
        "msg": {**fixture("aftership_exception")["msg"], "tag": {"x": 1}},
    },
    "checkpoint-junk": {
        **fixture("aftership_exception"),
        "msg": {**fixture("aftership_exception")["msg"], "checkpoints": [1, "two", None, []]},
    },
}


@pytest.mark.parametrize("payload", POISONED_AFTERSHIP.values(), ids=POISONED_AFTERSHIP)
def test_poisoned_text_in_an_aftership_push_is_no_500(
    db_session, tracking_account, shipped, push_aftership, payload
):
    account = tracking_account("aftership")
    shipped(AFTERSHIP_NUMBER, "ups")
    body = json.dumps(payload, ensure_ascii=True).encode()
    response = push_aftership(account, body)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_huge_push_is_refused_before_it_is_read(client, tracking_account):
    account = tracking_account("aftership")
    response = client.post(
        f"/webhooks/tracking/aftership/{account.callback_token}",
        data=b"[" + b"1," * 600_000 + b"1]",
        content_type="application/json",
        headers={"aftership-hmac-sha256": "anything"},
    )
    assert response.status_code == 413


def test_a_hostile_callback_token_is_404(client):
    for token in ("a" * 5000, "%00", "..%2F..", "\u2028"):
        assert client.post(f"/webhooks/tracking/kuaidi100/{token}").status_code == 404


def test_brackets_inside_the_carriers_text_are_not_nesting(
    db_session, tracking_account, shipped, push_kuaidi100
):
    account = tracking_account("kuaidi100")
    case = shipped(KUAIDI100_NUMBER, "yto")
    response = push_kuaidi100(account, kuaidi100_with(context="[" * 100 + '{"' + "}" * 3))
    assert response.status_code == 200
    shipment = case_row(db_session, case["id"]).shipments[-1]
    assert shipment.tracking_status == "in_transit"
