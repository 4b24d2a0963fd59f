"""Quality review (质检): scoring a contact, who sees what, the weekly sample, and the
workspace page."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from service.quality.models import QaReview
from service.quality.service import weekly_sample

MARKS = {"greeting": 4, "accuracy": 5, "attitude": 4, "resolution": 3, "compliance": 5}


def _url(contact):
    return f"/api/v1/qa/contacts/{contact.id}/review"


def test_a_qa_reviewer_scores_a_contact_and_corrects_it(client, world, people, db_session):
    contact = world.contacts["alice-c2-in"]
    first = client.put(_url(contact), json={**MARKS, "comment": "Polite"},
                       headers=people["qa"].headers)  # fmt: skip
    assert first.status_code == 200, first.json
    assert first.json["score"] == pytest.approx(4.2)
    assert first.json["agent_id"] == str(people["alice"].user.id)
    again = client.put(_url(contact), json={**MARKS, "resolution": 5},
                       headers=people["qa"].headers)  # fmt: skip
    assert again.json["id"] == first.json["id"] and again.json["score"] == pytest.approx(4.6)
    count = db_session.scalar(
        select(func.count()).select_from(QaReview).where(QaReview.contact_id == contact.id)
    )
    assert count == 1


def test_the_agent_sees_only_the_reviews_of_their_own_contacts(client, world, people):
    mine = client.get("/api/v1/qa/reviews", headers=people["alice"].headers)
    assert mine.status_code == 200
    assert [r["agent_id"] for r in mine.json["items"]] == [str(people["alice"].user.id)]
    asked_for_bob = client.get(
        f"/api/v1/qa/reviews?agent_id={people['bob'].user.id}", headers=people["alice"].headers
    )
    assert {r["agent_id"] for r in asked_for_bob.json["items"]} == {str(people["alice"].user.id)}
    everyone = client.get("/api/v1/qa/reviews", headers=people["boss"].headers)
    assert len(everyone.json["items"]) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [({"greeting": 0}, "greeting"), ({"compliance": 6}, "compliance"), ({"accuracy": None},
     "accuracy"), ({"attitude": "good"}, "attitude")],
)  # fmt: skip
def test_a_mark_outside_one_to_five_is_422_and_nothing_is_written(
    client, world, people, db_session, change, field
):
    contact = world.contacts["alice-c2-in"]
    response = client.put(_url(contact), json={**MARKS, **change}, headers=people["qa"].headers)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]
    assert db_session.scalar(select(func.count()).where(QaReview.contact_id == contact.id)) == 0


def test_agents_do_not_score_and_nobody_scores_their_own_contact(client, world, people):
    contact = world.contacts["alice-c2-in"]
    assert client.put(_url(contact), json=MARKS, headers=people["bob"].headers).status_code == 403
    own = client.put(
        _url(world.contacts["bob-c4"]), json=MARKS, headers=people["bob"].headers
    ).status_code
    assert own == 403


def test_another_storefronts_contact_is_not_found(client, world, create_staff, other_tenant):
    outsider = create_staff("qa_reviewer", storefront=other_tenant.storefront)
    response = client.put(_url(world.contacts["alice-c1"]), json=MARKS, headers=outsider.headers)
    assert response.status_code == 404


def test_the_weekly_sample_is_the_same_all_week_and_skips_reviewed_contacts(
    db_session, world, people
):
    monday, sunday = date(2026, 11, 9), date(2026, 11, 15)
    first = weekly_sample(db_session, None, monday, size=1)
    assert [c.id for c in first] == [c.id for c in weekly_sample(db_session, None, sunday, size=1)]
    # One per agent, of the contacts not yet reviewed (alice-c1 and bob-c4 are).
    assert [c.id for c in first] == [world.contacts[n].id for n in ("alice-c2-in", "bob-y")]
    api = weekly_sample(db_session, None, date(2026, 11, 2))
    assert api == []


def test_the_sample_over_the_api_is_for_reviewers(client, world, people):
    response = client.get("/api/v1/qa/sample?day=2026-11-10", headers=people["qa"].headers)
    assert response.status_code == 200
    assert response.json["week_of"] == "2026-11-09"
    assert [c["summary"] for c in response.json["items"]] == ["alice-c2-in", "bob-y"]
    assert client.get("/api/v1/qa/sample", headers=people["alice"].headers).status_code == 403
