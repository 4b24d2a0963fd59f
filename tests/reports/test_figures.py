"""The report's figures against the hand-computed scenario (tests/reports/scenario.py)."""

from __future__ import annotations

from datetime import date

import pytest

from service.reports.build import build_report
from service.reports.periods import period_for
from tests.reports.scenario import DAY, EXPECTED_DAY, NOW, ZONE


def _figures(report):
    return {m["key"]: (m["value"], m["previous"]) for m in report["metrics"]}


def _table(report, key):
    found = next(b for b in report["breakdowns"] if b["key"] == key)
    return {d["key"]: dict(zip(found["keys"], d["data"], strict=True)) for d in found["datasets"]}


@pytest.fixture
def daily(db_session, world, shanghai):
    period = period_for("daily", DAY, ZONE)
    return build_report(db_session, [shanghai.storefront], period, NOW)


@pytest.mark.parametrize("key", sorted(EXPECTED_DAY))
def test_daily_figure_matches_the_hand_computed_value(daily, key):
    value, previous = _figures(daily)[key]
    want_value, want_previous = EXPECTED_DAY[key]
    if want_value is None:
        assert value is None
    else:
        assert value == pytest.approx(want_value, abs=1e-3), value
    if want_previous is None:
        assert previous is None
    else:
        assert previous == pytest.approx(want_previous, abs=1e-3)


def test_the_day_is_bounded_by_shanghai_midnights(daily):
    assert daily["period"]["time_zone"] == ZONE
    assert daily["period"]["start"].isoformat() == "2026-11-09T16:00:00+00:00"
    assert daily["period"]["end"].isoformat() == "2026-11-10T16:00:00+00:00"
    assert daily["period"]["previous"]["first_day"] == date(2026, 11, 9)


def test_intake_breakdowns_by_kind_channel_and_product(daily):
    kinds = _table(daily, "intake_by_kind")
    assert kinds["current"] == {
        "repair": 2, "return": 0, "exchange": 0, "complaint": 1, "inquiry": 1,
    }  # fmt: skip
    assert kinds["previous"]["repair"] == 1
    channels = _table(daily, "intake_by_channel")["current"]
    assert (channels["web"], channels["phone"], channels["email"], channels["chat"]) == (2, 1, 1, 0)
    assert _table(daily, "intake_by_sku") == {
        "current": {"PHN-1": 2, "CHG-2": 1},
        "previous": {"PHN-1": 1, "CHG-2": 0},
    }


def test_sla_by_clock_honours_the_pause_and_splits_resolution_by_kind(daily):
    sla = _table(daily, "sla_by_clock")["current"]
    assert sla["first_response"] == pytest.approx(2 / 3, abs=1e-3)
    # R1 took 224 h against a 200 h target, 72 h of it waiting for the customer: met.
    assert sla["resolution:repair"] == 1.0
    assert sla["resolution:return"] == 1.0
    assert sla["resolution:complaint"] == 0.0
    assert sla["resolution:exchange"] is None
    assert sla["follow_up"] == 0.5
    times = _table(daily, "resolution_by_kind")
    assert times["median"]["repair"] == 224.0
    assert times["median"]["return"] == 48.0
    assert times["p90"]["complaint"] == 72.0


def test_product_problems_compare_with_the_day_before(daily):
    problems = next(b for b in daily["breakdowns"] if b["key"] == "problems")
    rows = {
        label: [d["data"][i] for d in problems["datasets"]]
        for i, label in enumerate(problems["labels"])
    }
    assert rows == {"PHN-1 · battery": [1, 1, 0], "CHG-2 · no fault": [1, 0, 1]}


def test_agents_workload_and_qa_scores(daily):
    agents = _table(daily, "agent_workload")
    names = next(b for b in daily["breakdowns"] if b["key"] == "agent_workload")["labels"]
    assert names == ["Alice Agent", "Bob Agent"]
    by_name = {key: [agents[field][key] for field in agents] for key in agents["cases_handled"]}
    assert sorted(by_name.values()) == [[1, 1, 1, 1, 3.0], [2, 2, 1, 1, 4.6]]


def test_lowest_scored_cases_come_first(daily):
    low = next(b for b in daily["breakdowns"] if b["key"] == "lowest_scored")
    assert low["labels"] == ["SH-R3", "SH-R1"]
    assert low["notes"] == ["Slow", ""]


def test_monthly_days_follow_the_storefront_zone_not_utc(db_session, world, shanghai):
    local = build_report(db_session, [shanghai.storefront], period_for("monthly", DAY, ZONE), NOW)
    per_day = _table(local, "intake_by_day")["current"]
    assert (per_day["2026-11-09"], per_day["2026-11-10"], per_day["2026-11-11"]) == (1, 4, 1)
    assert sum(per_day.values()) == 10  # R1 P0 R3 R2 Y C1 C2 C3 C4 X
    utc = build_report(db_session, [shanghai.storefront], period_for("monthly", DAY, "UTC"), NOW)
    per_utc_day = _table(utc, "intake_by_day")["current"]
    assert (per_utc_day["2026-11-09"], per_utc_day["2026-11-10"]) == (2, 4)


def test_every_figure_carries_its_definition(daily):
    for item in (*daily["metrics"], *daily["breakdowns"]):
        assert item["definition"] and item["label"]
