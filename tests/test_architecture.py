"""Checks of the architecture in DESIGN.md: import direction and migrations in step with models."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from market.models import metadata

ROOT = Path(__file__).resolve().parent.parent
# package -> packages it must never import
FORBIDDEN = {
    "market": {"search", "web", "demo"},
    "matching": {"market", "search", "web", "demo"},
    "search": {"web", "demo"},
    "demo": {"web"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_down_only(package: str) -> None:
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        bad = _imports(path) & FORBIDDEN[package]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_migrations_match_the_models(engine: Engine) -> None:
    """The database built by the migrations has exactly the tables and columns of the models."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


# Concept packages of market/ (DESIGN.md); the modules beside them (flows, views, exports, models)
# compose concepts and may import any of them.
CONCEPTS = sorted(p.name for p in (ROOT / "market").iterdir() if p.is_dir() and (p / "__init__.py").exists())


def _concept_imports(concept: str) -> set[str]:
    """The other market concepts a concept's modules import, function-level imports included."""
    found: set[str] = set()
    for path in (ROOT / "market" / concept).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if len(parts) >= 2 and parts[0] == "market" and parts[1] in CONCEPTS and parts[1] != concept:
                    found.add(parts[1])
    return found


def test_market_concepts_do_not_import_each_other_in_circles() -> None:
    """One direction between any two concepts; steps that cross them live in market/flows.py."""
    graph = {c: _concept_imports(c) for c in CONCEPTS}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in path:
                cycles.append(" → ".join(path[path.index(nxt):] + [nxt]))
            elif len(path) < len(CONCEPTS):
                visit(nxt, [*path, nxt])

    for concept in CONCEPTS:
        visit(concept, [concept])
    assert sorted(set(cycles)) == []
