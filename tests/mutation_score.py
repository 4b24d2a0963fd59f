"""The mutation score per module, from the results `mutmut run` left in mutants/.

`python -m tests.mutation_score [glob ...]` prints, for each mutated module, how many
mutants were killed, survived, timed out or had no test, and the score
killed / (checked mutants); then every survivor by name (`mutmut show <name>` shows its
diff). Only mutants matching the globs are counted (default: every mutant checked).
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections import Counter
from pathlib import Path

MUTANTS = Path("mutants")
#: mutmut's exit codes, as mutmut.stats.status_by_exit_code names them.
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests"}
TIMEOUTS = {36, 24, -24, 152, 255}


def _status(code: int | None) -> str:
    if code is None:
        return "not checked"
    if code in TIMEOUTS:
        return "timeout"
    return STATUS.get(code, "suspicious")


def results(patterns: list[str]) -> dict[str, dict[str, str]]:
    """module -> {mutant name: status}."""
    found: dict[str, dict[str, str]] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        module = str(meta.relative_to(MUTANTS)).removesuffix(".py.meta").replace("/", ".")
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        for name, code in codes.items():
            if patterns and not any(fnmatch.fnmatch(name, p) for p in patterns):
                continue
            if code is None and not patterns:
                continue
            found.setdefault(module, {})[name] = _status(code)
    return found


def main(patterns: list[str]) -> int:
    found = results(patterns)
    survivors: list[str] = []
    total = Counter()
    print(f"{'module':40} {'mutants':>7} {'killed':>6} {'surv.':>5} {'t/o':>4} {'none':>4} score")
    for module, by_name in found.items():
        counts = Counter(by_name.values())
        total.update(counts)
        checked = sum(counts.values()) - counts["not checked"]
        score = (counts["killed"] + counts["timeout"]) / checked if checked else 0.0
        print(
            f"{module:40} {len(by_name):7} {counts['killed']:6} {counts['survived']:5} "
            f"{counts['timeout']:4} {counts['no tests']:4} {score:6.1%}"
        )
        survivors += [name for name, status in by_name.items() if status == "survived"]
    checked = sum(total.values()) - total["not checked"]
    if checked:
        score = (total["killed"] + total["timeout"]) / checked
        print(f"{'all':40} {checked:7} {total['killed']:6} {total['survived']:5} ", end="")
        print(f"{total['timeout']:4} {total['no tests']:4} {score:6.1%}")
    for name in survivors:
        print("survived:", name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
