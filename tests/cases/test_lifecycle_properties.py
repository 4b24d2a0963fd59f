"""Random action sequences (hypothesis, stateful): nothing outside the transition table
is ever accepted, and the timeline always explains the current status."""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from service.cases.errors import ActionDataError, ActionRefused
from service.cases.intake import open_case
from service.cases.lifecycle import TRANSITIONS, perform
from service.cases.models import CaseEvent, CaseKind
from service.core.auth import SYSTEM, Actor, ActorType
from service.staff.models import StaffRole
from tests.cases.lifecycle_paths import body_for


def test_random_action_sequences_respect_the_table(app, db_session, tenant, create_staff):
    technician = create_staff("technician").user
    staff_actors = {
        role: Actor(ActorType.staff, member.user.id, member.user.name, role)
        for role, member in ((r, create_staff(r.value)) for r in StaffRole)
    }
    storefront_actor = Actor(ActorType.storefront, tenant.storefront.id, tenant.storefront.name)
    customer_actor = Actor(ActorType.customer, None, "The customer")
    actors = [*staff_actors.values(), storefront_actor, customer_actor, SYSTEM]

    class Lifecycle(RuleBasedStateMachine):
        @initialize(kind=st.sampled_from(list(CaseKind)), in_warranty=st.booleans())
        def open(self, kind: CaseKind, in_warranty: bool) -> None:
            self.savepoint = db_session.begin_nested()
            purchase = date(2026, 9, 1) if in_warranty else date(2019, 1, 1)
            items = (
                [{"sku": "A", "name": "Item", "purchase_date": purchase}]
                if kind.needs_items
                else []
            )
            data = {
                "kind": kind,
                "customer": {"name": "Pat", "email": "pat@example.com"},
                "description": "Broken",
                "items": items,
            }
            self.case = open_case(db_session, tenant.storefront, data, storefront_actor)

        @rule(action=st.sampled_from(list(TRANSITIONS)), actor=st.sampled_from(actors))
        def attempt(self, action: str, actor: Actor) -> None:
            case, transition = self.case, TRANSITIONS[action]
            before = case.status
            as_json = {"items": [{"id": str(item.id)} for item in case.items]}
            try:
                data = transition.body().load(body_for(action, as_json, str(technician.id)))
            except ma.ValidationError:
                # The API answers 422 before the table is consulted (e.g. receive with
                # no items on a complaint); nothing can be accepted.
                assert case.kind not in transition.kinds or not case.items
                return
            in_table = (
                case.kind in transition.kinds
                and before in transition.sources
                and actor.type in transition.actors
                and (actor.type != ActorType.staff or actor.role in transition.staff_roles)
            )
            step = db_session.begin_nested()
            try:
                perform(db_session, case, action, data, actor)
            except (ActionRefused, ActionDataError):
                step.rollback()
                db_session.refresh(case)
                assert case.status == before
                # Within the table only a guard (or diagnose's technician check) may refuse.
                unguarded = transition.guard is None and action != "diagnose"
                assert not (in_table and unguarded), f"{action} by {actor} refused from {before}"
                return
            step.commit()
            assert in_table, f"{action} by {actor} accepted from {before} outside the table"
            assert case.status == transition.target

        @invariant()
        def timeline_explains_status(self) -> None:
            if not hasattr(self, "case"):
                return
            events = db_session.scalars(
                select(CaseEvent)
                .where(CaseEvent.case_id == self.case.id)
                .order_by(CaseEvent.sequence)
            ).all()
            status = None
            for number, event in enumerate(events, start=1):
                assert event.sequence == number
                assert event.from_status == status
                status = event.to_status
            assert status == self.case.status

        def teardown(self) -> None:
            if hasattr(self, "savepoint"):
                self.savepoint.rollback()

    with app.app_context():
        run_state_machine_as_test(
            Lifecycle,
            settings=settings(
                max_examples=40,
                stateful_step_count=20,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
