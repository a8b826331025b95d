"""Every netsla YANG module passes ``pyang --strict --lint`` (RFC 8407 guidelines)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import yang

MODULES = sorted(yang.YANG_DIR.glob("netsla-*.yang"))


def test_all_netsla_modules_are_linted() -> None:
    names = {m.stem for m in MODULES}
    assert {"netsla-sla", "netsla-l3vpn-svc-ext", "netsla-l3vpn-svc-deviations"} <= names


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.stem)
def test_module_passes_strict_lint(module: Path) -> None:
    search = ":".join(str(p) for p in yang.search_path())
    pyang = Path(sys.executable).with_name("pyang")
    result = subprocess.run(
        [str(pyang), "--strict", "--lint", "-p", search, str(module)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout + result.stderr == ""


def test_no_standard_module_is_copied_into_the_repository() -> None:
    assert not list(yang.YANG_DIR.glob("ietf-*.yang"))
    assert not list(yang.YANG_DIR.glob("iana-*.yang"))
