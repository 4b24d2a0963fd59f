"""Reports over the API: `GET /reports/{daily|weekly|monthly|range}` (JSON for charts)
and `.../export?format=csv|xlsx`. Staff who read reports choose storefronts (or all);
a storefront key gets its own storefront's."""

from __future__ import annotations

from typing import Any

from flask import Response, g, stream_with_context
from flask.views import MethodView
from flask_smorest import abort

from service.core import db
from service.core.api import Blueprint
from service.core.db import utcnow
from service.reports.exports import XLSX_TYPE, csv_lines, xlsx_bytes
from service.reports.schemas import (
    RangeExportArgsSchema,
    RangeQueryArgsSchema,
    ReportExportArgsSchema,
    ReportQueryArgsSchema,
    ReportSchema,
)
from service.reports.service import REPORT_READERS, UnknownStorefront, report

blp = Blueprint("reports", __name__, url_prefix="/reports", description="Reports")

READERS_ONLY = "Staff who read reports (supervisors, QA reviewers, admins) and storefront keys"
EXPORT_DOC = {
    "responses": {
        "200": {
            "description": "The report as CSV (streamed) or XLSX",
            "content": {"text/csv": {}, XLSX_TYPE: {}},
        }
    }
}


def _report(kind: str, args: dict[str, Any]) -> dict[str, Any]:
    staff = g.principal.staff
    if staff is not None and staff.role not in REPORT_READERS:
        abort(403, message="Your role may not read reports.")
    try:
        return report(db.session(), g.principal.scope, kind, args, utcnow())
    except UnknownStorefront as unknown:
        abort(
            404,
            message=f"No such storefront: {unknown}.",
            errors={"query": {"storefront": ["Not a storefront you may see."]}},
        )


def _export(kind: str, args: dict[str, Any]) -> Response:
    found = _report(kind, args)
    name = f"report-{kind}-{found['period']['first_day'].isoformat()}"
    if args["format"] == "csv":
        return Response(
            stream_with_context(csv_lines(found)),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        xlsx_bytes(found),
        content_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


def _views(kind: str, summary: str, args_schema: type, export_schema: type) -> None:
    class ReportViews(MethodView):
        @blp.auth_required
        @blp.arguments(args_schema, location="query")
        @blp.response(200, ReportSchema)
        @blp.alt_response(403, description=READERS_ONLY)
        @blp.alt_response(404, description="A storefront you may not see")
        def get(self, args: dict[str, Any]) -> dict[str, Any]:
            return _report(kind, args)

    class ExportViews(MethodView):
        @blp.auth_required
        @blp.arguments(export_schema, location="query")
        @blp.doc(**EXPORT_DOC)
        @blp.alt_response(403, description=READERS_ONLY)
        @blp.alt_response(404, description="A storefront you may not see")
        def get(self, args: dict[str, Any]) -> Response:
            return _export(kind, args)

    ReportViews.get.__doc__ = summary
    ExportViews.get.__doc__ = f"{summary}, as CSV or XLSX"
    ReportViews.__name__, ExportViews.__name__ = f"{kind}Report", f"{kind}Export"
    blp.route(f"/{kind}", endpoint=f"{kind}_report")(ReportViews)
    blp.route(f"/{kind}/export", endpoint=f"{kind}_export")(ExportViews)


_views("daily", "The daily report (a local day), with the day before", ReportQueryArgsSchema,
       ReportExportArgsSchema)  # fmt: skip
_views("weekly", "The weekly report (an ISO week), with the week before", ReportQueryArgsSchema,
       ReportExportArgsSchema)  # fmt: skip
_views("monthly", "The monthly report (a calendar month), with the month before",
       ReportQueryArgsSchema, ReportExportArgsSchema)  # fmt: skip
_views("range", "A report of any range of local days, with the same length before",
       RangeQueryArgsSchema, RangeExportArgsSchema)  # fmt: skip
