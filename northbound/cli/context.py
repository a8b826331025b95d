"""What the controller commands share: ``--database``, ``--inventory``, a session pool.

Fault-injection support (documented in docs/CONTRACTS.md, used by the lab
tests): when the environment variable ``NETSLA_DEBUG_PAUSE_BEFORE_CONFIRM``
names a file, a transaction that reaches the point where every device
holds its confirmed commit creates that file and waits until it is
removed before confirming.  It changes nothing else.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from controller.assembly import assemble
from controller.errors import ControllerError
from controller.execution import RunOptions
from controller.service import Controller
from controller.store import Store, open_store
from controller.sync import Sync
from controller.transaction import DeviceDriver, DeviceResult, Phase, Progress
from northbound.cli.options import chosen_inventory, database_option, inventory_option
from northbound.cli.output import shown_command
from southbound.inventory import Inventory, load_inventory
from southbound.netconf import NetconfPool

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def controller_options(func: F) -> F:
    """``--inventory`` and ``--database``."""
    return inventory_option(database_option(func))


PAUSE_ENV = "NETSLA_DEBUG_PAUSE_BEFORE_CONFIRM"


def change_options(func: F) -> F:
    """Options of commands that change devices."""
    return click.option(
        "--confirm-timeout",
        "confirm_timeout",
        type=click.IntRange(1, 3600),
        default=None,
        help="Seconds before an unconfirmed commit rolls back (default: per platform, 60).",
    )(func)


async def _pause_before_confirm(phase: Phase, _results: Sequence[DeviceResult]) -> None:
    marker = os.environ.get(PAUSE_ENV)
    if phase is not Phase.PREPARED or not marker:
        return
    path = Path(marker)
    path.touch()
    while path.exists():
        await asyncio.sleep(0.05)


def run_options(confirm_timeout: int | None = None, progress: Progress | None = None) -> RunOptions:
    observer = _pause_before_confirm if os.environ.get(PAUSE_ENV) else None
    return RunOptions(confirm_timeout=confirm_timeout, observer=observer, progress=progress)


@dataclass
class Context:
    store: Store
    inventory: Inventory
    pool: NetconfPool
    controller: Controller
    sync: Sync

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """``work()`` on a new event loop; the NETCONF sessions are closed after it.

        Its result is handed over outside the loop's main task: on Python
        3.11, ``asyncio.run`` ends by making the text of that task, result
        included (``signal.getsignal`` formats the SIGINT handler it put in,
        which holds the task), which for an apply's plan of 200 services is
        35 ms, and grows with the plan.
        """
        results: list[T] = []

        async def wrapped() -> None:
            try:
                results.append(await work())
            finally:
                await self.pool.close()

        asyncio.run(wrapped())
        return results[0]


def open_store_recovered(database: str | None) -> Store:
    """The store, with what dead controllers left prepared finished first.

    For the commands that only read the store (service list and show,
    transaction list and show): finishing those transactions needs no
    device, so these commands need no inventory and work with the lab down.
    """
    store = open_store(database)
    Controller(store=store, platforms={}, driver=_no_device).recover()
    return store


def _no_device(name: str) -> DeviceDriver:
    raise ControllerError(f"device {name}: this command only reads the store")


def open_context(
    database: str | None, inventory_path: Path | None, *, store: Store | None = None
) -> Context:
    """The store (``store``, or the one at ``database``), inventory, sessions and controller."""
    store = store or open_store(database)
    inventory = load_inventory(chosen_inventory(inventory_path))
    command = shown_command(["netsla", *sys.argv[1:]])  # what the journal records
    parts = assemble(store=store, inventory=inventory, command=command)
    controller, pool, sync = parts.controller, parts.pool, parts.sync
    controller.recover()
    return Context(store, inventory, pool, controller, sync)
