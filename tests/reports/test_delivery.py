"""Scheduled delivery: at 08:00 in the storefront's zone each supervisor gets the report
in their language with the workbook attached, once however often the job runs."""

from __future__ import annotations

import email
import io
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from service.core.scheduler import BY_NAME
from service.reports.delivery import deliver
from service.reports.models import ReportDelivery

#: 08:30 on 2026-11-11 in Shanghai: the report of the 10th is due.
MORNING = datetime(2026, 11, 11, 0, 30, tzinfo=UTC)


@pytest.fixture
def outbox(app):
    folder = app.config["SETTINGS"].instance_dir / "outbox" / "email"
    before = set(folder.glob("report-*.eml")) if folder.exists() else set()

    def new_mail():
        return sorted(set(folder.glob("report-*.eml")) - before)

    return new_mail


@pytest.fixture
def chinese_boss(db_session, people):
    people["boss"].user.locale = "zh-CN"
    db_session.commit()
    return people["boss"]


def _rows(db_session, shanghai):
    return db_session.scalars(
        select(ReportDelivery).where(ReportDelivery.storefront_id == shanghai.storefront.id)
    ).all()


def test_the_daily_report_goes_to_each_supervisor_once_in_their_language(
    app, db_session, world, shanghai, chinese_boss, create_staff, other_tenant, outbox
):
    elsewhere = create_staff("supervisor", storefront=other_tenant.storefront, name="Other Boss")
    with app.app_context():
        deliver("daily", MORNING - timedelta(hours=1))  # 07:30 local: not yet
        assert _rows(db_session, shanghai) == []
        assert deliver("daily", MORNING) >= 1
        assert deliver("daily", MORNING) == 0  # the same tick again
        assert deliver("daily", MORNING + timedelta(minutes=10)) == 0  # the next tick
    rows = _rows(db_session, shanghai)
    assert [(r.kind, r.starts_on.isoformat(), r.recipients) for r in rows] == [
        ("daily", "2026-11-10", 1)
    ]
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox()]
    to_boss = [
        m for m in mails if m["To"] == chinese_boss.user.email and "Shanghai" in m["Subject"]
    ]
    assert len(to_boss) == 1
    assert not [m for m in mails if m["To"] == elsewhere.user.email and "Shanghai" in m["Subject"]]
    mail = to_boss[0]
    assert mail["Subject"] == "Shanghai Shop: 日报 2026-11-10"
    body = mail.get_body(("plain",)).get_content()
    assert "新建工单: 4" in body and "Asia/Shanghai" in body
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "report-daily-2026-11-10.xlsx"
    book = load_workbook(io.BytesIO(attachment.get_content()))
    assert "受理量" in book.sheetnames
    assert book["受理量"]["B2"].value == 4


def test_a_claim_by_another_worker_is_respected_and_a_stale_one_taken_over(
    app, db_session, world, shanghai, people, outbox
):
    claim = ReportDelivery(
        storefront_id=shanghai.storefront.id,
        kind="daily",
        starts_on=datetime(2026, 11, 10).date(),
        claimed_at=MORNING - timedelta(minutes=5),
    )
    db_session.add(claim)
    db_session.commit()
    with app.app_context():
        assert deliver("daily", MORNING) == 0  # another worker is on it
        assert deliver("daily", MORNING + timedelta(minutes=20)) == 1  # it died: take over
    db_session.refresh(claim)
    assert claim.sent_at is not None and claim.recipients == 1
    assert len([p for p in outbox() if claim.id.hex in p.name]) == 1


def test_the_weekly_report_goes_on_monday_and_the_monthly_on_the_first(
    app, db_session, world, shanghai, people
):
    monday = datetime(2026, 11, 16, 0, 30, tzinfo=UTC)  # 08:30 local
    first = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    with app.app_context():
        deliver("weekly", monday - timedelta(days=1))
        assert _rows(db_session, shanghai) == []
        assert deliver("weekly", monday) >= 1
        assert deliver("monthly", first) >= 1
    assert sorted((r.kind, r.starts_on.isoformat()) for r in _rows(db_session, shanghai)) == [
        ("monthly", "2026-11-01"),
        ("weekly", "2026-11-09"),
    ]


def test_the_reports_are_periodic_jobs():
    for kind in ("daily", "weekly", "monthly"):
        assert BY_NAME[f"report_{kind}"].func == f"service.reports.delivery.send_{kind}"
