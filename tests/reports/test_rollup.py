"""The daily rollup gives the figures the live tables give: on the hand-computed scenario
(its Asia/Shanghai day boundary included), fully and partly rolled, and after late
changes to a past day (read live until rebuilt, then from the rebuilt day)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from service.cases.models import Case
from service.contact_log.models import Contact, ContactChannel, ContactDirection
from service.reports.build import build_report
from service.reports.models import ReportDay, ReportDayChange, ReportDayIntake
from service.reports.periods import period_for
from service.reports.queries import Window
from service.reports.rolled import nearest_rank, rolled_days
from service.reports.rollup import refresh, refresh_days
from service.surveys.models import Survey, SurveyStatus
from tests.reports.scenario import DAY, EXPECTED_DAY, NOW, ZONE, t

#: A week on: every day of the scenario closed and settled (C3's deadline passed).
LATER = datetime(2026, 11, 17, 6, 0, tzinfo=UTC)


def both(session, shop, kind, now, day=DAY, zone=ZONE):
    period = period_for(kind, day, zone)
    live = build_report(session, [shop], period, now, use_rollup=False)
    rolled = build_report(session, [shop], period, now)
    return live, rolled, rolled_days(session, [shop.id], Window(period), now)


def figures(report):
    return {m["key"]: m["value"] for m in report["metrics"]}


@pytest.fixture
def built(db_session, world, shanghai):
    assert refresh_days(db_session, now=LATER) > 40  # from Z's 1 October to the 16th
    return shanghai.storefront


def test_the_rollup_cuts_days_at_shanghai_midnight(db_session, built):
    # C1 (17:00Z on the 9th) is a repair opened on the local 10th, with C4.
    opened = db_session.scalar(
        select(func.sum(ReportDayIntake.opened)).where(
            ReportDayIntake.day == DAY, ReportDayIntake.kind == "repair"
        )
    )
    assert opened == 2
    assert db_session.scalar(
        select(ReportDayIntake.opened).where(ReportDayIntake.day == date(2026, 11, 11))
    ) == 1  # X, 17:00Z on the 10th  # fmt: skip


@pytest.mark.parametrize("kind", ["daily", "weekly", "monthly"])
def test_rolled_reports_equal_the_live_ones(db_session, built, kind):
    live, rolled, days = both(db_session, built, kind, LATER)
    assert days  # read from the rollup ...
    assert rolled == live  # ... to the same figure, table, label and order


def test_at_the_scenario_clock_the_unsettled_day_is_read_live(db_session, built):
    # At NOW, C3's first-response deadline (10:00Z on the 11th) is still ahead: whether
    # it is due depends on the clock, so the 10th is live, the 9th rolled.
    live, rolled, days = both(db_session, built, "daily", NOW)
    assert days == {date(2026, 11, 9)}
    assert rolled == live
    assert figures(rolled)["first_response_pending"] == EXPECTED_DAY["first_response_pending"][0]
    assert figures(rolled)["first_response_rate"] == pytest.approx(2 / 3, abs=1e-4)


def test_a_late_change_to_a_past_day_is_read_live_until_rebuilt(db_session, built, world):
    before = figures(both(db_session, built, "daily", LATER)[1])
    r2 = world.cases["R2"]
    db_session.add(Survey(case_id=r2.id, status=SurveyStatus.sent, invite_at=t(11, 10, 14),
                          sent_at=t(11, 10, 14), created_at=t(11, 10, 14)))  # fmt: skip
    db_session.add(
        Contact(case_id=r2.id, direction=ContactDirection.outbound, channel=ContactChannel.phone,
                summary="late note", staff_id=r2.assignee_id, staff_name="Bob Agent",
                occurred_at=t(11, 10, 6), created_at=LATER)
    )  # fmt: skip
    db_session.get(Case, world.cases["R1"].id).cause = "screen"
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(ReportDayChange)) >= 1
    live, rolled, days = both(db_session, built, "daily", LATER)
    assert DAY not in days
    assert rolled == live
    after = figures(rolled)
    assert (before["followup_coverage"], after["followup_coverage"]) == (
        pytest.approx(2 / 3, abs=1e-4),
        1.0,
    )
    assert (before["surveys_sent"], after["surveys_sent"]) == (3, 4)

    assert refresh_days(db_session, now=LATER) >= 1
    assert db_session.scalar(select(func.count()).select_from(ReportDayChange)) == 0
    live, rebuilt, days = both(db_session, built, "daily", LATER)
    assert DAY in days
    assert rebuilt == live == rolled
    problems = next(b for b in rebuilt["breakdowns"] if b["key"] == "problems")
    assert "PHN-1 · screen" in problems["labels"]


def test_refresh_is_idempotent(db_session, built):
    rows = db_session.execute(select(ReportDay).order_by(ReportDay.day)).scalars().all()
    snapshot = [(r.day, r.first_response_hours, r.resolution_hours, r.answered) for r in rows]
    assert refresh_days(db_session, now=LATER) == 0  # nothing due
    assert refresh_days(db_session, now=LATER, rebuild=True) == len(rows)
    db_session.expire_all()
    rows = db_session.execute(select(ReportDay).order_by(ReportDay.day)).scalars().all()
    assert [(r.day, r.first_response_hours, r.resolution_hours, r.answered) for r in rows] == (
        snapshot
    )


def test_a_report_in_another_zone_than_the_rollup_is_all_live(db_session, built):
    live, rolled, days = both(db_session, built, "monthly", LATER, zone="UTC")
    assert days == set()
    assert rolled == live


def test_nearest_rank_matches_the_sql_definition():
    # rank ceil(p * n): of 1..10, the 5th and the 9th; of one value, that value.
    assert nearest_rank({float(v): 1 for v in range(1, 11)}) == (10, 5.0, 9.0)
    assert nearest_rank({3.0: 2, 1.0: 1}) == (3, 3.0, 3.0)
    assert nearest_rank({}) == (0, None, None)


def test_reopening_marks_the_day_the_case_had_been_completed_on(db_session, built, world):
    r2 = db_session.get(Case, world.cases["R2"].id)
    r2.completed_at = None  # as a reopen leaves it
    db_session.commit()
    marked = set(db_session.scalars(select(ReportDayChange.day)))
    assert DAY in marked  # R2 was completed at 00:00Z on the 10th: the local 10th
    live, rolled, days = both(db_session, built, "daily", LATER)
    assert DAY not in days
    assert rolled == live
    assert figures(rolled)["cases_completed"] == 2


def test_the_periodic_job_builds_the_closed_days_once_from_the_database_alone(
    app, db_session, world, shanghai
):
    # Everything it needs is in the database (days built, marks): nothing in Redis.
    with app.app_context():
        assert refresh() > 0
        assert refresh() == 0  # the next tick: nothing due
    built = set(db_session.scalars(select(ReportDay.day)))
    assert {date(2026, 10, 1), DAY} <= built
