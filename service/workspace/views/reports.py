"""The report page: the figures of service.reports for a period, with charts (Chart.js,
vendored) and every number a link to the queue showing the cases behind it.

GET /reports reads the period from the URL (`kind`, `day`, or `first`/`last` for a
range; `storefront` repeated; `time_zone`), builds the report with the same service
function as the API and renders it; the charts are drawn by `reports.js` from the JSON
embedded in the page (the CSP forbids inline scripts). /reports/export streams the same
report as CSV or XLSX.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import marshmallow as ma
from flask import Response, g, request, stream_with_context, url_for
from flask_babel import gettext as _

from service.core import db
from service.core.db import utcnow
from service.reports.exports import XLSX_TYPE, csv_lines, xlsx_bytes
from service.reports.metrics import format_value
from service.reports.periods import KINDS, Period
from service.reports.schemas import RangeQueryArgsSchema, ReportQueryArgsSchema
from service.reports.service import REPORT_READERS, UnknownStorefront, choose_storefronts, report
from service.workspace.i18n import LOCALES, page_locale
from service.workspace.pages import PageError, bp, render, staff_page

COMPLETED_STATUSES = ["delivered", "refunded", "resolved", "closed"]
#: Figures counted over the cases completed in the period: their link opens the
#: completed cases (the queue filters on opening time, not completion time).
COMPLETED_COHORT = {"resolution", "follow_up", "sla"}


def _args() -> tuple[str, dict[str, Any], dict[str, list[str]]]:
    kind = request.args.get("kind", "daily")
    if kind not in KINDS:
        kind = "daily"
    schema = RangeQueryArgsSchema() if kind == "range" else ReportQueryArgsSchema()
    raw = {k: request.args.getlist(k) if k == "storefront" else request.args.get(k) for k in
           schema.fields if request.args.get(k)}  # fmt: skip
    try:
        return kind, schema.load(raw), {}
    except ma.ValidationError as error:
        messages = error.messages if isinstance(error.messages, dict) else {}
        if kind == "range":
            # A range needs both days: show the daily report and say why.
            return "daily", {}, {k: [str(m) for m in v] for k, v in messages.items()}
        valid = error.valid_data if isinstance(error.valid_data, dict) else {}
        return kind, {k: v for k, v in valid.items() if k not in messages}, messages


def _report() -> tuple[str, dict[str, Any], dict[str, Any], dict]:
    if g.staff.role not in REPORT_READERS:
        raise PageError(403, _("Your role may not use this page."))
    kind, args, errors = _args()
    try:
        found = report(db.session(), g.principal.scope, kind, args, utcnow())
    except UnknownStorefront:
        raise PageError(404, _("There is no such page.")) from None
    return kind, args, found, errors


def fmt(value: Any, unit: str) -> str:
    return format_value(value, unit, LOCALES[page_locale()])


def queue_links(found: dict[str, Any]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The queue URL behind each figure and each table cell."""
    period = found["period"]
    base: dict[str, Any] = {
        "status": "all",
        "sort": "newest",
        "created_after": period["start"].isoformat(),
        "created_before": period["end"].isoformat(),
    }
    if len(found["storefronts"]) == 1:
        base["storefront"] = str(found["storefronts"][0]["id"])
    shared = {k: v for k, v in base.items() if k == "storefront"}
    completed = {**shared, "status": COMPLETED_STATUSES, "sort": "newest"}
    extra = {
        "cancellation_rate": {"status": "cancelled"},
        "complaints_opened": {"kind": "complaint"},
        "first_response_pending": {"status": "open"},
    }
    figure = {}
    for m in found["metrics"]:
        if m["section"] in COMPLETED_COHORT or m["key"].startswith(("satisfaction", "csat")):
            args = completed
        elif m["key"] in ("complaint_closure_median", "complaint_followup_share"):
            args = {**completed, "kind": "complaint"}
        else:
            args = {**base, **extra.get(m["key"], {})}
        figure[m["key"]] = url_for("workspace.queue", **args)
    cells: dict[str, list[str]] = {}
    for b in found["breakdowns"]:
        cells[b["key"]] = [url_for("workspace.queue", **_cell(b, key, base, completed, found))
                           for key in b["keys"]]  # fmt: skip
    return figure, cells


def _cell(b: dict, key: str, base: dict, completed: dict, found: dict) -> dict[str, Any]:
    name = b["key"]
    if name == "intake_by_day":
        day = date.fromisoformat(key)
        one = Period(
            "daily", day, date.fromordinal(day.toordinal() + 1), found["period"]["time_zone"]
        )
        return {
            **base,
            "created_after": one.start.isoformat(),
            "created_before": one.end.isoformat(),
        }
    if name in ("intake_by_kind", "intake_by_channel"):
        return {**base, name.removeprefix("intake_by_"): key}
    if name == "intake_by_storefront":
        return {**base, "storefront": key}
    if name == "sla_by_clock":
        clock, _sep, kind = key.partition(":")
        if clock == "first_response":
            return base
        return {**completed, **({"kind": kind} if kind else {})}
    if name == "resolution_by_kind":
        return {**completed, "kind": key}
    if name == "agent_workload":
        return {**completed, "assignee": key}
    if name == "lowest_scored":
        return {"status": "all", "q": b["labels"][b["keys"].index(key)]}
    if name == "problems":
        return completed
    return base


@bp.get("/reports")
@staff_page(roles=REPORT_READERS)
def reports() -> Response:
    kind, args, found, errors = _report()
    figure_links, cell_links = queue_links(found)
    storefronts, _every = choose_storefronts(db.session(), g.principal.scope, [])
    export_args = request.args.to_dict(flat=False)
    return render(
        "workspace/reports.html",
        kind=kind,
        args=args,
        errors=errors,
        report=found,
        fmt=fmt,
        figure_links=figure_links,
        cell_links=cell_links,
        storefronts=storefronts,
        chosen=[str(s) for s in args.get("storefront", [])],
        kinds=[k for k in KINDS],
        export_args=export_args,
        charts=[
            {"key": b["key"], "labels": b["labels"], "datasets": b["datasets"],
             "type": "line" if b["key"] == "intake_by_day" else "bar"}
            for b in found["breakdowns"] if b["labels"]
        ],
    )  # fmt: skip


@bp.get("/reports/export")
@staff_page(roles=REPORT_READERS)
def reports_export() -> Response:
    kind, _parsed, found, _errors = _report()
    name = f"report-{kind}-{found['period']['first_day'].isoformat()}"
    if request.args.get("format") == "xlsx":
        return Response(
            xlsx_bytes(found),
            content_type=XLSX_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return Response(
        stream_with_context(csv_lines(found)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
