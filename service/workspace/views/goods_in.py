"""The goods-in register (来货登记表): every receipt, newest first, grouped by day.

GET /goods-in reads its filters from the URL (a plain, shareable and bookmarkable
view): `from`/`to` days in the workspace's time zone, `storefront`, `by` (who took the
item in; `me` for oneself), `condition`. The rows come from the cases feature
(`service.cases.goods_in.goods_in_page`, keyset pages); htmx swaps only the `rows`
block. The page prints as a register: the print stylesheet hides navigation, filters
and pager.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import groupby
from typing import Any

from flask import Response, g, request
from flask_babel import format_date, format_datetime, get_timezone
from flask_babel import gettext as _
from sqlalchemy import select

from service.cases.goods_in import GoodsInFilters, goods_in_page
from service.cases.models import ItemCondition
from service.core import db
from service.core.db import utcnow
from service.staff.models import StaffUser
from service.staff.service import staff_query
from service.storefronts.models import Storefront
from service.workspace.pages import bp, parse_uuid, render, staff_page

PAGE_SIZE = 50


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _instant(day: date) -> datetime:
    """The start of `day` in the workspace's time zone, as a UTC instant."""
    zone = get_timezone()
    local = datetime.combine(day, time.min)
    return zone.localize(local) if hasattr(zone, "localize") else local.replace(tzinfo=zone)


def parse_filters(args: Any) -> tuple[GoodsInFilters, dict[str, str], dict[str, str]]:
    """The filters, the URL arguments that made them (for links), and errors by name."""
    raw = {k: args.get(k, "").strip() for k in ("from", "to", "storefront", "by", "condition")}
    errors: dict[str, str] = {}
    first, last = _day(raw["from"]), _day(raw["to"])
    for name, value in (("from", first), ("to", last)):
        if raw[name] and value is None:
            errors[name] = _("Not a day (YYYY-MM-DD).")
    if first and last and last < first:
        errors["to"] = _("The last day is before the first.")
        last = None
    by = g.staff.id if raw["by"] == "me" else parse_uuid(raw["by"]) if raw["by"] else None
    if raw["by"] and by is None:
        errors["by"] = _("No such person.")
    storefront = parse_uuid(raw["storefront"]) if raw["storefront"] else None
    if raw["storefront"] and storefront is None:
        errors["storefront"] = _("No such storefront.")
    try:
        condition = ItemCondition(raw["condition"]) if raw["condition"] else None
    except ValueError:
        errors["condition"] = _("No such condition.")
        condition = None
    filters = GoodsInFilters(
        received_from=_instant(first) if first else None,
        received_before=_instant(last + timedelta(days=1)) if last else None,
        storefront_id=storefront,
        received_by_id=by,
        condition=condition,
    )
    url_args = {k: v for k, v in raw.items() if v and k not in errors}
    return filters, url_args, errors


def _local_day(moment: datetime) -> date:
    return moment.astimezone(get_timezone()).date()


@bp.get("/goods-in")
@staff_page()
def goods_in() -> Response:
    filters, url_args, errors = parse_filters(request.args)
    session = db.session()
    page = goods_in_page(
        session, g.principal.scope, filters, PAGE_SIZE, request.args.get("cursor") or None
    )
    days = [
        (day, list(rows))
        for day, rows in groupby(page["items"], key=lambda row: _local_day(row.receipt.received_at))
    ]
    storefronts_stmt = select(Storefront).order_by(Storefront.name)
    if g.principal.scope is not None:
        storefronts_stmt = storefronts_stmt.where(Storefront.id == g.principal.scope)
    storefronts = list(session.scalars(storefronts_stmt))
    staff = list(session.scalars(staff_query(g.principal.scope, {}).order_by(StaffUser.name)))
    return render(
        "workspace/goods_in.html",
        fragment="rows",
        days=days,
        next_cursor=page["next_cursor"],
        cursor=request.args.get("cursor"),
        url_args=url_args,
        raw=request.args,
        errors=errors,
        storefronts=storefronts,
        storefront_names={s.id: s.name for s in storefronts},
        staff=staff,
        conditions=list(ItemCondition),
        today=_local_day(utcnow()),
        format_date=format_date,
        format_datetime=format_datetime,
        timedelta=timedelta,
    )
