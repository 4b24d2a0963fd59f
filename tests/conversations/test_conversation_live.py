"""A whole conversation with real parts: a committing web app, a real RQ worker process,
aiosmtpd receiving our e-mail, the customer's replies as real MIME messages through the
signed webhook and through a real IMAP server (dovecot) polled twice and by two
processes at once."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted
from sqlalchemy import select, update

from service.conversations.addresses import reply_address
from service.conversations.imap_poll import poll_mailbox
from service.conversations.models import MailboxCursor, Message
from service.conversations.routes import SIGNATURE_HEADER, inbound_signature
from service.core.auth import issue_staff_token
from service.core.config import PROJECT_ROOT
from service.staff.models import StaffRole, StaffUser
from service.storefronts.keys import create_storefront, issue_key
from tests.conftest import case_payload
from tests.conversations.dovecot import Imap, running_dovecot
from tests.conversations.mail import reply
from tests.live import wait_until

REPLY_DOMAIN = "reply.acme.example"
SECRET = "live-inbound-secret"


@pytest.fixture
def imap() -> Iterator[Imap]:
    with running_dovecot() as server:
        yield server


@pytest.fixture
def conversation(live, web, worker, imap):
    extra = {
        "REPLY_DOMAIN": REPLY_DOMAIN,
        "INBOUND_MAIL_SECRET": SECRET,
        "IMAP_HOST": imap.host,
        "IMAP_PORT": str(imap.port),
        "IMAP_USERNAME": imap.username,
        "IMAP_PASSWORD": imap.password,
        "IMAP_SECURITY": "none",
    }
    live.update(extra)
    app = web(
        reply_domain=REPLY_DOMAIN,
        inbound_mail_secret=SECRET,
        imap_host=imap.host,
        imap_port=imap.port,
        imap_username=imap.username,
        imap_password=imap.password,
        imap_security="none",
    )
    worker()
    yield app
    with app.extensions["database"].sessionmaker() as session:
        session.execute(MailboxCursor.__table__.delete())
        session.commit()


def _seed(app) -> tuple[str, str]:
    with app.extensions["database"].sessionmaker() as session:
        storefront = create_storefront(
            session, "Acme Gadgets", f"live-{uuid.uuid4().hex[:8]}", case_prefix="AG",
            quiet_start_hour=0, quiet_end_hour=0,
        )  # fmt: skip
        _row, key = issue_key(session, storefront)
        staff = StaffUser(
            email=f"desk-{uuid.uuid4().hex[:6]}@acme.example", name="Dana Desk",
            role=StaffRole.agent, password_hash="x", storefront_id=storefront.id,
        )  # fmt: skip
        session.add(staff)
        token = issue_staff_token(session, staff)
        session.commit()
    return key, token


def _quoted(mail: EmailMessage) -> str:
    text = mail.get_body(("plain",)).get_content()
    return "\n".join("> " + line for line in text.splitlines())


def _replies(app, case_id: str) -> list[Message]:
    with app.extensions["database"].sessionmaker() as session:
        return list(
            session.scalars(
                select(Message)
                .where(Message.case_id == uuid.UUID(case_id), Message.kind == "reply")
                .order_by(Message.created_at)
            )
        )


_RACER = """
import sys, time, pathlib
from service import create_app
from service.conversations.imap_poll import poll_mailbox, take
app = create_app()
barrier, n, me = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
raw = pathlib.Path(sys.argv[4]).read_bytes() if len(sys.argv) > 4 else None
with app.app_context():
    (barrier / me).touch()
    while len(list(barrier.iterdir())) < n:
        time.sleep(0.005)
    print(take(raw) if raw else poll_mailbox())
