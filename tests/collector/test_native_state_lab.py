"""On the lab: a probe configured over NETCONF on pe1 shows up in the store twice,
read over NETCONF from netsla-router's ``/nr:native-state`` (collector group
``netconf-state``) and over SNMP from DISMAN-PING-MIB (group ``probes``), with
the same figures."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from lxml import etree

from controller.collector import Collector
from controller.collector_config import CollectorConfig, MetricGroup
from controller.store import Store
from controller.store.telemetry import TelemetryRepository
from lab.state import LabState, paths
from lab.topology import load_topology
from southbound.inventory import load_inventory
from southbound.netconf_state import NATIVE_NS, NETCONF_NS, NetconfStateReader
from tests.lab.conftest import commit_config

pytestmark = pytest.mark.lab
PROBE_ID, OWNER, PACKETS = 4343, "native-collect", 2
OBJECT = f"{OWNER}/{PROBE_ID}"
WAIT_SECONDS = 30.0
FIGURES = ("probes-sent", "probes-received", "rtt-min-ms", "rtt-avg-ms", "rtt-max-ms")
Figures = dict[str, float]


def _ce_address(lab: LabState) -> str:
    """ce1a's address on its access link to pe1."""
    for link in load_topology(paths(lab.name).topology).links:
        if {link.a.node, link.b.node} == {"pe1", "ce1a"}:
            return str(link.far_end("pe1").address.ip)
    raise AssertionError("the lab has no pe1-ce1a link")


def _probe_config(*, target: str | None) -> etree._Element:
    """pe1's probe ``PROBE_ID`` with ``target``; ``None``: its deletion."""
    config = etree.Element(f"{{{NETCONF_NS}}}config", nsmap={"nc": NETCONF_NS})
    native = etree.SubElement(config, f"{{{NATIVE_NS}}}native", nsmap={None: NATIVE_NS})  # type: ignore[dict-item]
    probes = etree.SubElement(native, f"{{{NATIVE_NS}}}sla-probes")
    probe = etree.SubElement(probes, f"{{{NATIVE_NS}}}probe")
    etree.SubElement(probe, f"{{{NATIVE_NS}}}id").text = str(PROBE_ID)
    if target is None:
        probe.set(f"{{{NETCONF_NS}}}operation", "delete")
        return config
    leaves = {"owner": OWNER, "target": target, "interval-seconds": "4", "packets": str(PACKETS)}
    for name, value in leaves.items():
        etree.SubElement(probe, f"{{{NATIVE_NS}}}{name}").text = value
    return config


@pytest.fixture
def probe(lab: LabState) -> Iterator[str]:
    target = _ce_address(lab)
    commit_config(lab, lab.router("pe1"), _probe_config(target=target))
    try:
        yield target
    finally:
        commit_config(lab, lab.router("pe1"), _probe_config(target=None))


def _latest(repo: TelemetryRepository, source: str) -> Figures:
    """The probe's newest stored figures read over ``source``."""
    return {
        key.metric: stored.value
        for key, stored in repo.latest(devices=["pe1"], source=source).items()
        if key.object == OBJECT
    }


def _ms_as_the_mib_rounds(value_ms: float) -> float:
    """pingResults*Rtt is whole milliseconds, rounded half up from the router's microseconds."""
    return float((round(value_ms * 1000) + 500) // 1000)


def _consistent(netconf: Figures, snmp: Figures) -> bool:
    same_counts = all(netconf[m] == snmp[m] for m in ("probes-sent", "probes-received"))
    rtts = ("rtt-min-ms", "rtt-avg-ms", "rtt-max-ms")
    return same_counts and all(_ms_as_the_mib_rounds(netconf[m]) == snmp[m] for m in rtts)


def _rounds(lab: LabState, store: Store) -> list[tuple[Figures, Figures]]:
    """Collector rounds until two have the probe's figures from both protocols (bounded)."""
    inventory = load_inventory(lab.inventory)
    intervals = {MetricGroup.NETCONF_STATE: 60.0, MetricGroup.PROBES: 60.0}
    collector = Collector(
        inventory=inventory,
        store=store,
        config=CollectorConfig(intervals=intervals),
        devices=["pe1"],
        netconf=NetconfStateReader(inventory),
    )
    repo = TelemetryRepository(store)
    seen: list[tuple[Figures, Figures]] = []

    async def run() -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        try:
            while len(seen) < 2 and time.monotonic() < deadline:
                results = await collector.run_once()
                assert [r.error for r in results] == [None, None], results
                netconf, snmp = _latest(repo, "netconf"), _latest(repo, "snmp")
                if set(FIGURES) <= netconf.keys() and set(FIGURES) <= snmp.keys():
                    seen.append((netconf, snmp))
                await asyncio.sleep(1.0)
        finally:
            await collector.stop()

    asyncio.run(run())
    return seen


def test_native_state_is_collected_and_matches_the_ping_mib(
    lab: LabState, store: Store, probe: str
) -> None:
    rounds = _rounds(lab, store)
    assert len(rounds) == 2, f"no native state of {OBJECT} within {WAIT_SECONDS:g} s"
    for netconf, _snmp in rounds:
        assert netconf["probes-sent"] == netconf["probes-received"] == PACKETS  # a veth hop
        assert netconf["loss-ratio"] == 0.0
        assert 0 < netconf["rtt-min-ms"] <= netconf["rtt-avg-ms"] <= netconf["rtt-max-ms"] < 50
    # The two reads of a round may straddle the end of a test: one of two rounds agrees.
    assert any(_consistent(netconf, snmp) for netconf, snmp in rounds), rounds
