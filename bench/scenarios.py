"""The benchmark scenarios, declared as data.

A scenario is a name, the server it targets (`"api"` or `"baseline"`), a request factory
and, for an API scenario, the name of the baseline scenario it is compared with. The
runner measures each API scenario right after its baseline, in the same run, with the
same gunicorn settings, concurrency and duration, and prints the ratios.

To add a scenario, write a request factory `(ctx, seq) -> Request` and append a
`Scenario` to `SCENARIOS` (or a new baseline to `BASELINES`). If it needs data that
exists before the clock starts (cases to read, cases in a given state to transition),
give it a `prepare` hook: the runner calls every selected scenario's hook once, before the
first measured run; it may send requests through the `Seeder` and stores what the
factory needs in `ctx.data` (hooks shared by several scenarios must be idempotent).

This module imports only the standard library: the load generator's processes are
spawned fresh and import it to find the factories, and must start fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

#: The servers a scenario can target; the runner starts one gunicorn for each.
TARGETS = ("api", "baseline")

API = "/api/v1"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Context:
    """What request factories may use. It is pickled into the load processes, so it
    holds plain data only."""

    api_key: str
    today: date
    #: A staff member's token and a technician's id, for the staff-only transitions.
    staff_token: str = ""
    technician_id: str = ""
    #: Distinct for every scenario run (and prepare hook) of one bench run, so that
    #: idempotency keys, customers and order references never repeat across runs.
    nonce: int = 0
    #: Filled by prepare hooks: e.g. `case_ids` for `get_case`.
    data: dict[str, list[str]] = field(default_factory=dict)


#: Builds the `seq`-th request of a run. `seq` is unique within the run (across all
#: load threads and processes) and dense from 0, so `seq % len(ids)` spreads reads.
RequestFactory = Callable[[Context, int], Request]


class Seeder(Protocol):
    """Sends set-up requests before a scenario's clock starts (see `bench.run`)."""

    def send(self, target: str, request: Request) -> Any:
        """The parsed JSON response; raises on anything but 2xx."""
        ...


Prepare = Callable[[Seeder, Context], None]


@dataclass(frozen=True)
class Scenario:
    name: str
    target: str
    request: RequestFactory
    #: The baseline scenario this one is compared with (None for baselines themselves).
    baseline: str | None = None
    prepare: Prepare | None = None
    description: str = ""


# ---------------------------------------------------------------------------
# Request bodies. Realistic rather than minimal: a case is validated, normalised
# (email, phone, time zone), matched to a customer and its items' eligibility decided,
# so a trivial body would understate the work.

_PROFILES = (
    # (name, locale, time zone, phone format or None for email-only customers)
    ("Li Wei", "zh-CN", "Asia/Shanghai", "+86 138 {digits:08d}"),
    ("Emma Johnson", "en", "America/New_York", "+1 415 555 01{two:02d}"),
    ("Jonas Becker", "en", "Europe/Berlin", None),
    ("张敏", "zh-CN", "Asia/Shanghai", "+86 139 {digits:08d}"),
)
_PRODUCTS = (
    ("TAB-10", "Tablet 10"),
    ("PHN-X2", "Phone X2"),
    ("EAR-PRO", "Earbuds Pro"),
    ("LAP-14", "Laptop 14"),
    ("WATCH-S", "Smartwatch S"),
)
_KINDS = ("repair", "repair", "return", "exchange", "repair")
_DESCRIPTIONS = (
    "The screen flickers after ten minutes of use.",
    "Battery drains from full to empty in two hours, even when idle.",
    "Arrived with a cracked corner; the box was intact.",
    "The left earbud does not charge in the case.",
    "It restarts by itself several times a day since the last update.",
)


