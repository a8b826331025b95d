"""Opening what cannot be opened: one line naming the database or file, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from controller.store import StoreError, open_store
from southbound.inventory import InventoryError, load_inventory

NETSLA = str(Path(sys.executable).with_name("netsla"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////nonexistent-netsla-dir/x.db", "unable to open database file"),
        ("postgresql+psycopg://someone:secret@127.0.0.1:1/x", "port 1 failed"),
        ("bogus://x", "bogus"),
    ],
)
def test_a_database_that_cannot_be_opened_is_a_store_error(url: str, expected: str) -> None:
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert expected in message and "\n" not in message
    assert "secret" not in message


def test_collector_status_on_an_unopenable_database_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [NETSLA, "collector", "status", "--database", f"sqlite:///{tmp_path}/no/such/dir.db"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "cannot open database" in done.stderr


def test_inventory_that_is_not_yaml_is_one_line_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text("devices: [\n")
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: not valid YAML: line 2, column 1:")
