"""Assembling a report: run the queries of service.reports.queries and .people for the
period and the one before it, and shape the result for charts (labels × datasets)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from service.cases.models import CaseChannel, CaseKind
from service.reports import inputs, people, queries, rolled
from service.reports.inputs import Inputs
from service.reports.metrics import BREAKDOWNS, METRICS, SECTIONS
from service.reports.periods import Period
from service.reports.queries import TOP, Window
from service.reports.sql import tune_for_reports
from service.storefronts.models import Storefront
from service.workspace.words import CLOCK_WORDS, word

CURRENT, PREVIOUS = _l("This period"), _l("Previous period")


def ratio(part: Any, whole: Any) -> float | None:
    return None if not whole else part / whole


def _num(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def _figures(session: Session, scope: Any, w: Window, given: Inputs, qa: dict) -> dict[str, Any]:
    """Every single figure, per period flag (1 current, 0 previous)."""
    opened = given.cohorts.opened()
    done = given.cohorts.completed()
    follow, fr = given.follow_up, given.first_response
    res = complaint_times = given.resolution
    reopened = queries.reopened(session, scope, w)
    sent, sat = given.sent, given.satisfaction
    out: dict[int, dict[str, Any]] = {}
    for flag in (1, 0):
        o, d, f = opened.get(flag, {}), done.get(flag, {}), follow.get(flag, {})
        s, a = sent.get(flag, {}), {**sat.get(flag, {}), **queries.mean_scores(sat.get(flag, {}))}
        _fr_n, fr_med, fr_p90 = fr.get((flag,), (0, None, None))
        _n, res_med, res_p90 = res.get((flag,), (0, None, None))
        complaint = complaint_times.get((flag, CaseKind.complaint), (0, None, None))
        out[flag] = {
            "cases_opened": o.get("opened", 0),
            "first_response_rate": ratio(o.get("fr_met", 0), o.get("fr_due", 0)),
            "first_response_pending": o.get("fr_pending", 0),
            "first_response_median": _num(fr_med),
            "first_response_p90": _num(fr_p90),
            "resolution_sla_rate": ratio(d.get("res_met", 0), d.get("completed", 0)),
            "follow_up_sla_rate": ratio(f.get("met", 0), f.get("due", 0)),
            "cases_completed": d.get("completed", 0),
            "resolution_median": _num(res_med),
            "resolution_p90": _num(res_p90),
            "reopen_rate": ratio(reopened.get(flag, 0), d.get("completed", 0)),
            "cancellation_rate": ratio(o.get("cancelled", 0), o.get("opened", 0)),
            "followup_coverage": ratio(d.get("covered", 0), d.get("completed", 0)),
            "surveys_sent": s.get("sent", 0),
            "response_rate_link": ratio(s.get("link", 0), s.get("sent", 0)),
            "response_rate_phone": ratio(s.get("phone", 0), s.get("sent", 0)),
            "surveys_answered": a.get("answered", 0),
            "satisfaction_attitude": _num(a.get("attitude")),
            "satisfaction_quality": _num(a.get("quality")),
            "satisfaction_price": _num(a.get("price")),
            "satisfaction_overall": _num(a.get("overall")),
            "csat": ratio(a.get("satisfied", 0), a.get("overall_n", 0)),
            "complaints_opened": o.get("complaints", 0),
            "complaint_closure_median": _num(complaint[1]),
            "complaint_followup_share": ratio(
                d.get("complaints_followed", 0), d.get("complaints", 0)
            ),
            "qa_score": _num(people.overall_qa(qa, flag)),
        }
    return out


def _metric_rows(figures: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "key": m.key,
            "section": m.section,
            "label": str(m.label),
            "unit": m.unit,
            "definition": str(m.definition),
            "value": _num(figures[1][m.key]) if m.unit != "count" else figures[1][m.key],
            "previous": _num(figures[0][m.key]) if m.unit != "count" else figures[0][m.key],
        }
        for m in METRICS
    ]


def _dataset(key: str, label: Any, data: list[Any]) -> dict[str, Any]:
    return {"key": key, "label": str(label), "data": data}


def _compare(found: dict[tuple, int], keys: list[Any]) -> list[dict[str, Any]]:
    """Current and previous counts per key (a key may be a tuple of several columns)."""

    def get(flag: int, key: Any) -> int:
        return found.get((flag, *key) if isinstance(key, tuple) else (flag, key), 0)

    return [
        _dataset("current", CURRENT, [get(1, k) for k in keys]),
        _dataset("previous", PREVIOUS, [get(0, k) for k in keys]),
    ]


def _top(found: dict[tuple, int]) -> list[Any]:
    current = {key[1:]: n for key, n in found.items() if key[0] == 1}
    ranked = sorted({key[1:] for key in found}, key=lambda k: (-current.get(k, 0), k))
    return ranked[:TOP]


def _breakdowns(
    session: Session, w: Window, storefronts: Sequence[Storefront], given: Inputs, qa: dict
) -> dict[str, dict[str, Any]]:
    period = w.period
    c = given.cohorts
    by_day = c.intake_by_day()
    days = period.days
    kinds, channels = list(CaseKind), list(CaseChannel)
    by_kind, by_channel, by_store = c.intake_by(1), c.intake_by(2), c.intake_by(3)
    by_sku = given.by_sku
    skus = [key[0] for key in _top(by_sku)]
    out: dict[str, dict[str, Any]] = {
        "intake_by_day": {
            "labels": [d.isoformat() for d in days],
            "keys": [d.isoformat() for d in days],
            "datasets": [
                _dataset("current", CURRENT, [by_day.get(i, 0) for i in range(len(days))])
            ],
        },
        "intake_by_kind": {
            "labels": [word(k) for k in kinds],
            "keys": [k.value for k in kinds],
            "datasets": _compare({(p, CaseKind(k)): n for (p, k), n in by_kind.items()}, kinds),
        },
        "intake_by_channel": {
            "labels": [word(c) for c in channels],
            "keys": [c.value for c in channels],
            "datasets": _compare(
                {(p, CaseChannel(c)): n for (p, c), n in by_channel.items()}, channels
            ),
        },
        "intake_by_storefront": {
            "labels": [s.name for s in storefronts],
            "keys": [str(s.id) for s in storefronts],
            "datasets": _compare(by_store, [s.id for s in storefronts]),
        },
        "intake_by_sku": {"labels": skus, "keys": skus, "datasets": _compare(by_sku, skus)},
    }
    out.update(_outcomes(session, given, qa))
    return out


def _outcomes(session: Session, given: Inputs, qa: dict) -> dict[str, dict[str, Any]]:
    kinds = list(CaseKind)
    c, times = given.cohorts, given.resolution
    per_kind = c.resolution_by_kind()
    clocks = [("first_response", None), *(("resolution", k) for k in kinds), ("follow_up", None)]
    problems = given.problems
    causes = _top(problems)
    low = given.lowest
    staff = people.workload(
        session, c.completed_by_assignee(), given.contacts, given.first_answers, qa
    )
    return {
        "sla_by_clock": {
            "labels": [str(CLOCK_WORDS[c]) + (f" · {word(k)}" if k else "") for c, k in clocks],
            "keys": [c + (f":{k.value}" if k else "") for c, k in clocks],
            "datasets": [],  # filled in by build_report from the single figures
            "_per_kind": per_kind,
        },
        "resolution_by_kind": {
            "labels": [word(k) for k in kinds],
            "keys": [k.value for k in kinds],
            "datasets": [
                _dataset("completed", _l("Completed"), [times.get((1, k), (0,))[0] for k in kinds]),
                _dataset(
                    "median",
                    _l("Median (h)"),
                    [_num(times.get((1, k), (0, None))[1]) for k in kinds],
                ),
                _dataset(
                    "p90",
                    _l("90th percentile (h)"),
                    [_num(times.get((1, k), (0, None, None))[2]) for k in kinds],
                ),
            ],
        },
        "lowest_scored": {
            "labels": [row.number for row in low],
            "keys": [str(row.id) for row in low],
            "datasets": [
                _dataset("overall", _l("Overall"), [row[2] for row in low]),
                _dataset("attitude", _l("Service attitude"), [row[3] for row in low]),
                _dataset("quality", _l("Product quality"), [row[4] for row in low]),
                _dataset("price", _l("Price"), [row[5] for row in low]),
            ],
            "notes": [row[6] or "" for row in low],
        },
        "problems": {
            "labels": [f"{sku} · {cause or '—'}" for sku, cause in causes],
            "keys": [sku for sku, _cause in causes],
            "datasets": [
                *_compare(problems, causes),
                _dataset(
                    "change",
                    _l("Change"),
                    [problems.get((1, *k), 0) - problems.get((0, *k), 0) for k in causes],
                ),
            ],
        },
        "agent_workload": {
            "labels": [row["name"] for row in staff],
            "keys": [str(row["staff_id"]) for row in staff],
            "datasets": [
                _dataset(
                    "cases_handled", _l("Cases completed"), [r["cases_handled"] for r in staff]
                ),
                _dataset(
                    "contacts_logged", _l("Contacts logged"), [r["contacts_logged"] for r in staff]
                ),
                _dataset(
                    "first_responses", _l("First answers"), [r["first_responses"] for r in staff]
                ),
                _dataset("qa_reviews", _l("Quality reviews"), [r["qa_reviews"] for r in staff]),
                _dataset("qa_score", _l("QA score"), [_num(r["qa_score"]) for r in staff]),
            ],
        },
    }


def _sla_datasets(
    breakdown: dict[str, Any], figures: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    per_kind = breakdown.pop("_per_kind")
    rates = {}
    for flag in (1, 0):
        rates[flag] = [figures[flag]["first_response_rate"]]
        for kind in CaseKind:
            row = per_kind.get((flag, kind), {"n": 0, "met": 0})
            rates[flag].append(ratio(row["met"], row["n"]))
        rates[flag].append(figures[flag]["follow_up_sla_rate"])
    return [
        _dataset("current", CURRENT, [_num(v) for v in rates[1]]),
        _dataset("previous", PREVIOUS, [_num(v) for v in rates[0]]),
    ]


def build_report(
    session: Session,
    storefronts: Sequence[Storefront],
    period: Period,
    now: datetime,
    every_storefront: bool = False,
    use_rollup: bool = True,
) -> dict[str, Any]:
    """The report of `storefronts` (or, with `every_storefront`, of all) for `period`,
    compared with the period before it: whole days the rollup holds from it, the rest
    live (`use_rollup=False`: all live, as the tests compare)."""
    scope: list[uuid.UUID] | None = None if every_storefront else [s.id for s in storefronts]
    w = Window(period)
    tune_for_reports(session)
    given = (rolled.gather(session, scope, w, now) if use_rollup else None) or inputs.live(
        session, scope, w, now
    )
    qa = people.qa_scores(session, scope, w)
    figures = _figures(session, scope, w, given, qa)
    tables = _breakdowns(session, w, storefronts, given, qa)
    tables["sla_by_clock"]["datasets"] = _sla_datasets(tables["sla_by_clock"], figures)
    breakdowns = []
    for b in BREAKDOWNS:
        table = tables[b.key]
        breakdowns.append(
            {
                "key": b.key,
                "section": b.section,
                "label": str(b.label),
                "unit": b.unit,
                "definition": str(b.definition),
                **table,
            }
        )
    return {
        "period": {**period.describe(), "previous": w.previous.describe()},
        "storefronts": [{"id": s.id, "name": s.name} for s in storefronts],
        "generated_at": now,
        "sections": [{"key": k, "label": str(v)} for k, v in SECTIONS.items()],
        "metrics": _metric_rows(figures),
        "breakdowns": breakdowns,
    }