def case_body(ctx: Context, seq: int) -> dict[str, Any]:
    """A create-case body; a new customer per request (the external id is authoritative),
    purchase dates spread over ~2.5 years so warranty and return-window answers vary."""
    name, locale, time_zone, phone_format = _PROFILES[seq % len(_PROFILES)]
    digits = (ctx.nonce % 100) * 1_000_000 + seq % 1_000_000
    customer: dict[str, Any] = {
        "external_id": f"bench-{ctx.nonce}-{seq}",
        "name": name,
        "email": f"customer.{ctx.nonce}.{seq}@example.com",
        "locale": locale,
        "time_zone": time_zone,
    }
    if phone_format:
        customer["phone"] = phone_format.format(digits=digits, two=seq % 100)
    items = []
    for i in range(1 + (seq % 4 == 0)):
        sku, product = _PRODUCTS[(seq + i) % len(_PRODUCTS)]
        purchased = ctx.today - timedelta(days=(seq * 37 + i * 11) % 900)
        items.append(
            {
                "sku": sku,
                "name": product,
                "serial_number": f"SN{ctx.nonce:02d}{seq:08d}{i}",
                "purchase_date": purchased.isoformat(),
            }
        )
    return {
        "kind": _KINDS[seq % len(_KINDS)],
        "channel": "web",
        "customer": customer,
        "order_reference": f"ORD-{ctx.nonce}-{seq:07d}",
        "description": _DESCRIPTIONS[seq % len(_DESCRIPTIONS)],
        "items": items,
    }


def _api_headers(ctx: Context) -> dict[str, str]:
    return {"Authorization": f"Bearer {ctx.api_key}", "Accept": "application/json"}


def _json(payload: Any) -> bytes:
    return json.dumps(payload).encode()


# ---------------------------------------------------------------------------
# Request factories.


def create_case(ctx: Context, seq: int) -> Request:
    headers = {
        **_api_headers(ctx),
        "Content-Type": "application/json",
        # Distinct per request: a create with a key is what storefronts are told to send,
        # and it adds the idempotency record to the transaction.
        "Idempotency-Key": f"bench-{ctx.nonce}-{seq}",
    }
    return Request("POST", f"{API}/cases", _json(case_body(ctx, seq)), headers)


def get_case(ctx: Context, seq: int) -> Request:
    ids = ctx.data["case_ids"]
    return Request("GET", f"{API}/cases/{ids[seq % len(ids)]}", headers=_api_headers(ctx))


def get_customer(ctx: Context, seq: int) -> Request:
    """The API's floor for a read: one small row by primary key (like `select_pk`) through
    everything every API request pays (auth, rate limit, flask-smorest, marshmallow, the
    ETag). No case endpoint can be cheaper than this."""
    ids = ctx.data["customer_ids"]
    return Request("GET", f"{API}/customers/{ids[seq % len(ids)]}", headers=_api_headers(ctx))


def list_cases(ctx: Context, seq: int) -> Request:
    return Request("GET", f"{API}/cases?limit=25", headers=_api_headers(ctx))


def _staff_headers(ctx: Context) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {ctx.staff_token}",
        "Accept": "application/json",
        "Content-Type": "application/json",
        # Any version: the bench measures the transition, not a client's ETag bookkeeping.
        "If-Match": "*",
    }


def quote_body(ctx: Context, seq: int) -> dict[str, Any]:
    valid_until = (ctx.today + timedelta(days=14)).isoformat() + "T00:00:00+00:00"
    return {
        "currency": "CNY",
        "valid_until": valid_until,
        "lines": [
            {"kind": "part", "description": "Replacement screen", "unit_price_minor": 45000 + seq},
            {"kind": "labour", "description": "Fitting", "quantity": 2, "unit_price_minor": 8000},
        ],
    }


def requote_case(ctx: Context, seq: int) -> Request:
    """A full transition (quote_pending -> quote_pending): the new quote and its lines,
    the old one superseded, the timeline event, the customer's two notices, the version."""
    ids = ctx.data["quoted_case_ids"]
    path = f"{API}/cases/{ids[seq % len(ids)]}/actions/send_quote"
    return Request("POST", path, _json(quote_body(ctx, seq)), _staff_headers(ctx))


def baseline_insert(ctx: Context, seq: int) -> Request:
    # The same body as create_case, so JSON parsing and transfer cost the same.
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    return Request("POST", "/insert", _json(case_body(ctx, seq)), headers)


def baseline_select_pk(ctx: Context, seq: int) -> Request:
    ids = ctx.data["row_ids"]
    return Request("GET", f"/rows/{ids[seq % len(ids)]}", headers={"Accept": "application/json"})


# ---------------------------------------------------------------------------
# Prepare hooks: data that must exist before the clock starts.

