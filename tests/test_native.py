"""The modules scripts/build-native compiles are the ones Python imports."""

from __future__ import annotations

import importlib
from importlib.machinery import ExtensionFileLoader
from pathlib import Path

import pytest

from tests.native import ROOT, compiled_extension, compiled_modules


@pytest.mark.parametrize("source", compiled_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_compiled_module_is_imported_compiled(source: Path) -> None:
    if compiled_extension(source) is None:
        pytest.skip(f"{source.relative_to(ROOT)} is not compiled (scripts/build-native does)")
    name = ".".join(source.relative_to(ROOT).with_suffix("").parts)
    # (mypyc's modules name their group's shared library in __file__, not their own)
    assert isinstance(importlib.import_module(name).__loader__, ExtensionFileLoader)
