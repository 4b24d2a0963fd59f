"""Reports: the desk's daily, weekly, monthly (or any range's) figures, compared with the
period before, as JSON for charts, a page, CSV, XLSX and a scheduled e-mail.

How it works
------------
1. Every figure is defined once in `metrics.py` (`METRICS`, single figures;
   `BREAKDOWNS`, tables): key, section, label, unit and a one-line definition, printed
   by the page, the API and both exports.
2. A period (`periods.py`) is a run of local days in one time zone: the storefront's
   own (`storefronts.time_zone`), or the one asked for, or UTC when the chosen
   storefronts differ. Its bounds are the local midnights converted to UTC, so a day in
   Asia/Shanghai runs 16:00Z to 16:00Z. The previous period is the day, ISO week,
   calendar month or range before it.
3. `queries.py` and `people.py` compute everything with aggregates in the database: each
   query spans the previous and the current period at once and groups on a period flag
   (1 current, 0 previous), so no case is loaded into Python. Medians and 90th
   percentiles are nearest-rank, from window functions (`sql.py`), since SQLite has no
   percentile_cont; `seconds_between` is the one dialect-specific expression.
   Cohorts: cases opened in the period (intake, first response, cancellations,
   complaints), cases completed in it (resolution, SLA, coverage, problems, workload),
   follow-ups falling due in it, surveys sent / answered in it, contacts logged and
   quality reviews written in it.
   `inputs.py` gathers all of it live; `rolled.py` the same `Inputs` from the daily
   rollup (`rollup.py`: each storefront's closed local days, rebuilt by a periodic job
   from these very queries cut to one day; `changes.py` marks the days each write moves,
   in its transaction) for the whole days it holds, and live for the rest, so a month
   costs ~60 rollup days, not ~80,000 cases. Both give the same figures (tests/reports/
   test_rollup.py).
4. `build.py` shapes the result for charts: `metrics` (value, previous) and
   `breakdowns` (labels, keys, datasets). `service.py` resolves who may see which
   storefronts and the period, then builds; `routes.py` (API), the workspace page
   (service/workspace/views/reports.py) and `delivery.py` (e-mail) all call it.
5. `exports.py` streams CSV (one row per figure and per table cell, each carrying its
   definition) and writes XLSX with XlsxWriter in constant-memory mode (a cover sheet,
   one sheet per section, the definitions on their own sheet).
6. `delivery.py`: periodic jobs send each storefront's report to its supervisors at
   08:00 local, once per storefront and period (see its docstring).
"""

# The rollup's change marks on every session's flush, wherever reports are imported
# (the app, the worker, the CLI and the migrations' metadata all import them).
from service.reports import changes  # noqa: F401
