"""A frozen-clock scenario with every figure computed by hand (see EXPECTED_DAY).

The storefront is in Asia/Shanghai (UTC+8): the local day 2026-11-10 runs from
2026-11-09T16:00Z to 2026-11-10T16:00Z. C1 (17:00Z on the 9th) falls on the 10th there
although its UTC date is the 9th; X (17:00Z on the 10th) falls on the 11th.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from service.cases.models import Case, CaseChannel, CaseEvent, CaseItem, CaseKind, CaseStatus
from service.contact_log.models import Contact, ContactChannel, ContactDirection
from service.customers.models import Customer
from service.quality.models import QaReview
from service.sla import clocks
from service.surveys.models import AnswerChannel, Survey, SurveyStatus

S, K = CaseStatus, CaseKind
ZONE = "Asia/Shanghai"
DAY = date(2026, 11, 10)
#: The frozen clock: local 14:00 on the 11th.
NOW = datetime(2026, 11, 11, 6, 0, tzinfo=UTC)


def t(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class World:
    storefront: Any
    cases: dict[str, Case] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)


def build(session: Session, storefront: Any, alice: Any, bob: Any, boss: Any) -> World:
    world = World(storefront)
    customer = Customer(storefront_id=storefront.id, name="Wang Fang", email="w@example.cn")
    session.add(customer)
    session.flush()

    def case(name: str, kind: CaseKind, channel: CaseChannel, created: datetime, **cols: Any):
        c = Case(
            storefront_id=storefront.id,
            number=f"SH-{name}",
            kind=kind,
            channel=channel,
            status=cols.pop("status", S.open),
            customer_id=customer.id,
            description=name,
            created_at=created,
            updated_at=created,
            first_response_due_at=created + timedelta(hours=storefront.first_response_hours),
            **cols,
        )
        clocks.start(c, storefront, created)
        session.add(c)
        session.flush()
        world.cases[name] = c
        return c

    def item(c: Case, sku: str, position: int = 1) -> None:
        session.add(
            CaseItem(
                case_id=c.id, position=position, sku=sku, name=sku, purchase_date=date(2026, 1, 1),
                warranty_months=12, warranty_until=date(2027, 1, 1), in_warranty=True,
                return_window_days=7, return_until=date(2026, 1, 8), returnable=False,
            )
        )  # fmt: skip

    def contact(name: str, c: Case, who: Any, at: datetime, direction=ContactDirection.outbound):
        row = Contact(
            case_id=c.id, direction=direction, channel=ContactChannel.phone, summary=name,
            staff_id=who.id, staff_name=who.name, occurred_at=at, created_at=at,
        )  # fmt: skip
        session.add(row)
        if direction == ContactDirection.outbound and c.first_responded_at is None:
            c.first_responded_at = at
        session.flush()
        world.contacts[name] = row
        return row

    def complete(c: Case, steps: list[tuple[CaseStatus, datetime]]) -> None:
        before = c.status
        for after, at in steps:
            clocks.on_status_change(c, storefront, before, after, at)
            before = after
        c.status = before

    # -- opened on the local day 2026-11-10 ---------------------------------------------
    c1 = case("C1", K.repair, CaseChannel.web, t(11, 9, 17))
    item(c1, "PHN-1")
    contact("alice-c1", c1, alice, t(11, 9, 19))  # answered in 2 h: met
    c2 = case("C2", K.complaint, CaseChannel.phone, t(11, 10, 2))
    contact("alice-c2-in", c2, alice, t(11, 10, 3), ContactDirection.inbound)  # no answer
    case("C3", K.inquiry, CaseChannel.email, t(11, 10, 10))  # unanswered, due 11-11 10:00Z
    c4 = case("C4", K.repair, CaseChannel.web, t(11, 10, 12))
    item(c4, "PHN-1")
    item(c4, "CHG-2", 2)
    contact("bob-c4", c4, bob, t(11, 10, 12, 30))  # answered in 30 min: met
    complete(c4, [(S.cancelled, t(11, 10, 13))])
    # -- either side of the day ---------------------------------------------------------
    y = case("Y", K.repair, CaseChannel.web, t(11, 9, 15))  # local 23:00 on the 9th
    item(y, "PHN-1")
    contact("bob-y", y, bob, t(11, 9, 15, 30))
    case("X", K.inquiry, CaseChannel.chat, t(11, 10, 17))  # local 01:00 on the 11th

    # -- completed on the day ------------------------------------------------------------
    # R1: repair target 200 h (storefront setting), 72 h waiting on the customer.
    r1 = case("R1", K.repair, CaseChannel.web, t(11, 1), assignee_id=alice.id, cause="battery")
    item(r1, "PHN-1")
    complete(r1, [(S.awaiting_item, t(11, 1, 1)), (S.received, t(11, 4, 1)),
                  (S.delivered, t(11, 10, 8))])  # fmt: skip
    r1.status = S.closed
    r2 = case("R2", K.return_, CaseChannel.web, t(11, 8), assignee_id=bob.id,
              problem_found="no fault")  # fmt: skip
    item(r2, "CHG-2")
    complete(r2, [(S.refunded, t(11, 10))])
    r3 = case("R3", K.complaint, CaseChannel.phone, t(11, 7, 10), assignee_id=alice.id)
    complete(r3, [(S.resolved, t(11, 10, 10))])
    r3.followed_up_at = t(11, 10, 12)
    r3.status = S.closed
    # P0: completed the day before (the previous period's product problems).
    p0 = case("P0", K.repair, CaseChannel.web, t(11, 5), cause="battery")
    item(p0, "PHN-1")
    complete(p0, [(S.delivered, t(11, 9, 10))])
    # F1, F2: follow-ups falling due on the day (completed on the 7th).
    f1 = case("F1", K.repair, CaseChannel.web, t(10, 20))
    complete(f1, [(S.delivered, t(11, 7, 0))])
    f1.followed_up_at = t(11, 8)
    f2 = case("F2", K.repair, CaseChannel.web, t(10, 20, 1))
    complete(f2, [(S.delivered, t(11, 7, 4))])
    # Z: closed long ago, reopened on the day.
    z = case("Z", K.repair, CaseChannel.web, t(10, 1))
    session.add(CaseEvent(case_id=z.id, sequence=1, action="reopen", from_status=S.closed,
                          to_status=S.open, actor_type="staff", actor_id=boss.id,
                          actor_name=boss.name, created_at=t(11, 10, 14)))  # fmt: skip

    # -- surveys --------------------------------------------------------------------------
    def survey(c: Case, **cols: Any) -> None:
        session.add(Survey(case_id=c.id, invite_at=c.completed_at, created_at=c.completed_at,
                           **cols))  # fmt: skip

    survey(r1, status=SurveyStatus.answered, sent_at=t(11, 10, 9), answered_at=t(11, 10, 11),
           answer_channel=AnswerChannel.link, service_attitude=5, product_quality=4,
           price_reasonableness=3, overall_satisfaction=4)  # fmt: skip
    survey(r3, status=SurveyStatus.answered, answered_at=t(11, 10, 12),
           answer_channel=AnswerChannel.phone, service_attitude=2, product_quality=3,
           price_reasonableness=2, overall_satisfaction=2, comment="Slow")  # fmt: skip
    survey(f1, status=SurveyStatus.answered, sent_at=t(11, 7, 1), answered_at=t(11, 8),
           answer_channel=AnswerChannel.link, service_attitude=5, product_quality=5,
           price_reasonableness=5, overall_satisfaction=5)  # fmt: skip
    survey(f2, status=SurveyStatus.sent, sent_at=t(11, 9, 20))

    # -- quality reviews ------------------------------------------------------------------
    for name, marks, at in (("alice-c1", (5, 4, 5, 4, 5), t(11, 10, 5)),
                            ("bob-c4", (3, 3, 4, 3, 2), t(11, 10, 14))):  # fmt: skip
        c = world.contacts[name]
        session.add(
            QaReview(
                contact_id=c.id, case_id=c.case_id, storefront_id=storefront.id,
                agent_id=c.staff_id, reviewer_id=boss.id, reviewer_name=boss.name,
                greeting=marks[0], accuracy=marks[1], attitude=marks[2], resolution=marks[3],
                compliance=marks[4], created_at=at, updated_at=at,
            )
        )  # fmt: skip
    session.flush()
    return world


#: The daily report of 2026-11-10 (Asia/Shanghai) at NOW, worked out by hand.
EXPECTED_DAY = {
    "cases_opened": (4, 1),  # C1 C2 C3 C4 | Y
    "first_response_rate": (2 / 3, 1.0),  # met C1 C4; due C1 C4 C2 (C3 pending) | Y
    "first_response_pending": (1, 0),  # C3
    "first_response_median": (0.5, 0.5),  # answered in 2 h and 0.5 h: rank ceil(1) | Y
    "first_response_p90": (2.0, 0.5),  # rank ceil(1.8) = 2
    "resolution_sla_rate": (2 / 3, 1.0),  # R1 (pause honoured), R2 met; R3 late | P0
    "follow_up_sla_rate": (0.5, None),  # F1 met, F2 missed | none due
    "cases_completed": (3, 1),  # R1 R2 R3 | P0
    "resolution_median": (72.0, 106.0),  # 48, 72, 224 h | P0 106 h
    "resolution_p90": (224.0, 106.0),
    "reopen_rate": (1 / 3, 0.0),  # Z
    "cancellation_rate": (0.25, 0.0),  # C4
    "followup_coverage": (2 / 3, 0.0),  # R1 sent after 1 h, R3 by phone; R2 none | P0
    "surveys_sent": (3, 0),  # R1, R3 (phone, never sent), F2
    "response_rate_link": (1 / 3, None),
    "response_rate_phone": (1 / 3, None),
    "surveys_answered": (2, 0),  # R1 R3 (F1 on the 8th)
    "satisfaction_attitude": (3.5, None),
    "satisfaction_quality": (3.5, None),
    "satisfaction_price": (2.5, None),
    "satisfaction_overall": (3.0, None),
    "csat": (0.5, None),
    "complaints_opened": (1, 0),  # C2
    "complaint_closure_median": (72.0, None),  # R3
    "complaint_followup_share": (1.0, None),
    "qa_score": (3.8, None),  # (4.6 + 3.0) / 2
}
