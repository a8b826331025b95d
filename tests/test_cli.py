"""The ``netsla`` command line as a user meets it: help, errors, exit codes."""

from __future__ import annotations

import os
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


def test_usage_errors_are_one_line_naming_the_problem() -> None:
    cases = [
        (("lab", "status", "--format", "xml"), "'xml' is not one of"),
        (("lab", "stop-agent", "pe1", "bogus"), "'bogus' is not one of"),
        (("lab", "up", "--port-base", "abc"), "'abc' is not a valid integer"),
        (("validate",), "Missing argument 'FILES...'"),
    ]
    for args, problem in cases:
        result = run(*args)
        assert result.returncode == 2, args
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and problem in lines[0], (args, result.stderr)
        assert lines[0].startswith("netsla: error: ")


def test_a_lab_name_that_is_a_path_is_refused_before_anything_is_touched(tmp_path: Path) -> None:
    env_root = tmp_path / "labs"
    (env_root / "keep").mkdir(parents=True)
    for bad in ("..", "../..", "a/b", "Upper"):
        result = subprocess.run(
            [*NETSLA, "lab", "down", "--name", bad],
            capture_output=True, text=True, check=False,
            env={**os.environ, "NETSLA_LAB_ROOT": str(env_root / "keep")},
        )  # fmt: skip
        assert result.returncode == 2, (bad, result.stderr)
        assert result.stderr.splitlines() == [
            f"netsla: error: lab name {bad!r} must match [a-z][a-z0-9]{{0,7}}"
        ]
    assert (env_root / "keep").is_dir()