#: Rows read by the read scenarios; enough that reads are not all one cached row.
SEED_COUNT = 200


def seed_cases(seeder: Seeder, ctx: Context) -> None:
    """Cases for get_case (and a non-empty list for list_cases), through the API itself."""
    if "case_ids" not in ctx.data:
        cases = [seeder.send("api", create_case(ctx, seq)) for seq in range(SEED_COUNT)]
        ctx.data["case_ids"] = [case["id"] for case in cases]
        ctx.data["customer_ids"] = [case["customer"]["id"] for case in cases]


#: Cases waiting on a quote, re-quoted round robin (the transition can repeat forever).
QUOTED_COUNT = 100


def seed_quoted_cases(seeder: Seeder, ctx: Context) -> None:
    """Repair cases taken through receive and diagnose to a first quote."""
    if "quoted_case_ids" in ctx.data:
        return
    ids = []
    for seq in range(QUOTED_COUNT):
        body = case_body(ctx, 10_000 + seq) | {"kind": "repair"}
        body["items"] = body["items"][:1]
        headers = {**_api_headers(ctx), "Content-Type": "application/json"}
        case = seeder.send("api", Request("POST", f"{API}/cases", _json(body), headers))
        actions = (
            ("receive", {"items": [{"item_id": case["items"][0]["id"], "condition": "damaged"}]}),
            ("diagnose", {"technician_id": ctx.technician_id}),
            ("send_quote", quote_body(ctx, seq)),
        )
        for action, payload in actions:
            path = f"{API}/cases/{case['id']}/actions/{action}"
            seeder.send("api", Request("POST", path, _json(payload), _staff_headers(ctx)))
        ids.append(case["id"])
    ctx.data["quoted_case_ids"] = ids


def seed_rows(seeder: Seeder, ctx: Context) -> None:
    if "row_ids" not in ctx.data:
        ctx.data["row_ids"] = [
            seeder.send("baseline", baseline_insert(ctx, seq))["id"] for seq in range(SEED_COUNT)
        ]


# ---------------------------------------------------------------------------
# The declarative lists. Order is run order.

BASELINES: tuple[Scenario, ...] = (
    Scenario(
        "insert",
        "baseline",
        baseline_insert,
        description="bare Flask + SQLAlchemy Core: one INSERT of the JSON body",
    ),
    Scenario(
        "select_pk",
        "baseline",
        baseline_select_pk,
        prepare=seed_rows,
        description="bare Flask + SQLAlchemy Core: one SELECT by primary key",
    ),
)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "create_case",
        "api",
        create_case,
        baseline="insert",
        description="POST /cases with a realistic body and an Idempotency-Key",
    ),
    Scenario(
        "get_case",
        "api",
        get_case,
        baseline="select_pk",
        prepare=seed_cases,
        description="GET /cases/{id} over 200 seeded cases",
    ),
    Scenario(
        "get_customer",
        "api",
        get_customer,
        baseline="select_pk",
        prepare=seed_cases,
        description="GET /customers/{id}: the API's floor, a small row through auth and limits",
    ),
    Scenario(
        "list_cases",
        "api",
        list_cases,
        baseline="select_pk",
        prepare=seed_cases,
        description="GET /cases?limit=25, newest first",
    ),
    Scenario(
        "requote_case",
        "api",
        requote_case,
        baseline="insert",
        prepare=seed_quoted_cases,
        description="POST /cases/{id}/actions/send_quote: a whole transition, by staff",
    ),
)

BY_NAME: dict[str, Scenario] = {s.name: s for s in BASELINES + SCENARIOS}


def _check() -> None:
    # Fail at import, not half-way through a run, when the lists are edited wrongly.
    if len(BY_NAME) != len(BASELINES) + len(SCENARIOS):
        raise ValueError("scenario names must be unique")
    baseline_names = {s.name for s in BASELINES}
    for scenario in BASELINES + SCENARIOS:
        if scenario.target not in TARGETS:
            raise ValueError(f"{scenario.name}: unknown target {scenario.target!r}")
    for scenario in SCENARIOS:
        if scenario.baseline not in baseline_names:
            raise ValueError(f"{scenario.name}: unknown baseline {scenario.baseline!r}")


_check()
