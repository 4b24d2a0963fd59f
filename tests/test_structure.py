"""The shape of the code: no import circles among service modules, no module too long to
read in one sitting. Both are read from the source with `ast`, so an import hidden inside
a function or under `if TYPE_CHECKING:` counts as much as one at the top."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICE = Path(__file__).resolve().parent.parent / "service"
MAX_LINES = 400


def module_name(path: Path, root: Path = SERVICE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def service_modules(root: Path = SERVICE) -> dict[str, Path]:
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The service modules `name` imports anywhere in its body (top level, functions,
    `TYPE_CHECKING` blocks). `from package import name` counts as importing the
    submodule when `name` is one, else the package itself."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in modules:
                    found.add(submodule)
                elif base in modules:
                    found.add(base)
    found.discard(name)
    return found


def import_graph(root: Path = SERVICE) -> dict[str, set[str]]:
    modules = service_modules(root)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each as a closed
    path through it that names the imports to break."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = lowlink[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                lowlink[node] = min(lowlink[node], lowlink[target])
            elif target in on_stack:
                lowlink[node] = min(lowlink[node], index[target])
        if lowlink[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_through(group, graph) for group in groups]


def _cycle_through(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest circle from the group's first module back to itself (breadth first)."""
    start = min(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        next_frontier = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    next_frontier.append(target)
        frontier = next_frontier
    raise AssertionError(f"no circle through {sorted(group)}")


def test_service_modules_import_no_circle():
    cycles = import_cycles(import_graph())
    assert cycles == [], "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_service_module_is_over_400_lines():
    too_long = {
        name: length
        for name, path in service_modules().items()
        if (length := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}


# The checks themselves, on a throwaway package: each must see what it is there to catch.


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "service"
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_circle_through_a_function_local_import_is_found(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "cases/__init__.py": "",
            "cases/lifecycle.py": "from service.surveys.service import schedule\n",
            "surveys/__init__.py": "",
            "surveys/service.py": "def answer():\n    from service.cases import lifecycle\n",
        },
    )
    assert import_cycles(import_graph(root)) == [
        ["service.cases.lifecycle", "service.surveys.service", "service.cases.lifecycle"]
    ]


def test_a_circle_through_type_checking_and_relative_imports_is_found(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "links.py": "if TYPE_CHECKING:\n    from .cases.models import Case\n",
            "cases/__init__.py": "",
            "cases/models.py": "from ..links import new_link_key\n",
        },
    )
    assert import_cycles(import_graph(root)) == [
        ["service.cases.models", "service.links", "service.cases.models"]
    ]


def test_imports_in_one_direction_are_no_circle(tmp_path):
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "core/__init__.py": "",
            "core/jobs.py": "import service.core.db\n",
            "core/db.py": "",
            "core/worker.py": "from service.core import jobs, db\n",
        },
    )
    assert import_graph(root)["service.core.worker"] == {"service.core.jobs", "service.core.db"}
    assert import_cycles(import_graph(root)) == []
