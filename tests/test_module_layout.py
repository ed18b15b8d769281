"""The module graph stays a tree where it matters: use cases do not import each other in a
circle, and the domain imports nothing from the app."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imports_of(path: Path) -> set[str]:
    """Modules a file imports, also inside functions (a lazy import still ties two modules)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_the_use_cases_import_each_other_without_a_circle() -> None:
    modules = {module_name(path): path for path in (ROOT / "domain" / "services").glob("*.py")}
    graph = {name: {other for other in imports_of(path) if other in modules and other != name}
             for name, path in modules.items()}
    circles = []

    def visit(name: str, trail: list[str]) -> None:
        for other in graph[name]:
            if other in trail:
                circles.append(trail[trail.index(other):] + [other])
            elif len(trail) < len(graph):
                visit(other, trail + [other])

    for start in graph:
        visit(start, [start])
    assert circles == []


def test_the_domain_imports_nothing_from_the_app() -> None:
    offenders = [f"{module_name(path)} -> {name}" for path in (ROOT / "domain").rglob("*.py")
                 for name in imports_of(path) if name.split(".")[0] in ("bot", "handlers", "slack_bolt", "slack_sdk")]
    assert offenders == []
