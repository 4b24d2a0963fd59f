"""A report as CSV (streamed, one row per figure and per table cell, each row carrying
its definition) or as an XLSX workbook (XlsxWriter in constant-memory mode: a cover
sheet, one sheet per section, and the definitions on a sheet of their own)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import xlsxwriter
from flask_babel import lazy_gettext as _l

CSV_COLUMNS = ("section", "key", "label", "item", "series", "value", "previous", "unit")
CSV_HEADER = (*CSV_COLUMNS, "definition")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _line(values: Any) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(["" if v is None else v for v in values])
    return out.getvalue()


def csv_lines(report: dict[str, Any]) -> Iterator[str]:
    """The report as CSV lines, one at a time (the response streams them)."""
    yield _line(CSV_HEADER)
    p = report["period"]
    for key in ("kind", "first_day", "last_day", "time_zone"):
        yield _line(("period", key, "", "", "", p[key], p["previous"].get(key, ""), "", ""))
    names = "; ".join(s["name"] for s in report["storefronts"])
    yield _line(("period", "storefronts", "", "", "", names, "", "", ""))
    for m in report["metrics"]:
        yield _line(
            [
                m["section"],
                m["key"],
                m["label"],
                "",
                "",
                m["value"],
                m["previous"],
                m["unit"],
                m["definition"],
            ]
        )
    for b in report["breakdowns"]:
        for index, label in enumerate(b["labels"]):
            for dataset in b["datasets"]:
                value = dataset["data"][index]
                yield _line(
                    [
                        b["section"],
                        b["key"],
                        b["label"],
                        label,
                        dataset["key"],
                        value,
                        "",
                        b["unit"],
                        b["definition"],
                    ]
                )


def _sheet_name(label: str, used: set[str]) -> str:
    name = "".join(c for c in label if c not in "[]:*?/\\")[:31] or "Sheet"
    while name in used:
        name = name[:28] + f" {len(used)}"
    used.add(name)
    return name


def xlsx_bytes(report: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False})
    bold = book.add_format({"bold": True})
    formats = {
        "percent": book.add_format({"num_format": "0.0%"}),
        "hours": book.add_format({"num_format": "0.00"}),
        "score": book.add_format({"num_format": "0.00"}),
        "count": None,
    }
    used: set[str] = set()

    cover = book.add_worksheet(_sheet_name(str(_l("Report")), used))
    p = report["period"]
    rows = [
        (str(_l("Period")), p["kind"]),
        (str(_l("First day")), p["first_day"].isoformat()),
        (str(_l("Last day")), p["last_day"].isoformat()),
        (str(_l("Time zone")), p["time_zone"]),
        (str(_l("Previous period")), f"{p['previous']['first_day']} – {p['previous']['last_day']}"),
        (str(_l("Storefronts")), "; ".join(s["name"] for s in report["storefronts"])),
    ]
    for r, (label, value) in enumerate(rows):
        cover.write_string(r, 0, label, bold)
        cover.write_string(r, 1, str(value))

    for section in report["sections"]:
        sheet = book.add_worksheet(_sheet_name(section["label"], used))
        sheet.set_column(0, 0, 36)
        row = 0
        header = (_l("Figure"), _l("This period"), _l("Previous period"), _l("Unit"))
        for col, text in enumerate(header):
            sheet.write_string(row, col, str(text), bold)
        row += 1
        for m in (m for m in report["metrics"] if m["section"] == section["key"]):
            sheet.write_string(row, 0, m["label"])
            for col, value in ((1, m["value"]), (2, m["previous"])):
                if value is not None:
                    sheet.write_number(row, col, value, formats[m["unit"]])
            sheet.write_string(row, 3, m["unit"])
            row += 1
        for b in (b for b in report["breakdowns"] if b["section"] == section["key"]):
            row += 1
            sheet.write_string(row, 0, b["label"], bold)
            for col, dataset in enumerate(b["datasets"], start=1):
                sheet.write_string(row, col, dataset["label"], bold)
            row += 1
            for index, label in enumerate(b["labels"]):
                sheet.write_string(row, 0, label)
                for col, dataset in enumerate(b["datasets"], start=1):
                    value = dataset["data"][index]
                    if value is not None:
                        sheet.write_number(row, col, value, formats[b["unit"]])
                row += 1

    sheet = book.add_worksheet(_sheet_name(str(_l("Definitions")), used))
    for col, text in enumerate((_l("Key"), _l("Figure"), _l("Unit"), _l("Definition"))):
        sheet.write_string(0, col, str(text), bold)
    for row, item in enumerate((*report["metrics"], *report["breakdowns"]), start=1):
        for col, field in enumerate(("key", "label", "unit", "definition")):
            sheet.write_string(row, col, item[field])
    book.close()
    return buffer.getvalue()
