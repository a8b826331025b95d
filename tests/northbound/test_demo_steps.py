"""``netsla demo``: the command lines it echoes are the commands it runs.

Each step is echoed as the command a user would type; parsing that line
with the real CLI must give the parameters the demo passes, or the
walk-through would teach the wrong commands.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from northbound.cli import cli
from northbound.cli.demo import (
    DEMO_STORE,
    EXAMPLES,
    Scenario,
    Step,
    _chapters,
    _examples_folder,
    fresh_demo_store,
)

NETSLA = str(Path(sys.executable).parent / "netsla")


def _scenario(
    *, lab: str, database: str | None, port_base: int | None, fresh_lab: bool = False
) -> Scenario:
    return Scenario(
        lab=lab,
        port_base=port_base,
        database=database,
        examples=_examples_folder(),
        seconds=12.5,
        delay_ms=20,
        jitter_ms=3,
        reports=Path("/tmp"),
        fresh_lab=fresh_lab,
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


def _steps(scenario: Scenario) -> list[Step]:
    return [
        item for _title, items in _chapters(scenario) for item in items if isinstance(item, Step)
    ]


@pytest.mark.parametrize(
    ("lab", "database", "port_base", "fresh_lab"),
    [("netsla", None, None, True), ("dmo", "sqlite:////tmp/x.db", 33000, False)],
)
def test_every_echoed_command_line_parses_to_the_parameters_the_demo_uses(
    lab: str, database: str | None, port_base: int | None, fresh_lab: bool
) -> None:
    steps = _steps(_scenario(lab=lab, database=database, port_base=port_base, fresh_lab=fresh_lab))
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


@pytest.mark.parametrize("fresh_lab", [True, False])
def test_a_lab_that_is_up_is_taken_down_before_it_is_brought_up(fresh_lab: bool) -> None:
    steps = _steps(_scenario(lab="dmo", database=None, port_base=None, fresh_lab=fresh_lab))
    first = [step.words[:2] for step in steps[:2]]
    if fresh_lab:
        assert first == [("lab", "down"), ("lab", "up")]
    else:
        assert first[0] == ("lab", "up")
    assert sum(step.words[:2] == ("lab", "down") for step in steps) == int(fresh_lab)


def test_the_demo_store_is_made_afresh_and_nothing_else_is_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    folder = tmp_path / "netsla"
    folder.mkdir()
    for name in (DEMO_STORE, f"{DEMO_STORE}-wal", f"{DEMO_STORE}-shm", "netsla.db"):
        (folder / name).write_text("an earlier run")
    url = fresh_demo_store()
    assert url == f"sqlite:///{folder / DEMO_STORE}"
    assert sorted(p.name for p in folder.iterdir()) == ["netsla.db"]
    assert fresh_demo_store() == url  # nothing to remove is fine


def test_a_bad_lab_name_is_refused_before_the_demo_store_is_touched(tmp_path: Path) -> None:
    earlier = tmp_path / "netsla" / DEMO_STORE
    earlier.parent.mkdir()
    earlier.write_text("an earlier run")
    result = subprocess.run(
        [NETSLA, "demo", "--lab", "../x"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path)},
    )
    assert result.returncode == 2
    assert "lab name '../x' must match" in result.stderr
    assert "Traceback" not in result.stderr
    assert earlier.read_text() == "an earlier run"
