"""The layering of docs/architecture.md, checked on the source: the faces reach the ledger only
through the handler, and only the composition root imports adapters/ (ruff's TID251 bans it
for the rest of bot/ too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported(path: Path) -> set[str]:
    """Every module a file imports, by its full dotted name."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize(
    "path",
    sources("adapters", "bot/web", "bot/entry"),
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_no_face_touches_the_store(path: Path) -> None:
    allowed = {"bot/entry/wiring.py", "bot/entry/cli.py"}  # opens the store; `migrate`
    if path.relative_to(ROOT).as_posix() in allowed:
        return
    assert not {m for m in imported(path) if m == "bot.store" or m.startswith("bot.store.")}


@pytest.mark.parametrize("path", sources("bot"), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_only_the_composition_root_imports_adapters(path: Path) -> None:
    if path.relative_to(ROOT).parts[:2] == ("bot", "entry"):
        return
    assert not {m for m in imported(path) if m == "adapters" or m.startswith("adapters.")}