"""


def _race(live: dict, barrier: Path, n: int, raw_file: Path | None = None) -> list[str]:
    """`n` processes that start together (each waits for a file per process in
    `barrier`): pollers of the mailbox, or takers of the same raw message."""
    barrier.mkdir()
    args = [str(raw_file)] if raw_file else []
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(barrier), str(n), str(i), *args],
            cwd=PROJECT_ROOT,
            env={**os.environ, **live},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for i in range(n)
    ]
    outputs = [p.communicate(timeout=120)[0].decode().strip() for p in processes]
    assert [p.returncode for p in processes] == [0] * n, outputs
    return outputs


def test_a_whole_conversation_by_email_webhook_and_imap_each_reply_once(
    conversation, live, smtp, imap, tmp_path
):
    app = conversation
    key, token = _seed(app)
    customer = {"name": "Li Wei", "email": "li.wei@customer.example", "locale": "zh-CN",
                "time_zone": "Asia/Shanghai", "phone": "+8613800138000"}  # fmt: skip
    client = app.test_client()
    opened = client.post(
        "/api/v1/cases",
        json=case_payload(customer=customer),
        headers={"Authorization": f"Bearer {key}"},
    )
    assert opened.status_code == 201, opened.get_json()
    case = opened.get_json()
    staff = {"Authorization": f"Bearer {token}"}

    # Staff write; the worker sends it; aiosmtpd receives it with the case's address.
    sent = client.post(
        f"/api/v1/cases/{case['id']}/messages",
        json={"body": "请把商品寄到我们的维修中心。"},
        headers=staff,
    )
    assert sent.status_code == 201, sent.get_json()
    wait_until(lambda: any("留言" in str(m["Subject"]) for m in smtp.messages))
    ours = next(m for m in smtp.messages if "留言" in str(m["Subject"]))
    with app.app_context():
        assert ours["Reply-To"] == reply_address(uuid.UUID(case["id"]))
    assert ours["Reply-To"].endswith("@" + REPLY_DOMAIN)
    assert ours["Message-ID"].startswith("<notice-")
    assert all(m["Reply-To"] for m in smtp.messages)  # the "open" notice carries it too

    # 1. An English reply, quoting us, through the signed webhook (and a retry of it).
    english = reply(
        sender="Li Wei <li.wei@customer.example>",
        to=ours["Reply-To"],
        text="OK, I will ship it on Monday.\n\n-- \nLi Wei\nSent from my phone",
        quote="On Wed, Dec 2, 2026 at 9:00 AM Acme <service@shop.example> wrote:\n" + _quoted(ours),
        in_reply_to=ours["Message-ID"],
        subject="Re: " + str(ours["Subject"]),
    )
    for _attempt in range(2):
        response = client.post(
            "/webhooks/mail/inbound",
            data=english,
            headers={SIGNATURE_HEADER: inbound_signature(SECRET, english)},
        )
        assert response.status_code == 200
    assert [m.body for m in _replies(app, case["id"])] == ["OK, I will ship it on Monday."]

    # 2. A Chinese reply, quoting us, into the desk's mailbox; the poller runs twice.
    chinese = reply(
        sender="李伟 <li.wei@customer.example>",
        to=ours["Reply-To"],
        text="好的，我周一寄出。",
        quote="在 2026年12月2日 09:00，Acme 客服 <service@shop.example> 写道：\n" + _quoted(ours),
        in_reply_to=ours["Message-ID"],
        subject="回复：" + str(ours["Subject"]),
    )
    with MailBoxUnencrypted(imap.host, imap.port).login(imap.username, imap.password) as box:
        box.append(chinese)
    with app.app_context():
        first = poll_mailbox()
        second = poll_mailbox()
    assert first == {"attached": 1} and second == {}
    bodies = [m.body for m in _replies(app, case["id"])]
    assert bodies == ["OK, I will ship it on Monday.", "好的，我周一寄出。"]

    # 3. Two workers poll at once, from scratch (the cursor forgotten): nothing twice.
    third = reply(
        sender="li.wei@customer.example", to=ours["Reply-To"], text="单号 SF1234567890123"
    )
    with MailBoxUnencrypted(imap.host, imap.port).login(imap.username, imap.password) as box:
        box.append(third)
    with app.extensions["database"].sessionmaker() as session:
        session.execute(update(MailboxCursor).values(last_uid=0))
        session.commit()
    outputs = _race(live, tmp_path / "pollers", 2)
    bodies = [m.body for m in _replies(app, case["id"])]
    assert bodies == [
        "OK, I will ship it on Monday.",
        "好的，我周一寄出。",
        "单号 SF1234567890123",
    ], outputs
    print("pollers:", outputs)

    # 4. The same message taken by two workers at the very same moment: one wins.
    fourth = reply(sender="li.wei@customer.example", to=ours["Reply-To"], text="已寄出。")
    raw_file = tmp_path / "fourth.eml"
    raw_file.write_bytes(fourth)
    outcomes = _race(live, tmp_path / "takers", 2, raw_file)
    print("takers:", outcomes)
    assert sorted(outcomes) == ["attached", "duplicate"]
    assert [m.body for m in _replies(app, case["id"])][-1:] == ["已寄出。"]
    assert len(_replies(app, case["id"])) == 4
    shown = client.get(f"/api/v1/cases/{case['id']}", headers=staff).get_json()
    assert shown["customer_replied"] is True
    assert shown["first_responded_at"] is not None
