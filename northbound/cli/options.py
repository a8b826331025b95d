"""Options shared by the commands: where the store is, and where the devices are."""

from __future__ import annotations

from pathlib import Path

import click

from lab.state import paths
from northbound.cli.lab import DEFAULT_LAB
from southbound.inventory import InventoryError


def default_inventory() -> Path:
    """The inventory of the default lab (``netsla lab up`` writes it)."""
    return paths(DEFAULT_LAB).inventory


def chosen_inventory(path: Path | None) -> Path:
    """``--inventory`` if given, else the default lab's, which must exist."""
    if path is not None:
        return path
    found = default_inventory()
    if not found.exists():
        raise InventoryError(
            f"{found}: no inventory: the lab is not up (netsla lab up), or give --inventory FILE"
        )
    return found


database_option = click.option(
    "--database",
    "database",
    envvar="NETSLA_DATABASE",
    default=None,
    help="SQLAlchemy URL of the store (default: SQLite in the user's data folder; "
    "env NETSLA_DATABASE).",
)

inventory_option = click.option(
    "--inventory",
    "inventory_path",
    envvar="NETSLA_INVENTORY",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Device inventory, YAML (default: the lab's; env NETSLA_INVENTORY).",
)
