"""Commands that only read the store need no inventory: they work with the lab down.

They still finish, first, what a dead controller left prepared, so that
the journal they show is true.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from controller.journal import Journal
from controller.store import open_store
from controller.store.services import TransactionRow

NETSLA = str(Path(sys.executable).with_name("netsla"))


def _netsla(*words: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NETSLA, *words], capture_output=True, text=True, check=False)


def test_listing_and_showing_need_no_inventory(tmp_path: Path) -> None:
    where = ("--database", f"sqlite:///{tmp_path / 'x.db'}", "--inventory", "/nonexistent.yaml")
    for group in ("service", "transaction"):
        listed = _netsla(group, "list", "--format", "json", *where)
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout) == []
    missing = _netsla("service", "show", "acme", *where)
    assert (missing.returncode, missing.stderr) == (2, "netsla: error: no service 'acme'\n")
    missing = _netsla("transaction", "show", "7", *where)
    assert (missing.returncode, missing.stderr) == (2, "netsla: error: no transaction 7\n")


def test_a_dead_controllers_transaction_is_listed_failed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    store = open_store(url)
    try:
        with store.session() as session:
            tx = Journal(session).open(command="netsla service apply acme.json")
            row = session.get(TransactionRow, tx)
            assert row is not None
            row.started_by = row.started_by.rpartition(":")[0] + ":999999999"  # a dead pid
            session.commit()
    finally:
        store.close()
    listed = _netsla("transaction", "list", "--format", "json", "--database", url)
    assert listed.returncode == 0, listed.stderr
    (entry,) = json.loads(listed.stdout)
    assert (entry["id"], entry["state"]) == (tx, "failed")
    # times in UTC, said so (SQLite gives them back without their zone)
    started, finished = (datetime.fromisoformat(entry[k]) for k in ("started", "finished"))
    assert entry["started"].endswith("Z") and entry["finished"].endswith("Z")
    assert timedelta(0) <= finished - started < timedelta(minutes=5)
    assert abs(datetime.now(UTC) - started) < timedelta(minutes=5)


def test_commands_that_reach_devices_say_the_lab_is_not_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETSLA_LAB_ROOT", str(tmp_path / "labs"))  # no lab up there
    database = ("--database", f"sqlite:///{tmp_path / 'x.db'}")
    for words in (("device", "check-sync", "--all"), ("collect", "--once")):
        done = _netsla(*words, *database)
        assert done.returncode == 2, done.stderr
        expected = f"{tmp_path / 'labs' / 'netsla' / 'inventory.yaml'}: no inventory: the lab"
        assert done.stderr.startswith(f"netsla: error: {expected} is not up (netsla lab up)")
        assert done.stderr.count("\n") == 1


def test_a_service_documents_problems_come_before_the_missing_inventory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETSLA_LAB_ROOT", str(tmp_path / "labs"))  # no lab up there
    acme = Path(__file__).resolve().parents[2] / "examples" / "acme-gold-any-to-any.json"
    database = ("--database", f"sqlite:///{tmp_path / 'x.db'}")
    # Nothing stored: the customer's tier names no tier, whatever the devices.
    done = _netsla("service", "apply", str(acme), "--dry-run", *database)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"netsla: error: 1 problem(s) in instance data: {acme}: ")
    assert "dangling-leafref" in done.stderr
    # Valid documents: then the missing lab is what stops it.
    templates = acme.with_name("sla-templates.json")
    done = _netsla("service", "apply", str(templates), str(acme), "--dry-run", *database)
    assert done.returncode == 2 and "no inventory: the lab" in done.stderr, done.stderr
