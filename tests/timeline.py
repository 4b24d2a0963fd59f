"""Driving a case through its lifecycle at chosen times (a frozen clock): the service
functions take `now`, so no clock patching is needed."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from service.cases.intake import open_case
from service.cases.lifecycle import TRANSITIONS, perform
from service.cases.models import Case, CaseKind
from service.core.auth import Actor, ActorType
from service.staff.models import StaffRole, StaffUser
from tests.cases.lifecycle_paths import body_for

DESK = Actor(ActorType.staff, None, "Desk", StaffRole.admin)


class Story:
    """A case and a clock that only moves when told to."""

    def __init__(
        self,
        session: Session,
        storefront: Any,
        start: datetime,
        kind=CaseKind.repair,
        customer: dict | None = None,
    ) -> None:
        self.session, self.now = session, start
        self.technician = StaffUser(
            email=f"tech-{uuid.uuid4().hex[:8]}@desk.example",
            name="Tom Tech",
            role=StaffRole.technician,
            password_hash="-",
        )
        session.add(self.technician)
        items = [{"sku": "TAB", "name": "Tablet", "purchase_date": date(2026, 9, 1)}]
        customer = customer or {
            "name": "Li Wei",
            "email": "li@example.com",
            "phone": "+8613800138000",
            "locale": "zh-CN",
            "time_zone": "Asia/Shanghai",
        }
        data = {
            "kind": kind,
            "customer": customer,
            "description": "Broken",
            "items": items if kind.needs_items else [],
        }
        self.case: Case = open_case(session, storefront, data, DESK, now=start)
        session.commit()

    def at(self, moment: datetime) -> Story:
        self.now = moment
        return self

    def later(self, **delta: float) -> Story:
        self.now += timedelta(**delta)
        return self

    def do(self, action: str, actor: Actor = DESK, **body: Any) -> Story:
        """Perform `action` now; `body` as JSON would carry it (validated by its schema)."""
        as_json = {"items": [{"id": str(item.id)} for item in self.case.items]}
        defaults = body_for(action, as_json, str(self.technician.id))
        data = TRANSITIONS[action].body().load({**defaults, **body})
        perform(self.session, self.case, action, data, actor, now=self.now)
        self.session.commit()
        return self

    def deliver(self) -> Story:
        """open -> received -> diagnosing -> repairing -> ready -> shipped -> delivered."""
        for action in ("receive", "diagnose", "start_repair", "finish_repair", "ship", "deliver"):
            self.do(action)
        return self
