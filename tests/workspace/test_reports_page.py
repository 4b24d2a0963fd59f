"""The report page: figures with their definitions, links to the queue behind each
number, exports, roles; and in Chromium, the charts drawn in both languages."""

from __future__ import annotations

import csv
import io
import re
import uuid
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from service.quality.models import QaReview
from service.staff.models import StaffUser
from service.storefronts.models import Storefront
from tests.reports import scenario
from tests.workspace.conftest import LOCALES, PASSWORD, post_form

PAGE = "/reports?kind=daily&day=2026-11-10"


@pytest.fixture
def shop(db_session, create_tenant, create_staff, supervisor, agent):
    tenant = create_tenant(
        "Shanghai Shop", case_prefix="SH", time_zone=scenario.ZONE, resolution_hours={"repair": 200}
    )
    bob = create_staff("agent", name="Bob Agent")
    tenant.world = scenario.build(
        db_session, tenant.storefront, agent.user, bob.user, supervisor.user
    )
    db_session.commit()
    return tenant


class Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, str]] = []
        self.found: list[tuple[dict[str, str], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.stack.append({k: v or "" for k, v in attrs})
            self.text = ""

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.stack:
            self.found.append((self.stack.pop(), self.text.strip()))


def test_the_page_shows_every_figure_with_its_definition(boss, shop):
    response = boss.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Asia/Shanghai" in html
    assert 'data-metric="first_response_rate"' in html
    # At any time after the scenario C3 is past due too: 2 of 4 answered within target.
    rate = re.search(r'data-metric="first_response_rate".*?figure-value[^>]*>([^<]+)<', html, re.S)
    assert rate.group(1) == "50.0%"
    assert "younger unanswered cases are pending" in html
    assert 'canvas data-chart="intake_by_kind"' in html


def test_every_number_links_to_the_queue_and_the_queue_shows_those_cases(boss, shop):
    html = boss.get(PAGE).get_data(as_text=True)
    parser = Anchors()
    parser.feed(html)
    numbers = [(a, text) for a, text in parser.found if "figure-value" in a.get("class", "")]
    assert len(numbers) >= 20
    assert all(a["href"].startswith("/queue?") for a, _text in numbers)
    cell = next(a for a, _t in parser.found if a.get("data-dataset") == "current" and
                "kind=repair" in a["href"] and "created_after" in a["href"])  # fmt: skip
    query = parse_qs(urlsplit(cell["href"]).query)
    assert query["created_after"] == ["2026-11-09T16:00:00+00:00"]
    queue = boss.get(cell["href"]).get_data(as_text=True)
    shown = set(re.findall(r'data-case="([^"]+)"', queue))
    assert shown == {"SH-C1", "SH-C4"}


def test_the_page_exports_csv_and_xlsx(boss, shop):
    response = boss.get(PAGE.replace("/reports?", "/reports/export?format=csv&"))
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    opened = next(r for r in rows if r["key"] == "cases_opened")
    assert (opened["value"], opened["previous"]) == ("4", "1")
    book = load_workbook(
        io.BytesIO(boss.get(PAGE.replace("/reports?", "/reports/export?format=xlsx&")).data)
    )
    assert book["Intake"]["B2"].value == 4


def test_agents_may_not_open_the_report_page(desk, shop):
    assert desk.get(PAGE).status_code == 403


def test_a_bad_day_is_reported_and_left_out(boss, shop):
    response = boss.get("/reports?kind=daily&day=2026-02-30")
    assert response.status_code == 200
    assert "day left out" in response.get_data(as_text=True)


def test_the_quality_page_scores_a_contact_and_the_agent_reads_it(
    app, sign_in, create_staff, agent, shop, db_session
):
    reviewer = sign_in(create_staff("qa_reviewer", name="Quinn Reviewer"))
    contact = shop.world.contacts["alice-c2-in"]
    page = reviewer.get("/quality?day=2026-11-10").get_data(as_text=True)
    assert f'data-contact="{contact.id}"' in page
    marks = {"greeting": "4", "accuracy": "5", "attitude": "4", "resolution": "3"}
    response = post_form(
        reviewer, f"/quality/contacts/{contact.id}", {**marks, "compliance": "5"},
        token_from="/quality",
    )  # fmt: skip
    assert response.status_code == 303
    review = db_session.scalars(select(QaReview).where(QaReview.contact_id == contact.id)).one()
    assert review.score == pytest.approx(4.2)
    agents_browser = app.test_client()
    post_form(agents_browser, "/login", {"email": agent.user.email, "password": PASSWORD})
    agent_page = agents_browser.get("/quality").get_data(as_text=True)
    assert f'data-review="{review.id}"' in agent_page
    assert "Save review" not in agent_page


# --- in Chromium ------------------------------------------------------------------------

HEADINGS = {"en": "Reports", "zh-CN": "报表"}


@pytest.fixture
def site_with_scenario(desk_site):
    database = desk_site.app.extensions["database"]
    with database.sessionmaker() as session:
        storefront = session.get(Storefront, uuid.UUID(desk_site.storefront_id))
        storefront.time_zone = scenario.ZONE
        storefront.resolution_hours = {"repair": 200}
        staff = {
            u.role.value: u
            for u in session.scalars(
                select(StaffUser).where(StaffUser.storefront_id == storefront.id)
            )
        }
        scenario.build(
            session, storefront, staff["agent"], staff["technician"], staff["supervisor"]
        )
        session.commit()
    return desk_site


@LOCALES
def test_the_report_page_draws_its_charts_and_a_number_opens_its_queue(
    site_with_scenario, signed_in_page, shoot, locale: str
):
    from playwright.sync_api import expect

    page: Any = signed_in_page("supervisor")
    page.goto(site_with_scenario.base_url + PAGE)
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[locale])
    expect(page.locator('canvas[data-chart="intake_by_kind"][data-drawn="1"]')).to_have_count(1)
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')]"
        ".filter(c => window.Chart.getChart(c)).length"
    )
    assert drawn >= 8
    shoot(page, "reports-daily")
    page.locator(
        '[data-breakdown="intake_by_kind"] tr[data-key="repair"] a[data-dataset="current"]'
    ).click()
    page.wait_for_url(re.compile(r".*/queue\?.*kind=repair.*"))
    expect(page.locator("tr[data-case]")).to_have_count(2)
    expect(page.locator('tr[data-case="SH-C1"]')).to_be_visible()
    expect(page.locator('tr[data-case="SH-C4"]')).to_be_visible()
    shoot(page, "reports-queue-behind-a-number")
