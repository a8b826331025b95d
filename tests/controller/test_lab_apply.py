"""Against the lab: apply, modify and delete a three-site service; faults roll back.

After each step every router's running config is read over a separate
NETCONF session and compared with the golden expectation.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

import pytest

from controller.errors import InputError
from controller.journal import Journal
from controller.render.netsla_router import SCHEMA
from controller.render.xml import parse_config
from controller.transaction import TransactionFailed
from southbound.inventory import Inventory
from southbound.netconf import Datastore, NetconfSession
from tests.controller.labharness import ROUTERS, Harness, no_lock_held

pytestmark = pytest.mark.lab


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
    assert again.transaction is None  # and journals nothing
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
    assert no_lock_held(inventory)


def test_parse_of_running_matches_schema(harness: Harness) -> None:
    data = harness.running()
    assert set(data) == set(ROUTERS)
    assert parse_config(SCHEMA, __import__("lxml.etree").etree.Element("data")) == {}


def test_rollback_of_transactions_in_reverse_order(
    harness: Harness, document: Callable[[str], dict[str, Any]], store: Any
) -> None:
    doc = document("acme.json")
    before = harness.running()
    first = harness.apply(doc)
    applied = harness.running()
    second = harness.apply(_modify(doc))
    modified = harness.running()
    rollback = harness.controller.rollback

    with pytest.raises(InputError, match="changed after transaction"):
        asyncio.run(rollback(first.transaction))
    # Checked again once the devices are held, as a rollback does: a service that
    # changed since (here: since the first transaction) is refused, nothing sent.
    with store.session() as session:
        (entry,) = Journal(session).services(first.transaction)
    stale = harness.controller.apply(
        {"acme": None}, expect={"acme": entry.after}, rollback_of=first.transaction
    )
    with pytest.raises(InputError, match="acme changed after transaction"):
        asyncio.run(stale)
    assert harness.running() == modified
    planned = asyncio.run(rollback(second.transaction, dry_run=True))
    assert planned.dry_run and sorted(planned.plan.changed) == ["pe1", "pe2", "pe3"]
    assert harness.running() == modified

    undone = asyncio.run(rollback(second.transaction))
    assert harness.running() == applied
    with store.session() as session:
        entry = Journal(session).transaction(undone.transaction)
        assert entry is not None and entry.rollback_of == second.transaction
    with pytest.raises(InputError, match="changed after transaction"):
        asyncio.run(rollback(second.transaction))  # already undone
    asyncio.run(rollback(first.transaction))
    assert harness.running() == before
    assert harness.controller.stored("acme") is None
