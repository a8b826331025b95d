"""A controller wired to an inventory's devices over NETCONF, the one way every caller needs.

The CLI, ``netsla serve``, the tests against the lab and the benchmarks all
want the same parts: one NETCONF session pool for the inventory, a
:class:`~controller.sync.Sync` reading and writing through it, and a
:class:`~controller.service.Controller` that learns unknown devices through
that ``Sync`` before it changes them.
"""

from __future__ import annotations

import functools
import gc
from dataclasses import dataclass

from controller.service import Controller
from controller.store import Store
from controller.sync import Sync
from southbound.inventory import Inventory
from southbound.netconf import NetconfPool


@dataclass(frozen=True, slots=True)
class Assembly:
    """The parts; close ``pool`` when done (its sessions are kept open for reuse)."""

    pool: NetconfPool
    sync: Sync
    controller: Controller


def assemble(*, store: Store, inventory: Inventory, command: str) -> Assembly:
    """Controller and sync over ``inventory``'s devices; ``command`` is journalled as the origin."""
    pool = NetconfPool(inventory)
    platforms = {name: device.platform for name, device in inventory.devices.items()}
    sync = Sync(
        store=store,
        platforms=platforms,
        reader=pool.session,
        driver=pool.session,
        command=command,
    )
    controller = Controller(
        store=store,
        platforms=platforms,
        driver=pool.session,
        sync_from=sync.sync_from,
        command=command,
    )
    freeze_startup_heap()
    return Assembly(pool=pool, sync=sync, controller=controller)


@functools.cache
def freeze_startup_heap() -> None:
    """Keep what start-up allocated out of the cyclic collector's full scans (once).

    Modules, SQLAlchemy's mappers, YANG schemas and the inventory live as long
    as the process; every full collection scanned them again: measured, one
    took up to 65 ms in the middle of an apply of 200 services.  Frozen,
    they are never scanned (nor collected: nothing of them is garbage) until
    the first apply ends: resuming the collector then moves everything it
    froze, this too, to the oldest generation
    (:func:`controller.execution.collector_paused`), which spares the apply's
    caller a young collection over all the apply allocated, on its way back.
    """
    gc.freeze()
