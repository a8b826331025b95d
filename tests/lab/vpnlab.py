"""Helpers of the dataplane's lab tests: VPN documents, a controller over the lab, pings."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from controller.assembly import assemble
from controller.render.resources import ProbeProfile
from controller.service import Controller, services_of
from controller.store import Store
from lab.dataplane import agent as dataplane
from lab.dataplane.config import parse_router
from lab.state import LabState, site_namespace
from southbound.inventory import load_inventory

ACME = Path(__file__).parent.parent / "controller" / "documents" / "acme.json"
ROUTERS = ("pe1", "pe2", "pe3")
CONVERGE_TIMEOUT = 10.0
# Short probe tests, so that a test sees complete ones within seconds.
FAST_PROBES = {"gold": ProbeProfile(interval_seconds=2, packets=4)}


def acme() -> dict[str, Any]:
    """Any-to-any over pe1, pe2, pe3 (eth1 each): LANs 172.16.1.0/24 and 172.16.3.0/24."""
    data: dict[str, Any] = json.loads(ACME.read_text())
    return data


def _rename(doc: dict[str, Any], vpn: str) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    root = doc["ietf-l3vpn-svc:l3vpn-svc"]
    root["vpn-services"]["vpn-service"][0]["vpn-id"] = vpn
    for site in root["sites"]["site"]:
        site["site-id"] = site["site-id"].replace("acme", vpn)
        for access in site["site-network-accesses"]["site-network-access"]:
            access["vpn-attachment"]["vpn-id"] = vpn
    return doc


def beta() -> dict[str, Any]:
    """A second VPN on acme's pe1 and pe2 ports with acme's very addresses (no pe3 site)."""
    doc = _rename(acme(), "beta")
    sites = doc["ietf-l3vpn-svc:l3vpn-svc"]["sites"]["site"]
    del sites[2]
    return doc


def hubco() -> dict[str, Any]:
    """Hub-and-spoke on the eth2 ports: hub at pe1, spokes at pe2 and pe3 (10.2.x)."""
    doc = _rename(acme(), "hubco")
    root = doc["ietf-l3vpn-svc:l3vpn-svc"]
    root["vpn-services"]["vpn-service"][0]["vpn-service-topology"] = "ietf-l3vpn-svc:hub-spoke"
    for number, (site, role) in enumerate(
        zip(root["sites"]["site"], ("hub-role", "spoke-role", "spoke-role"), strict=True), 1
    ):
        access = site["site-network-accesses"]["site-network-access"][0]
        access["vpn-attachment"]["site-role"] = f"ietf-l3vpn-svc:{role}"
        access["netsla-l3vpn-svc-ext:pe"]["port"] = "eth2"
        access["ip-connection"]["ipv4"]["addresses"].update(
            {"provider-address": f"10.2.{number}.1", "customer-address": f"10.2.{number}.2"}
        )
        for protocol in access["routing-protocols"]["routing-protocol"]:
            lans = protocol.get("static", {}).get("cascaded-lan-prefixes", {})
            for lan in lans.get("ipv4-lan-prefixes", []):
                lan.update({"lan": f"172.17.{number}.0/24", "next-hop": f"10.2.{number}.2"})
    return doc


class Deployment:
    """A controller over the lab whose probes test every 2 s; applies and deletes services."""

    def __init__(self, lab: LabState, store: Store) -> None:
        self.lab = lab
        inventory = load_inventory(lab.inventory)
        parts = assemble(store=store, inventory=inventory, command="pytest")
        self.pool = parts.pool
        self.controller = Controller(
            store=store,
            platforms={name: d.platform for name, d in inventory.devices.items()},
            driver=parts.pool.session,
            sync_from=parts.sync.sync_from,
            command="pytest",
            sla=FAST_PROBES,
        )

    def apply(self, *docs: dict[str, Any]) -> None:
        asyncio.run(self.controller.apply(dict(services_of(docs))))
        wait_converged(self.lab)

    def delete(self, *ids: str) -> None:
        asyncio.run(self.controller.apply(dict.fromkeys(ids)))
        wait_converged(self.lab)

    def close(self) -> None:
        asyncio.run(self.pool.close())


def wait_converged(lab: LabState, timeout: float = CONVERGE_TIMEOUT) -> float:
    """Wait until the dataplane agent reflects every router's committed config; seconds waited."""
    started = time.monotonic()
    while not dataplane.converged(lab.dir, ROUTERS):
        assert time.monotonic() - started < timeout, dataplane.read_status(lab.dir)
        time.sleep(0.05)
    return time.monotonic() - started


def site(lab: LabState, *, router: str, port: str, vrf: str) -> str:
    """The namespace of the site attached to ``router``'s ``port`` in ``vrf`` (by its VLAN)."""
    config = parse_router((lab.dir / router / "startup.xml").read_bytes())
    (vlan,) = [s.vlan for s in config.subinterfaces if s.port == port and s.vrf == vrf]
    host = {"pe1": "ce1", "pe2": "ce2", "pe3": "ce3"}[router] + {"eth1": "a", "eth2": "b"}[port]
    return site_namespace(lab.name, host, vlan)


def ping(namespace: str, address: str, *, count: int = 3, interval: float = 0.2) -> bool:
    """Whether every echo request from ``namespace`` to ``address`` is answered."""
    result = subprocess.run(
        ["ip", "netns", "exec", namespace, "ping", "-n", "-q", "-c", str(count),
         "-i", str(interval), "-W", "1", address],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return result.returncode == 0


def echoes_answered(namespace: str) -> int:
    """How many echo requests ``namespace`` received (IcmpInEchos, RFC 2011)."""
    lines = subprocess.run(
        ["ip", "netns", "exec", namespace, "cat", "/proc/net/snmp"],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    header, values = (line.split() for line in lines if line.startswith("Icmp:"))
    return int(dict(zip(header, values, strict=True))["InEchos"])
