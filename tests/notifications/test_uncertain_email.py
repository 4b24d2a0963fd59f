"""E-mail's uncertain window, against a real SMTP server (aiosmtpd) and real workers.

SMTP cannot be asked whether it has a message. The outbox marks the attempt just before
DATA and commits the server's 250 before QUIT; an attempt that may have reached the
server is sent again (EMAIL_UNCERTAIN_POLICY=resend, at least once) or held as
`uncertain` for staff to release or drop (hold, at most once)."""

from __future__ import annotations

import re
import uuid

from service.notifications.models import NoticeStatus, Notification
from tests.live import desk, kill, notice, open_case, seed, sweep, wait_until

FAST = {"SWEEP_OUTBOX_SECONDS": "1"}
HOLD = {"EMAIL_UNCERTAIN_POLICY": "hold"}
#: A work horse per job says QUIT after each e-mail (a simple worker keeps the line).
FORK = {"WORKER_MODE": "fork"}


def notice_id_of(message) -> uuid.UUID:
    return uuid.UUID(re.search(r"<notice-([0-9a-f-]{36})\.email@", message["Message-ID"])[1])


def row(app, notice_id: uuid.UUID) -> Notification:
    with app.extensions["database"].sessionmaker() as session:
        return session.get(Notification, notice_id)


def test_the_attempt_is_marked_before_data_and_the_250_committed_before_quit(
    web, worker, smtp, twilio
):
    app = web()
    payload, key = seed(app)
    seen: dict[str, object] = {}

    def at_data(message) -> None:
        seen["id"] = notice_id_of(message)
        at = row(app, seen["id"])
        seen["data"] = (at.status, at.handed_over_at is not None)

    smtp.on_data = at_data
    smtp.on_quit = lambda: seen.setdefault("quit", row(app, seen["id"]).status)
    worker(**FORK)
    case = open_case(app, payload, key)
    wait_until(lambda: "quit" in seen)
    assert seen["data"] == (NoticeStatus.sending, True)
    assert seen["quit"] == NoticeStatus.sent  # on the record before we even say goodbye
    email = notice(app, case["id"], "email")
    assert (email.status, email.handed_over_at, email.attempts) == (NoticeStatus.sent, None, 1)


def test_a_worker_killed_as_it_says_quit_has_recorded_the_email_and_sends_no_second(
    web, worker, smtp, twilio
):
    app = web()
    payload, key = seed(app)
    first = worker(**FORK)
    smtp.on_quit = lambda: kill(first)  # dies after the 250, in the old window
    case = open_case(app, payload, key)
    wait_until(lambda: first.poll() is not None)
    smtp.on_quit = None
    worker(scheduler=True, **FAST)
    wait_until(lambda: notice(app, case["id"], "sms").status == NoticeStatus.sent)
    sweep(app)
    assert notice(app, case["id"], "email").status == NoticeStatus.sent
    assert len(smtp.messages) == 1


def test_a_simple_worker_sends_the_next_email_on_the_same_connection_each_marked_at_its_250(
    web, worker, smtp, twilio
):
    app = web()
    payload, key = seed(app)
    states: list[tuple[NoticeStatus, bool]] = []

    def at_data(message) -> None:
        at = row(app, notice_id_of(message))
        states.append((at.status, at.handed_over_at is not None))

    smtp.on_data = at_data
    worker(WORKER_MODE="simple")
    first = open_case(app, payload, key)
    wait_until(lambda: notice(app, first["id"], "email").status == NoticeStatus.sent)
    second = open_case(app, payload, key)
    wait_until(lambda: notice(app, second["id"], "email").status == NoticeStatus.sent)
    assert len(smtp.messages) == 2
    assert smtp.peers[0] == smtp.peers[1]  # one connection: no QUIT between the two
    assert states == [(NoticeStatus.sending, True)] * 2


