"""Every figure of the reports, defined once: its key, section, label, unit and the
one-line definition that the page, the API and the exports all print.

`METRICS` are single figures (shown with the previous period's value beside them);
`BREAKDOWNS` are tables shaped for charts (labels x datasets). The SQL that computes
them is in service.reports.queries; the keys here are the contract between the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal, format_percent
from flask_babel import lazy_gettext as _l

#: The sections, in the order the page, the e-mail and the workbook show them.
SECTIONS = {
    "intake": _l("Intake"),
    "first_response": _l("First response"),
    "sla": _l("SLA achievement"),
    "resolution": _l("Resolution"),
    "follow_up": _l("Follow-up"),
    "satisfaction": _l("Satisfaction"),
    "complaints": _l("Complaints"),
    "products": _l("Product problems"),
    "agents": _l("Agents"),
}


@dataclass(frozen=True)
class Metric:
    key: str
    section: str
    label: Any
    #: count, percent (a share 0..1), hours, or score (1-5).
    unit: str
    definition: Any


def _m(key: str, section: str, label: Any, unit: str, definition: Any) -> Metric:
    return Metric(key, section, label, unit, definition)


METRICS: tuple[Metric, ...] = (
    _m("cases_opened", "intake", _l("Cases opened"), "count",
       _l("Cases created in the period.")),
    _m("first_response_rate", "first_response", _l("Answered within target"), "percent",
       _l("Cases opened in the period first answered by their first-response deadline "
          "(24 h unless the storefront sets another) ÷ those answered or already past it; "
          "younger unanswered cases are pending, not failures.")),
    _m("first_response_pending", "first_response", _l("Pending first answer"), "count",
       _l("Cases opened in the period, not yet answered and not yet past the deadline.")),
    _m("first_response_median", "first_response", _l("Median first response"), "hours",
       _l("Median time from opening to the first answer, over cases opened in the period "
          "that were answered.")),
    _m("first_response_p90", "first_response", _l("90th percentile first response"), "hours",
       _l("Nine in ten answered cases opened in the period were answered within this time.")),
    _m("resolution_sla_rate", "sla", _l("Resolved within target"), "percent",
       _l("Cases completed in the period by their resolution deadline (moved later by every "
          "wait on the customer) ÷ cases completed in the period.")),
    _m("follow_up_sla_rate", "sla", _l("Followed up within target"), "percent",
       _l("Cases whose follow-up fell due in the period and were followed up by then ÷ "
          "those followed up or already past due.")),
    _m("cases_completed", "resolution", _l("Cases completed"), "count",
       _l("Cases delivered, refunded or resolved in the period (cancellations excluded).")),
    _m("resolution_median", "resolution", _l("Median resolution time"), "hours",
       _l("Median time from opening to completion of the cases completed in the period.")),
    _m("resolution_p90", "resolution", _l("90th percentile resolution time"), "hours",
       _l("Nine in ten cases completed in the period were completed within this time.")),
    _m("reopen_rate", "resolution", _l("Reopen rate"), "percent",
       _l("Cases reopened in the period ÷ cases completed in the period.")),
    _m("cancellation_rate", "resolution", _l("Cancellation rate"), "percent",
       _l("Cases opened in the period that are now cancelled ÷ cases opened in the period.")),
    _m("followup_coverage", "follow_up", _l("Follow-up coverage"), "percent",
       _l("Cases completed in the period whose survey went out (or was taken by phone) "
          "within 3 days of completion ÷ cases completed in the period.")),
    _m("surveys_sent", "follow_up", _l("Surveys sent"), "count",
       _l("Survey invitations sent in the period, plus surveys taken by phone before any "
          "invitation.")),
    _m("response_rate_link", "follow_up", _l("Answered on the customer page"), "percent",
       _l("Surveys sent in the period answered by the customer on the survey page ÷ "
          "surveys sent.")),
    _m("response_rate_phone", "follow_up", _l("Answered by phone"), "percent",
       _l("Surveys sent in the period answered over the phone (recorded by staff) ÷ "
          "surveys sent.")),
    _m("surveys_answered", "satisfaction", _l("Surveys answered"), "count",
       _l("Surveys answered in the period.")),
    _m("satisfaction_attitude", "satisfaction", _l("Service attitude"), "score",
       _l("Mean service-attitude score (1-5) of the surveys answered in the period.")),
    _m("satisfaction_quality", "satisfaction", _l("Product quality"), "score",
       _l("Mean product-quality score (1-5) of the surveys answered in the period.")),
    _m("satisfaction_price", "satisfaction", _l("Price"), "score",
       _l("Mean price-reasonableness score (1-5) of the surveys answered in the period.")),
    _m("satisfaction_overall", "satisfaction", _l("Overall satisfaction"), "score",
       _l("Mean overall score (1-5) of the surveys answered in the period.")),
    _m("csat", "satisfaction", _l("CSAT"), "percent",
       _l("Overall answers of 4 or 5 ÷ overall answers, surveys answered in the period.")),
    _m("complaints_opened", "complaints", _l("Complaints opened"), "count",
       _l("Complaint cases created in the period.")),
    _m("complaint_closure_median", "complaints", _l("Median complaint closure"), "hours",
       _l("Median time from opening to resolution of complaints resolved in the period.")),
    _m("complaint_followup_share", "complaints", _l("Complaints followed up"), "percent",
       _l("Complaints resolved in the period that have been followed up ÷ complaints "
          "resolved in the period.")),
    _m("qa_score", "agents", _l("QA score"), "score",
       _l("Mean of the five rubric marks (1-5) of the quality reviews written in the "
          "period.")),
)  # fmt: skip

BREAKDOWNS: tuple[Metric, ...] = (
    _m("intake_by_day", "intake", _l("Cases opened per day"), "count",
       _l("Cases created on each local day of the period.")),
    _m("intake_by_kind", "intake", _l("Cases opened by kind"), "count",
       _l("Cases created in the period, by kind; the previous period beside them.")),
    _m("intake_by_channel", "intake", _l("Cases opened by channel"), "count",
       _l("Cases created in the period, by the channel they came in by.")),
    _m("intake_by_storefront", "intake", _l("Cases opened by storefront"), "count",
       _l("Cases created in the period, by storefront.")),
    _m("intake_by_sku", "intake", _l("Cases opened by product"), "count",
       _l("Cases created in the period covering each SKU (a case with two SKUs counts "
          "for both); the 20 most frequent.")),
    _m("sla_by_clock", "sla", _l("SLA achievement by clock"), "percent",
       _l("Share met of each clock as defined above; resolution per case kind.")),
    _m("resolution_by_kind", "resolution", _l("Resolution time by kind"), "hours",
       _l("Median and 90th percentile time from opening to completion, cases completed "
          "in the period, per kind.")),
    _m("lowest_scored", "satisfaction", _l("Lowest-scored cases"), "score",
       _l("The ten surveys answered in the period with the lowest overall score.")),
    _m("problems", "products", _l("Problems by product and cause"), "count",
       _l("Cases completed in the period per SKU and the cause recorded in the resolution "
          "archive, with the previous period and the change; the 20 most frequent.")),
    _m("agent_workload", "agents", _l("Workload and quality per person"), "count",
       _l("Per person: cases completed while assigned to them, contacts logged, first "
          "answers given, quality reviews and their mean score, in the period.")),
)  # fmt: skip

BY_KEY = {metric.key: metric for metric in (*METRICS, *BREAKDOWNS)}


def definitions() -> list[dict[str, str]]:
    """Every figure's key, section, label, unit and definition, in the current locale."""
    return [
        {
            "key": m.key,
            "section": str(SECTIONS[m.section]),
            "label": str(m.label),
            "unit": m.unit,
            "definition": str(m.definition),
        }
        for m in (*METRICS, *BREAKDOWNS)
    ]


def format_value(value: Any, unit: str, locale: str) -> str:
    """A figure as people read it in `locale` (a Babel name: en, zh_CN): 66.7%, 1,234,
    2.5; "—" when there was nothing to count."""
    if value is None:
        return "—"
    if unit == "percent":
        return format_percent(value, "#,##0.0%", locale=locale)
    if unit == "count":
        return format_decimal(value, locale=locale)
    return format_decimal(value, "#,##0.0#", locale=locale)
