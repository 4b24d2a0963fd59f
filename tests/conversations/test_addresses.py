"""Per-case reply addresses: unguessable, bound to one case, robust to mail systems that
change the case of a local part; and the development e-mail files carry them too."""

from __future__ import annotations

import uuid
from email import message_from_bytes, policy

from service.conversations.addresses import case_from_address, reply_address
from service.notifications.backends import EmailMessage, FileEmailBackend
from tests.conversations.conftest import REPLY_DOMAIN


def test_a_reply_address_names_its_case_and_only_that_one(app, conversations):
    case_id, other = uuid.uuid4(), uuid.uuid4()
    with app.app_context():
        address = reply_address(case_id)
        assert address.endswith("@" + REPLY_DOMAIN) and len(address.split("@")[0]) == 40
        assert case_from_address(address) == case_id
        assert case_from_address(address.upper()) == case_id  # a relay upper-cased it
        local = address.split("@")[0]
        assert case_from_address(f"{local}+thread@{REPLY_DOMAIN}") == case_id
        assert case_from_address(f"{local}@elsewhere.example") is None
        forged = reply_address(other).split("@")[0][:27] + local[27:]  # their id, our MAC
        assert case_from_address(f"{forged}@{REPLY_DOMAIN}") is None
        assert case_from_address(f"c{'a' * 39}@{REPLY_DOMAIN}") is None


def test_without_a_reply_domain_there_is_no_reply_address(app):
    with app.app_context():
        assert app.config["SETTINGS"].reply_domain is None
        assert reply_address(uuid.uuid4()) is None


def test_the_development_email_files_carry_the_reply_address(tmp_path):
    backend = FileEmailBackend(tmp_path)
    message = EmailMessage(
        to="li.wei@example.com", subject="Hi", text="Hello", html="<p>Hello</p>",
        idempotency_key="notice-1.email", reply_to=f"cabc@{REPLY_DOMAIN}",
    )  # fmt: skip
    backend.send(message)
    written = message_from_bytes(
        backend.path_for("notice-1.email").read_bytes(), policy=policy.default
    )
    assert written["Reply-To"] == f"cabc@{REPLY_DOMAIN}"
    assert written["Message-ID"] == "<notice-1.email@aftersales>"
