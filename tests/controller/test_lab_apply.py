"""Against the lab: apply, modify and delete a three-site service; faults roll back.

After each step every router's running config is read over a separate
NETCONF session and compared with the golden expectation.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.render.netsla_router import SCHEMA
from controller.render.tree import config_to_json
from controller.render.xml import parse_config
from controller.service import Controller, services_of
from controller.store import Store, open_store
from controller.sync import Sync, read_running
from controller.transaction import TransactionFailed
from southbound.inventory import Inventory, load_inventory
from southbound.netconf import Datastore, NetconfPool, NetconfSession

pytestmark = pytest.mark.lab
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
        self.pool = NetconfPool(inventory)
        self.platforms = {n: d.platform for n, d in inventory.devices.items()}
        self.sync = Sync(
            store=store,
            platforms=self.platforms,
            reader=self.pool.session,
            driver=self.pool.session,
        )
        self.controller = Controller(
            store=store,
            platforms=self.platforms,
            driver=self.pool.session,
            sync_from=self.sync.sync_from,
            command="pytest",
        )

    def apply(self, *docs: dict[str, Any]) -> Any:
        changes: dict[str, Any] = dict(services_of(docs))
        return asyncio.run(self.controller.apply(changes))

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


@pytest.fixture
def harness(store: Store, inventory: Inventory) -> Iterator[Harness]:
    harness = Harness(store, inventory)
    initial = harness.running()
    yield harness
    harness.close()
    # Every test leaves the routers as it found them.
    assert Harness(store, inventory).running() == initial


def _modify(doc: dict[str, Any]) -> dict[str, Any]:
    """Add a site on pe2, change pe3's bandwidth, move the pe1 site to pe2's eth2."""
    doc = copy.deepcopy(doc)
    sites = doc["ietf-l3vpn-svc:l3vpn-svc"]["sites"]["site"]
    extra = copy.deepcopy(sites[1])
    extra["site-id"] = "acme-marseille"
    access = extra["site-network-accesses"]["site-network-access"][0]
    access["ip-connection"]["ipv4"]["addresses"].update(
        {"provider-address": "10.1.4.1", "customer-address": "10.1.4.2"}
    )
    access["netsla-l3vpn-svc-ext:pe"]["port"] = "eth2"
    access["routing-protocols"]["routing-protocol"][0]["bgp"]["autonomous-system"] = 64604
    sites.append(extra)
    nice = sites[2]["site-network-accesses"]["site-network-access"][0]
    nice["service"]["svc-input-bandwidth"] = 8000000
    paris = sites[0]["site-network-accesses"]["site-network-access"][0]
    paris["netsla-l3vpn-svc-ext:pe"] = {"device": "pe3", "port": "eth2"}
    return doc


def test_apply_modify_delete_three_sites(
    harness: Harness, document: Callable[[str], dict[str, Any]], golden: Any
) -> None:
    doc = document("acme.json")
    before = harness.running()
    outcome = harness.apply(doc)
    assert sorted(outcome.plan.changed) == list(ROUTERS)
    golden.json("lab-acme-applied.json", harness.running())
    again = harness.apply(doc)
    assert again.plan.changed == {}  # the same document twice sends nothing
    harness.apply(_modify(doc))
    golden.json("lab-acme-modified.json", harness.running())
    harness.delete("acme")
    assert harness.running() == before


def test_two_services_share_a_vrf(
    harness: Harness, document: Callable[[str], dict[str, Any]]
) -> None:
    doc = document("acme.json")
    voice = copy.deepcopy(doc)
    root = voice["ietf-l3vpn-svc:l3vpn-svc"]
    root["vpn-services"]["vpn-service"][0]["vpn-id"] = "acme-voice"
    site = root["sites"]["site"][0]
    root["sites"]["site"] = [site]
    site["site-id"] = "acme-paris-voice"
    access = site["site-network-accesses"]["site-network-access"][0]
    access["netsla-l3vpn-svc-ext:pe"]["port"] = "eth2"
    access["ip-connection"]["ipv4"]["addresses"].update(
        {"provider-address": "10.1.9.1", "customer-address": "10.1.9.2"}
    )
    access["routing-protocols"]["routing-protocol"][0]["static"]["cascaded-lan-prefixes"][
        "ipv4-lan-prefixes"
    ] = [{"lan": "172.16.9.0/24", "lan-tag": "lan", "next-hop": "10.1.9.2"}]
    harness.apply(doc)
    harness.apply(voice)  # its site attaches to VPN acme: shares pe1's VRF acme
    harness.delete("acme")
    assert "vrf[acme]" in harness.running()["pe1"]
    assert "vrf[acme]" not in harness.running()["pe2"]
    harness.delete("acme-voice")
    assert "vrf[acme]" not in harness.running()["pe1"]


def test_router_that_rejects_the_edit_rolls_everyone_back(
    harness: Harness, inventory: Inventory, document: Callable[[str], dict[str, Any]]
) -> None:
    holder = NetconfSession(device=inventory.devices["pe2"], inventory=inventory)
    asyncio.run(holder.lock(Datastore.CANDIDATE))
    try:
        with pytest.raises(TransactionFailed, match=r"pe2 \(lock\).*lock-denied"):
            harness.apply(document("acme.json"))
    finally:
        asyncio.run(holder.unlock(Datastore.CANDIDATE))
        asyncio.run(holder.close())
    # No lock is left: a fresh session can lock every router.
    for name in ROUTERS:
        probe = NetconfSession(device=inventory.devices[name], inventory=inventory)
        asyncio.run(probe.lock(Datastore.CANDIDATE))
        asyncio.run(probe.unlock(Datastore.CANDIDATE))
        asyncio.run(probe.close())


def test_parse_of_running_matches_schema(harness: Harness) -> None:
    data = harness.running()
    assert set(data) == set(ROUTERS)
    assert parse_config(SCHEMA, __import__("lxml.etree").etree.Element("data")) == {}
