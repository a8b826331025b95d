"""Against the lab: many services in few transactions; a bad one loses nobody's change."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from controller.batch import Batcher, ServiceResult
from controller.execution import RunOptions
from controller.render.l3sm import Service
from controller.service import services_of
from controller.transaction import DeviceResult, Phase
from tests.controller.labharness import Harness

pytestmark = pytest.mark.lab


def two_site_service(template: dict[str, Any], index: int, *, mtu: int = 1500) -> Service:
    """Service ``v<index>``: a static site on pe1 and a BGP site on pe2."""
    doc = copy.deepcopy(template)
    root = doc["ietf-l3vpn-svc:l3vpn-svc"]
    vpn = f"v{index}"
    root["vpn-services"]["vpn-service"][0]["vpn-id"] = vpn
    root["sites"]["site"] = root["sites"]["site"][:2]
    for number, site in enumerate(root["sites"]["site"], start=1):
        site["site-id"] = f"{vpn}-s{number}"
        access = site["site-network-accesses"]["site-network-access"][0]
        access["vpn-attachment"]["vpn-id"] = vpn
        access["service"]["svc-mtu"] = mtu
        access["ip-connection"]["ipv4"]["addresses"].update(
            {
                "provider-address": f"10.{index}.{number}.1",
                "customer-address": f"10.{index}.{number}.2",
            }
        )
        static = access["routing-protocols"]["routing-protocol"][0].get("static")
        if static:
            static["cascaded-lan-prefixes"]["ipv4-lan-prefixes"] = [
                {"lan": f"172.{16 + index}.0.0/24", "lan-tag": "lan", "next-hop": f"10.{index}.1.2"}
            ]
    (service,) = services_of([doc]).values()
    return service


def test_bad_service_in_a_batch_is_reported_and_the_others_commit(
    harness: Harness, document: Callable[[str], dict[str, Any]]
) -> None:
    template = document("acme.json")
    good = {f"v{i}": two_site_service(template, i) for i in (1, 2, 4)}
    bad = two_site_service(template, 3, mtu=100)  # the routers allow 576..9216

    async def scenario() -> tuple[dict[str, ServiceResult], int]:
        batcher = Batcher(harness.controller)
        submitted = [batcher.submit(s, v) for s, v in (*good.items(), ("v3", bad))]
        results = await asyncio.gather(*submitted)
        return {r.service_id: r for r in results}, batcher.batches

    results, batches = asyncio.run(scenario())
    assert batches == 1
    assert [s for s, r in results.items() if not r.ok] == ["v3"]
    assert "invalid-value" in (results["v3"].error or "")
    running = harness.running()
    for router in ("pe1", "pe2"):
        vrfs = {n for n in running[router] if n.startswith("vrf[")}
        assert vrfs == {"vrf[v1]", "vrf[v2]", "vrf[v4]"}
    assert harness.controller.stored("v3") is None
    harness.delete(*good)


def test_services_queued_during_a_transaction_go_together_in_the_next(
    harness: Harness, document: Callable[[str], dict[str, Any]]
) -> None:
    template = document("acme.json")
    services = {f"v{i}": two_site_service(template, i) for i in (1, 2, 3)}
    late: list[asyncio.Task[ServiceResult]] = []

    async def scenario() -> tuple[ServiceResult, list[ServiceResult], int]:
        async def submit_more(phase: Phase, _results: Sequence[DeviceResult]) -> None:
            if phase is Phase.PREPARED and not late:
                for service_id in ("v2", "v3"):
                    late.append(
                        asyncio.create_task(batcher.submit(service_id, services[service_id]))
                    )
                await asyncio.sleep(0.05)  # they are queued while v1's transaction is in flight

        batcher = Batcher(harness.controller, options=RunOptions(observer=submit_more))
        first = await batcher.submit("v1", services["v1"])
        return first, list(await asyncio.gather(*late)), batcher.batches

    first, queued, batches = asyncio.run(scenario())
    assert batches == 2
    assert first.ok and all(r.ok for r in queued)
    assert queued[0].transaction == queued[1].transaction != first.transaction
    harness.delete(*services)
