"""The layering rule, checked: northbound -> controller -> southbound, one direction.

The controller never imports grpc or the northbound; the southbound never
imports the controller (and so never the store).  The lab is test
infrastructure and may use the southbound's inventory only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "controller": ("northbound", "grpc", "lab"),
    "southbound": ("controller", "northbound", "grpc", "lab"),
    "lab": ("controller", "northbound", "grpc"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def violations(package: str) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top in FORBIDDEN[package]:
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports_go_one_way(package: str) -> None:
    assert violations(package) == []


def test_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import grpc\nfrom northbound.cli import main\n")
    assert imported_modules(module) == {"grpc", "northbound.cli"}
