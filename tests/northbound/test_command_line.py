"""Command lines netsla shows (the demo's echo) or records (the journal): no password."""

from __future__ import annotations

from pathlib import Path

import pytest

from northbound.cli.context import open_context
from northbound.cli.output import shown_command

URL = "postgresql+psycopg://netsla:s3cret@db.example:5432/netsla"
HIDDEN = "postgresql+psycopg://netsla:***@db.example:5432/netsla"


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (("netsla", "sla", "run", "--database", URL), f"netsla sla run --database '{HIDDEN}'"),
        (("netsla", "sla", "run", f"--database={URL}"), f"netsla sla run '--database={HIDDEN}'"),
        (
            ("sla", "run", "--database", "sqlite:////tmp/a.db"),
            "sla run --database sqlite:////tmp/a.db",
        ),
        (("incident", "open", "--text", "a=b c"), "incident open --text 'a=b c'"),
    ],
)
def test_a_database_password_is_hidden_and_nothing_else_changes(
    words: tuple[str, ...], expected: str
) -> None:
    assert shown_command(words) == expected


def test_the_journal_records_the_command_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("devices: []\n")
    monkeypatch.setattr("sys.argv", ["netsla", "service", "apply", "a.json", "--database", URL])
    context = open_context(f"sqlite:///{tmp_path / 'x.db'}", inventory)
    try:
        assert context.controller.command == f"netsla service apply a.json --database '{HIDDEN}'"
    finally:
        context.store.close()
