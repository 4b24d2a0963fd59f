"""Reading the staff list (the technician picker, the admin page)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select

from service.staff.models import StaffUser


def staff_query(scope: uuid.UUID | None, filters: dict[str, Any]) -> Select[Any]:
    """Staff visible within `scope` (a storefront id, or None for all): those bound to
    that storefront and those who work every storefront."""
    stmt = select(StaffUser)
    if scope is not None:
        stmt = stmt.where(StaffUser.storefront_id.is_(None) | (StaffUser.storefront_id == scope))
    if filters.get("role"):
        stmt = stmt.where(StaffUser.role.in_(filters["role"]))
    if "active" in filters:
        stmt = stmt.where(StaffUser.active == filters["active"])
    if "storefront_id" in filters:
        storefront_id = filters["storefront_id"]
        stmt = stmt.where(
            StaffUser.storefront_id.is_(None) | (StaffUser.storefront_id == storefront_id)
        )
    return stmt
