"""Reconciling before a retry (`delivery.send`, step 2 of the protocol), in-process against
the loopback Twilio: a retry first asks the provider whether it already has the notice,
and a first attempt does not ask."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from service import create_app
from service.notifications import delivery
from service.notifications.models import Channel
from tests.conftest import TEST_REDIS_URL
from tests.notifications.providers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    TwilioSink,
    running_twilio,
)


@pytest.fixture
def twilio() -> Iterator[TwilioSink]:
    with running_twilio() as sink:
        yield sink
    assert sink.problems == []


@pytest.fixture
def sms_app(app, database_url, instance_dir, twilio):
    made = create_app(
        instance_dir=instance_dir,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        secret_key="reconcile",
        sms_backend="twilio",
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        twilio_from=FROM_NUMBER,
        twilio_base_url=twilio.base_url,
    )
    yield made
    made.extensions["database"].engine.dispose()


def _notice(attempts: int, notice_id: uuid.UUID) -> delivery.Claimed:
    return delivery.Claimed(
        id=notice_id,
        channel=Channel.sms,
        recipient="+8613800138000",
        subject=None,
        body_text="MS-000001: we have your case. Reply STOP to opt out.",
        body_html=None,
        attempts=attempts,
        created_at=datetime.now(UTC) - timedelta(minutes=1),
    )


def test_a_retry_of_a_notice_the_provider_already_has_is_not_sent_again(sms_app, twilio):
    notice_id = uuid.uuid4()
    with sms_app.app_context():
        first = delivery.send(_notice(1, notice_id))
        again = delivery.send(_notice(2, notice_id))
    assert again == first == twilio.messages[0].sid
    assert (twilio.posts, twilio.lists, len(twilio.messages)) == (1, 1, 1)


def test_a_retry_the_provider_does_not_have_is_sent(sms_app, twilio):
    with sms_app.app_context():
        sid = delivery.send(_notice(2, uuid.uuid4()))
    assert (twilio.posts, twilio.lists) == (1, 1)
    assert sid == twilio.messages[0].sid


def test_a_first_attempt_does_not_ask_the_provider(sms_app, twilio):
    with sms_app.app_context():
        delivery.send(_notice(1, uuid.uuid4()))
    assert (twilio.posts, twilio.lists) == (1, 0)
