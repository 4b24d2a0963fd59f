"""The report API: the scenario's figures over HTTP (the clock is the real one here, long
after the scenario, so nothing is pending any more), scopes, bad input, and the
exports holding the same figures."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from service.reports.metrics import METRICS
from tests.reports.scenario import EXPECTED_DAY

#: At any real time after the scenario, C3 (unanswered) is past its deadline too.
LATER = {**EXPECTED_DAY, "first_response_rate": (2 / 4, 1.0), "first_response_pending": (0, 0)}
DAILY = "/api/v1/reports/daily?day=2026-11-10"


def _figures(body):
    return {m["key"]: (m["value"], m["previous"]) for m in body["metrics"]}


def _close(got, want):
    if want is None:
        return got is None
    return got == pytest.approx(want, abs=1e-3)


def test_daily_report_over_the_api_holds_the_hand_computed_figures(client, world, people):
    response = client.get(DAILY, headers=people["boss"].headers)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["period"]["time_zone"] == "Asia/Shanghai"
    assert body["period"]["start"] == "2026-11-09T16:00:00+00:00"
    figures = _figures(body)
    for key, (value, previous) in LATER.items():
        assert _close(figures[key][0], value), key
        assert _close(figures[key][1], previous), key


def test_weekly_monthly_and_range_reports_answer(client, world, people):
    for path, first in (
        ("/api/v1/reports/weekly?day=2026-11-10", "2026-11-09"),
        ("/api/v1/reports/monthly?day=2026-11-10", "2026-11-01"),
        ("/api/v1/reports/range?first=2026-11-10&last=2026-11-10", "2026-11-10"),
    ):
        response = client.get(path, headers=people["boss"].headers)
        assert response.status_code == 200, (path, response.json)
        assert response.json["period"]["first_day"] == first
    monthly = client.get("/api/v1/reports/monthly?day=2026-11-10", headers=people["boss"].headers)
    assert _figures(monthly.json)["cases_opened"][0] == 10
    ranged = client.get(
        "/api/v1/reports/range?first=2026-11-10&last=2026-11-10", headers=people["boss"].headers
    )
    assert _figures(ranged.json) == _figures(client.get(DAILY, headers=people["boss"].headers).json)


def test_a_storefront_key_reads_only_its_own_storefront(client, world, shanghai, other_tenant):
    own = client.get(DAILY, headers=shanghai.headers)
    assert own.status_code == 200
    assert [s["name"] for s in own.json["storefronts"]] == ["Shanghai Shop"]
    assert _figures(own.json)["cases_opened"][0] == 4
    other = client.get(f"{DAILY}&storefront={other_tenant.storefront.id}", headers=shanghai.headers)
    assert other.status_code == 404
    assert "storefront" in other.json["errors"]["query"]
    theirs = client.get(DAILY, headers=other_tenant.headers)
    assert _figures(theirs.json)["cases_opened"][0] == 0


def test_staff_choose_several_storefronts_or_all(client, world, people, shanghai, other_tenant):
    both = client.get(
        f"{DAILY}&storefront={shanghai.storefront.id}&storefront={other_tenant.storefront.id}"
        "&time_zone=Asia/Shanghai",
        headers=people["boss"].headers,
    )
    assert both.status_code == 200
    assert len(both.json["storefronts"]) == 2
    assert _figures(both.json)["cases_opened"][0] == 4


def test_agents_may_not_read_reports(client, world, people):
    response = client.get(DAILY, headers=people["alice"].headers)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("day=2026-13-01", "day"),
        ("day=yesterday", "day"),
        ("time_zone=Mars/Olympus", "time_zone"),
        ("storefront=not-a-uuid", "storefront"),
    ],
)
def test_bad_report_parameters_are_422_naming_the_field(client, people, query, field):
    response = client.get(f"/api/v1/reports/daily?{query}", headers=people["boss"].headers)
    assert response.status_code == 422
    assert field in response.json["errors"]["query"]


def test_a_range_must_be_ordered_and_at_most_a_year(client, people):
    backwards = client.get(
        "/api/v1/reports/range?first=2026-11-10&last=2026-11-01", headers=people["boss"].headers
    )
    assert backwards.status_code == 422
    assert "last" in backwards.json["errors"]["query"]
    too_long = client.get(
        "/api/v1/reports/range?first=2024-01-01&last=2026-01-01", headers=people["boss"].headers
    )
    assert too_long.status_code == 422
    missing = client.get("/api/v1/reports/range?first=2026-11-10", headers=people["boss"].headers)
    assert "last" in missing.json["errors"]["query"]


def test_the_csv_export_holds_the_same_figures_and_their_definitions(client, world, people):
    response = client.get(f"{DAILY.replace('daily', 'daily/export')}&format=csv",
                          headers=people["boss"].headers)  # fmt: skip
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    figures = {r["key"]: r for r in rows if r["item"] == "" and r["section"] != "period"}
    for key, (value, previous) in LATER.items():
        assert _close(float(figures[key]["value"]) if figures[key]["value"] else None, value)
        assert _close(
            float(figures[key]["previous"]) if figures[key]["previous"] else None, previous
        )
    definitions = {m.key: str(m.definition) for m in METRICS}
    assert all(figures[key]["definition"] == definitions[key] for key in definitions)
    by_kind = {
        r["item"]: r["value"]
        for r in rows
        if r["key"] == "intake_by_kind" and r["series"] == "current"
    }
    assert by_kind["Repair"] == "2"


def test_the_xlsx_export_has_a_sheet_per_section_and_the_same_figures(client, world, people):
    response = client.get(f"{DAILY.replace('daily', 'daily/export')}&format=xlsx",
                          headers=people["boss"].headers)  # fmt: skip
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames[0] == "Report"
    assert book.sheetnames[-1] == "Definitions"
    assert "First response" in book.sheetnames and "Satisfaction" in book.sheetnames
    labels = {str(m.label): m.key for m in METRICS}
    found = {}
    for name in book.sheetnames[1:-1]:
        for row in book[name].iter_rows(values_only=True):
            if row and row[0] in labels and labels[row[0]] not in found:
                found[labels[row[0]]] = (row[1], row[2])
    for key, (value, previous) in LATER.items():
        assert _close(found[key][0], value), key
        assert _close(found[key][1], previous), key
    definitions = list(book["Definitions"].iter_rows(values_only=True))
    assert definitions[0] == ("Key", "Figure", "Unit", "Definition")
    assert ("cases_opened", "Cases opened", "count", "Cases created in the period.") in definitions


def test_the_export_needs_a_format(client, people):
    response = client.get("/api/v1/reports/daily/export", headers=people["boss"].headers)
    assert response.status_code == 422
    assert "format" in response.json["errors"]["query"]
