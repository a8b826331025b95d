"""What the controller commands share: ``--database``, ``--inventory``, a session pool."""

from __future__ import annotations

import asyncio
import os
import shlex
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from controller.journal import Journal
from controller.service import Controller
from controller.store import Store, open_store
from controller.sync import Sync
from southbound.inventory import Inventory, load_inventory
from southbound.netconf import NetconfPool

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def default_inventory() -> Path:
    root = Path(os.environ.get("NETSLA_LAB_ROOT", "/var/lib/netsla/lab"))
    return root / "netsla" / "inventory.yaml"


def controller_options(func: F) -> F:
    func = click.option(
        "--inventory",
        "inventory_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Device inventory (default: the lab's).",
    )(func)
    return click.option(
        "--database",
        "database",
        default=None,
        help="SQLAlchemy URL (default: SQLite in the user's data folder).",
    )(func)


@dataclass
class Context:
    store: Store
    inventory: Inventory
    pool: NetconfPool
    controller: Controller
    sync: Sync

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        async def wrapped() -> T:
            try:
                return await work()
            finally:
                await self.pool.close()

        return asyncio.run(wrapped())


def open_context(database: str | None, inventory_path: Path | None) -> Context:
    store = open_store(database)
    with store.session() as session:
        Journal(session).recover()
    inventory = load_inventory(inventory_path or default_inventory())
    pool = NetconfPool(inventory)
    platforms = {n: d.platform for n, d in inventory.devices.items()}
    sync = Sync(store=store, platforms=platforms, reader=pool.session, driver=pool.session)
    controller = Controller(
        store=store,
        platforms=platforms,
        driver=pool.session,
        sync_from=sync.sync_from,
        command=shlex.join(["netsla", *sys.argv[1:]]),
    )
    return Context(store, inventory, pool, controller, sync)