def stall_and_kill(app, payload, key, worker, smtp, **env) -> dict:
    """The server has the e-mail; its worker dies before hearing the answer."""
    smtp.script = ["stall"]
    first = worker(**env)
    case = open_case(app, payload, key)
    assert smtp.stalled.wait(30), "the e-mail never reached the server"
    kill(first)
    email = notice(app, case["id"], "email")
    assert email.status == NoticeStatus.sending and email.handed_over_at is not None
    return case


def test_resend_policy_sends_an_uncertain_email_again_with_the_same_message_id(
    web, worker, smtp, twilio
):
    app = web()
    payload, key = seed(app)
    case = stall_and_kill(app, payload, key, worker, smtp)
    worker(scheduler=True, **FAST)  # its sweeper takes the e-mail once the lease ends
    wait_until(lambda: notice(app, case["id"], "email").status == NoticeStatus.sent)
    assert len(smtp.messages) == 2  # at least once: the customer may have two
    assert smtp.messages[0]["Message-ID"] == smtp.messages[1]["Message-ID"]
    assert notice(app, case["id"], "email").attempts == 2


def test_hold_policy_holds_an_uncertain_email_until_staff_release_it(web, worker, smtp, twilio):
    app = web(email_uncertain_policy="hold")
    payload, key = seed(app)
    case = stall_and_kill(app, payload, key, worker, smtp, **HOLD)
    worker(scheduler=True, **FAST, **HOLD)
    wait_until(lambda: notice(app, case["id"], "email").status == NoticeStatus.uncertain)
    client = app.test_client()
    listed = client.get(
        f"/api/v1/cases/{case['id']}/notifications", headers={"Authorization": f"Bearer {key}"}
    ).get_json()
    email = next(n for n in listed if n["channel"] == "email")
    assert email["status"] == "uncertain" and "may have been delivered" in email["last_error"]
    sweep(app)
    assert len(smtp.messages) == 1  # at most once: nothing goes until staff decide

    staff, _staff_id = desk(app, case["id"])
    released = client.post(
        f"/api/v1/cases/{case['id']}/notifications/{email['id']}/release", headers=staff
    )
    assert released.status_code == 200, released.get_json()
    assert released.get_json()["status"] in ("pending", "queued")
    wait_until(lambda: notice(app, case["id"], "email").status == NoticeStatus.sent)
    assert len(smtp.messages) == 2
    timeline = client.get(f"/api/v1/cases/{case['id']}/timeline", headers=staff).get_json()
    assert timeline[-1]["action"] == "notice_released" and timeline[-1]["internal"] is True


def test_hold_policy_drops_an_uncertain_email_for_good_when_staff_say_so(web, worker, smtp, twilio):
    app = web(email_uncertain_policy="hold")
    payload, key = seed(app)
    case = stall_and_kill(app, payload, key, worker, smtp, **HOLD)
    worker(scheduler=True, **FAST, **HOLD)
    wait_until(lambda: notice(app, case["id"], "email").status == NoticeStatus.uncertain)
    email_id = notice(app, case["id"], "email").id
    client = app.test_client()
    staff, _staff_id = desk(app, case["id"])
    base = f"/api/v1/cases/{case['id']}/notifications/{email_id}"
    dropped = client.post(f"{base}/drop", headers=staff)
    assert dropped.status_code == 200
    assert dropped.get_json()["status"] == "suppressed"
    assert dropped.get_json()["last_error"].startswith("dropped by Dana Desk")
    again = client.post(f"{base}/release", headers=staff)
    assert again.status_code == 409 and "suppressed" in again.get_json()["message"]
    sweep(app)
    assert notice(app, case["id"], "email").status == NoticeStatus.suppressed
    assert len(smtp.messages) == 1


def test_hold_policy_holds_an_email_whose_connection_broke_during_data(web, worker, smtp, twilio):
    app = web(email_uncertain_policy="hold")
    payload, key = seed(app)
    smtp.script = ["hang up"]
    worker(**HOLD)
    case = open_case(app, payload, key)
    wait_until(lambda: notice(app, case["id"], "email").status == NoticeStatus.uncertain)
    email = notice(app, case["id"], "email")
    assert email.last_error.startswith("uncertain:") and email.attempts == 1
    assert len(smtp.messages) == 1
