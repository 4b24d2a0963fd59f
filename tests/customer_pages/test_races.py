"""Double taps for real: submissions of one form at the same moment, sent over HTTP to the
served app (each on its own connection and committing), decide or record exactly once,
and every tap gets a proper page: the second waits on the case's row lock
(`case_for_token(for_update=True)`) and then sees the decision already made.

PostgreSQL only: SQLite serialises writing transactions, so these races cannot happen
there. On PostgreSQL, without the row lock both taps read the undecided case and the
loser trips over the version check at commit: a 409 "busy" page instead of the
confirmation, which the two quote tests refuse; see tests/README.md.
"""

from __future__ import annotations

import html
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from service.customer_pages.strings import STRINGS
from tests.conftest import postgres_only
from tests.customer_pages.committed import (
    TO_DELIVERED,
    TO_QUOTE,
    Site,
    case_status,
    link,
    send_survey,
    walk,
)
from tests.customer_pages.conftest import form_field
from tests.customer_pages.sample import ENGLISH

pytestmark = postgres_only

ROUNDS = 3
ANSWERS = {
    "service_attitude": "5",
    "product_quality": "5",
    "price_reasonableness": "4",
    "overall_satisfaction": "5",
}


def race(site: Site, posts: list[tuple[str, dict[str, str]]]) -> list[tuple[int, str]]:
    """POST them all at once over HTTP, as two taps on a phone would; their status
    codes and pages, in order."""
    start = threading.Barrier(len(posts))

    def submit(post: tuple[str, dict[str, str]]) -> tuple[int, str]:
        with requests.Session() as browser:
            start.wait()
            page = browser.post(
                site.base_url + post[0], data=post[1], allow_redirects=False, timeout=30
            )
            return page.status_code, page.text

    with ThreadPoolExecutor(max_workers=len(posts)) as pool:
        return list(pool.map(submit, posts))


def actions(site: Site, case: dict) -> list[str]:
    timeline = site.client.get(f"/api/v1/cases/{case['id']}/timeline", headers=site.staff)
    return [event["action"] for event in timeline.get_json()]


def page_path(site: Site, case: dict, purpose: str) -> str:
    return link(site, case, purpose).removeprefix(site.base_url)


def test_two_simultaneous_approvals_decide_once(site: Site):
    for _ in range(ROUNDS):
        case = walk(site, ENGLISH, TO_QUOTE)
        path = page_path(site, case, "quote")
        form = {"csrf_token": form_field(requests.get(site.base_url + path, timeout=30).text)}

        pages = race(site, [(f"{path}/approve", form), (f"{path}/approve", form)])

        # Both see the confirmation; one of them decided.
        assert [status for status, _page in pages] == [200, 200]
        assert actions(site, case).count("approve_quote") == 1
        assert case_status(site, case) == "repairing"


def test_an_approval_racing_a_decline_one_wins(site: Site):
    for _ in range(ROUNDS):
        case = walk(site, ENGLISH, TO_QUOTE)
        path = page_path(site, case, "quote")
        form = {"csrf_token": form_field(requests.get(site.base_url + path, timeout=30).text)}

        pages = race(site, [(f"{path}/approve", form), (f"{path}/decline", form)])

        assert sorted(status for status, _page in pages) == [200, 409]
        # The loser is told the quote was decided, not that we were busy.
        lost = next(page for status, page in pages if status == 409)
        assert html.escape(STRINGS["en"]["already_decided_title"]) in lost
        decisions = [a for a in actions(site, case) if a in ("approve_quote", "decline_quote")]
        assert len(decisions) == 1
        expected = "repairing" if decisions == ["approve_quote"] else "ready_to_ship"
        assert case_status(site, case) == expected


def test_two_simultaneous_survey_answers_record_once(site: Site):
    """Held by two things: the case's row lock and `record_answer`'s compare-and-set on
    the survey row (sent -> answered). Without the row lock the second tap still loses
    the compare-and-set and sees "already answered", so this test stays green; it is
    the compare-and-set it proves."""
    for _ in range(ROUNDS):
        case = walk(site, ENGLISH, TO_DELIVERED)
        send_survey(site, case)
        path = page_path(site, case, "survey")
        page = requests.get(site.base_url + path, timeout=30).text
        form = {**ANSWERS, "csrf_token": form_field(page)}

        pages = race(site, [(path, form), (path, form)])

        assert [status for status, _page in pages] == [200, 200], pages
        assert actions(site, case).count("close") == 1
        assert case_status(site, case) == "closed"
        answered = site.client.get(path)
        assert STRINGS["en"]["survey_answered_body"] in answered.get_data(as_text=True)
