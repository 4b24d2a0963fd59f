"""Double taps for real: submissions of one form at the same moment, each on its own
connection and committing, decide or record exactly once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from service.customer_pages.strings import STRINGS
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

ROUNDS = 3
ANSWERS = {
    "service_attitude": "5",
    "product_quality": "5",
    "price_reasonableness": "4",
    "overall_satisfaction": "5",
}


def race(site: Site, posts: list[tuple[str, dict[str, str]]]) -> list[int]:
    """POST them all at once; their status codes, in order."""
    start = threading.Barrier(len(posts))

    def submit(post: tuple[str, dict[str, str]]) -> int:
        client = site.app.test_client()
        start.wait()
        return client.post(post[0], data=post[1]).status_code

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
        form = {"csrf_token": form_field(site.client.get(path).get_data(as_text=True))}

        statuses = race(site, [(f"{path}/approve", form), (f"{path}/approve", form)])

        # Both see the confirmation; one of them decided.
        assert statuses == [200, 200]
        assert actions(site, case).count("approve_quote") == 1
        assert case_status(site, case) == "repairing"


def test_an_approval_racing_a_decline_one_wins(site: Site):
    for _ in range(ROUNDS):
        case = walk(site, ENGLISH, TO_QUOTE)
        path = page_path(site, case, "quote")
        form = {"csrf_token": form_field(site.client.get(path).get_data(as_text=True))}

        statuses = race(site, [(f"{path}/approve", form), (f"{path}/decline", form)])

        assert sorted(statuses) == [200, 409]
        decisions = [a for a in actions(site, case) if a in ("approve_quote", "decline_quote")]
        assert len(decisions) == 1
        expected = "repairing" if decisions == ["approve_quote"] else "ready_to_ship"
        assert case_status(site, case) == expected


def test_two_simultaneous_survey_answers_record_once(site: Site):
    for _ in range(ROUNDS):
        case = walk(site, ENGLISH, TO_DELIVERED)
        send_survey(site, case)
        path = page_path(site, case, "survey")
        form = {**ANSWERS, "csrf_token": form_field(site.client.get(path).get_data(as_text=True))}

        statuses = race(site, [(path, form), (path, form)])

        assert statuses == [200, 200]
        assert actions(site, case).count("close") == 1
        assert case_status(site, case) == "closed"
        answered = site.client.get(path)
        assert STRINGS["en"]["survey_answered_body"] in answered.get_data(as_text=True)
