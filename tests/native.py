"""The modules scripts/build-native compiles with mypyc, and their extension modules."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compiled_modules() -> list[Path]:
    """The sources scripts/build-native compiles (pyproject's ``[tool.netsla] compiled``)."""
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["netsla"]["compiled"]
    return [ROOT / path for path in listed]


def compiled_extension(source: Path) -> Path | None:
    """The extension module built from ``source``, if there is one (Python imports it first)."""
    return next(source.parent.glob(source.stem + ".cpython-*.so"), None)
