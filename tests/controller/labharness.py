"""The lab tests' harness: a controller over the lab, and fresh-session reads of the routers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.assembly import assemble
from controller.execution import RunOptions
from controller.render.tree import config_to_json
from controller.service import services_of
from controller.store import Store, open_store
from controller.sync import read_running
from southbound.inventory import Inventory, load_inventory
from southbound.netconf import Datastore, NetconfSession

ROUTERS = ("pe1", "pe2", "pe3")


@pytest.fixture
def inventory(lab: Any) -> Inventory:
    return load_inventory(lab.inventory)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'netsla.db'}")
    yield store
    store.close()


class Harness:
    def __init__(self, store: Store, inventory: Inventory) -> None:
        self.inventory = inventory
        parts = assemble(store=store, inventory=inventory, command="pytest")
        self.pool, self.sync, self.controller = parts.pool, parts.sync, parts.controller

    def apply(self, *docs: dict[str, Any], options: RunOptions | None = None) -> Any:
        changes: dict[str, Any] = dict(services_of(docs))
        return asyncio.run(self.controller.apply(changes, options=options))

    def delete(self, *ids: str) -> Any:
        return asyncio.run(self.controller.apply(dict.fromkeys(ids)))

    def running(self) -> dict[str, Any]:
        """Every router's config, read over fresh sessions (not the controller's)."""

        async def read(name: str) -> dict[str, Any]:
            session = NetconfSession(device=self.inventory.devices[name], inventory=self.inventory)
            try:
                return config_to_json(await read_running(name, "netsla-router", session))
            finally:
                await session.close()

        async def all_() -> list[dict[str, Any]]:
            return list(await asyncio.gather(*(read(r) for r in ROUTERS)))

        return dict(zip(ROUTERS, asyncio.run(all_()), strict=True))

    def close(self) -> None:
        asyncio.run(self.pool.close())


def no_lock_held(inventory: Inventory) -> bool:
    """Whether a fresh session can lock every router's candidate (no lock is left)."""

    async def one(name: str) -> None:
        probe = NetconfSession(device=inventory.devices[name], inventory=inventory)
        try:
            await probe.lock(Datastore.CANDIDATE)
            await probe.unlock(Datastore.CANDIDATE)
        finally:
            await probe.close()

    async def all_() -> None:
        await asyncio.gather(*(one(r) for r in ROUTERS))

    asyncio.run(all_())
    return True


@pytest.fixture
def harness(store: Store, inventory: Inventory) -> Iterator[Harness]:
    harness = Harness(store, inventory)
    initial = harness.running()
    yield harness
    harness.close()
    # Every test leaves the routers as it found them.
    assert Harness(store, inventory).running() == initial
