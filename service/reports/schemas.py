from __future__ import annotations

from datetime import date

import marshmallow as ma

from service.core.api import Schema
from service.core.fields import TimeZone
from service.reports.periods import MAX_DAYS

EXPORT_FORMATS = ("csv", "xlsx")
#: Days a report may name (a month or a week around 9999-12-31 would overflow).
DAY_RANGE = ma.validate.Range(min=date(1900, 1, 1), max=date(8999, 12, 31))


class ReportQueryArgsSchema(Schema):
    storefront = ma.fields.List(
        ma.fields.UUID(),
        metadata={
            "description": "Storefronts to report on (repeat the parameter); none: every "
            "storefront you may see. A storefront key sees only its own."
        },
    )
    day = ma.fields.Date(
        validate=DAY_RANGE,
        metadata={
            "description": "Any local day of the period wanted (its ISO week, its month); "
            "default: the last complete period."
        },
    )
    time_zone = TimeZone(
        metadata={
            "description": "IANA zone whose midnights bound the days; default: the "
            "storefronts' own zone if they share one, else UTC."
        }
    )


class RangeQueryArgsSchema(ReportQueryArgsSchema):
    class Meta:
        exclude = ("day",)

    first = ma.fields.Date(
        required=True, validate=DAY_RANGE, metadata={"description": "First local day."}
    )
    last = ma.fields.Date(
        required=True,
        validate=DAY_RANGE,
        metadata={"description": f"Last local day (included); at most {MAX_DAYS} days."},
    )

    @ma.validates_schema
    def _ordered(self, data: dict, **_kwargs: object) -> None:
        if "first" in data and "last" in data:
            if data["last"] < data["first"]:
                raise ma.ValidationError("Must not be before `first`.", "last")
            if (data["last"] - data["first"]).days + 1 > MAX_DAYS:
                raise ma.ValidationError(f"A range covers at most {MAX_DAYS} days.", "last")


class ExportArgsMixin:
    format = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(EXPORT_FORMATS),
        metadata={"description": "csv (streamed) or xlsx (one sheet per section)."},
    )


class ReportExportArgsSchema(ExportArgsMixin, ReportQueryArgsSchema):
    pass


class RangeExportArgsSchema(ExportArgsMixin, RangeQueryArgsSchema):
    pass


class PeriodSchema(Schema):
    kind = ma.fields.String()
    first_day = ma.fields.Date()
    last_day = ma.fields.Date()
    start = ma.fields.AwareDateTime(metadata={"description": "First local midnight, in UTC."})
    end = ma.fields.AwareDateTime(metadata={"description": "The midnight after, in UTC."})
    time_zone = ma.fields.String()


class ReportPeriodSchema(PeriodSchema):
    previous = ma.fields.Nested(PeriodSchema)


class StorefrontRefSchema(Schema):
    id = ma.fields.UUID()
    name = ma.fields.String()


class SectionSchema(Schema):
    key = ma.fields.String()
    label = ma.fields.String()


class MetricSchema(Schema):
    key = ma.fields.String()
    section = ma.fields.String()
    label = ma.fields.String()
    unit = ma.fields.String(metadata={"description": "count, percent (0..1), hours or score"})
    definition = ma.fields.String()
    value = ma.fields.Float(allow_none=True, metadata={"description": "null: nothing to count"})
    previous = ma.fields.Float(allow_none=True)


class DatasetSchema(Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    data = ma.fields.List(ma.fields.Float(allow_none=True))


class BreakdownSchema(Schema):
    key = ma.fields.String()
    section = ma.fields.String()
    label = ma.fields.String()
    unit = ma.fields.String()
    definition = ma.fields.String()
    labels = ma.fields.List(ma.fields.String())
    keys = ma.fields.List(
        ma.fields.String(), metadata={"description": "What each label stands for (codes, ids)."}
    )
    datasets = ma.fields.List(ma.fields.Nested(DatasetSchema))
    notes = ma.fields.List(ma.fields.String(), metadata={"description": "Survey comments."})


class ReportSchema(Schema):
    period = ma.fields.Nested(ReportPeriodSchema)
    storefronts = ma.fields.List(ma.fields.Nested(StorefrontRefSchema))
    generated_at = ma.fields.AwareDateTime()
    sections = ma.fields.List(ma.fields.Nested(SectionSchema))
    metrics = ma.fields.List(ma.fields.Nested(MetricSchema))
    breakdowns = ma.fields.List(ma.fields.Nested(BreakdownSchema))
