"""The ``netsla`` command line as a user meets it: help, errors, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

NETSLA = [str(Path(sys.executable).parent / "netsla")]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NETSLA, *args], capture_output=True, text=True, check=False)


def test_help_lists_the_command_groups() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "lab" in result.stdout


def test_unknown_command_is_a_usage_error_without_traceback() -> None:
    result = run("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "no-such-command" in result.stderr
