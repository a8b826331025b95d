"""``netsla demo``: the command lines it echoes are the commands it runs.

Each step is echoed as the command a user would type; parsing that line
with the real CLI must give the parameters the demo passes, or the
walk-through would teach the wrong commands.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from northbound.cli import cli
from northbound.cli.demo import EXAMPLES, Scenario, Step, _chapters, _examples_folder

NETSLA = str(Path(sys.executable).parent / "netsla")


def _scenario(*, lab: str, database: str | None, port_base: int | None) -> Scenario:
    return Scenario(
        lab=lab,
        port_base=port_base,
        database=database,
        examples=_examples_folder(),
        seconds=12.5,
        delay_ms=20,
        jitter_ms=3,
        reports=Path("/tmp"),
    )


def _parsed(words: tuple[str, ...]) -> tuple[click.Command, dict[str, Any]]:
    group: click.Group = cli
    ctx = group.make_context("netsla", list(words), resilient_parsing=False)
    command: click.Command = group
    args = list(words)
    while isinstance(command, click.Group):
        name, found, args = command.resolve_command(ctx, args)
        assert found is not None, words
        command = found
        ctx = command.make_context(name or "", args, parent=ctx)
    return command, ctx.params


@pytest.mark.parametrize(
    ("lab", "database", "port_base"),
    [("netsla", None, None), ("dmo", "sqlite:////tmp/x.db", 33000)],
)
def test_every_echoed_command_line_parses_to_the_parameters_the_demo_uses(
    lab: str, database: str | None, port_base: int | None
) -> None:
    steps = [
        item
        for _title, items in _chapters(_scenario(lab=lab, database=database, port_base=port_base))
        for item in items
        if isinstance(item, Step)
    ]
    assert len(steps) >= 12
    for step in steps:
        command, params = _parsed(step.words)
        assert command is step.command, step.words
        for key, value in step.params.items():
            assert params[key] == value, (step.words, key)


def test_the_examples_it_applies_are_shipped() -> None:
    for name in EXAMPLES:
        assert (_examples_folder() / name).is_file(), name


def test_missing_examples_or_report_folder_are_one_line_errors(tmp_path: Path) -> None:
    result = subprocess.run(
        [NETSLA, "demo", "--examples", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "missing example documents: sla-templates.json" in result.stderr
    assert "Traceback" not in result.stderr
    result = subprocess.run(
        [NETSLA, "demo", "--reports", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "no such folder for the reports" in result.stderr
