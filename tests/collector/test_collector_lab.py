"""The collector against the lab's real agents (snmpd, netconfd) and traffic."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from controller.collector import Collector
from controller.collector_config import CollectorConfig, MetricGroup, PollResult
from controller.store import Store, open_store
from controller.store.availability import AvailabilityRepository, EventKind
from controller.store.telemetry import SeriesKey, SeriesKind, TelemetryRepository
from lab import api
from lab.agents import Agent
from lab.state import LabState
from southbound.inventory import (
    UsmAuthProtocol,
    UsmPrivProtocol,
    UsmSecret,
    inventory_to_dict,
    load_inventory,
    load_secrets,
    write_secrets,
)

pytestmark = pytest.mark.lab
US = 1_000_000
PAYLOAD = 1000
WIRE = PAYLOAD + 8 + 20 + 14  # UDP, IPv4 and Ethernet headers: what ifHCInOctets counts

BLASTER = """
import socket, sys, time
dest, rate, seconds, size = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload = bytes(size)
start = time.time(); sent = 0
while True:
    now = time.time()
    if now - start >= seconds:
        break
    due = int((now - start) * rate) + 1
    while sent < due:
        s.sendto(payload, (dest, 9)); sent += 1
    time.sleep(0.002)
print(start, time.time(), sent)
"""


def netns(namespace: str, *argv: str) -> str:
    return subprocess.run(
        ["ip", "netns", "exec", namespace, *argv], check=True, capture_output=True, text=True
    ).stdout


def counter(device: str, interface: str, metric: str) -> SeriesKey:
    return SeriesKey(
        device=device, source="snmp", object=interface, metric=metric, kind=SeriesKind.COUNTER
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'collector.db'}")


def if_mib_only(interval: float, **changes: object) -> CollectorConfig:
    return CollectorConfig(intervals={MetricGroup.IF_MIB: interval}, **changes)  # type: ignore[arg-type]


def test_traffic_between_ce_hosts_moves_the_right_counters(lab: LabState, store: Store) -> None:
    """ce1a -> ce1b through pe1: pe1 eth1 in and eth2 out carry it, at the rate sent."""
    ce1a, ce1b, pe1 = (f"{lab.name}-{n}" for n in ("ce1a", "ce1b", "pe1"))
    forwarding = netns(pe1, "sysctl", "-n", "net.ipv4.ip_forward").strip()
    netns(ce1a, "ip", "route", "replace", "10.1.0.4/30", "via", "10.1.0.1")
    netns(ce1b, "ip", "route", "replace", "10.1.0.0/30", "via", "10.1.0.5")
    netns(pe1, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    inventory = load_inventory(lab.inventory)
    collector = Collector(
        inventory=inventory, store=store, config=if_mib_only(4.0), devices=["pe1"]
    )

    async def scenario() -> str:
        await collector.start()
        try:
            await asyncio.sleep(5)
            blast = await asyncio.create_subprocess_exec(
                "ip", "netns", "exec", ce1a, sys.executable, "-c", BLASTER,
                "10.1.0.6", "400", "24", str(PAYLOAD), stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, _ = await blast.communicate()
            await asyncio.sleep(5)
            return out.decode()
        finally:
            await collector.stop()

    try:
        out = asyncio.run(scenario())
    finally:
        netns(pe1, "sysctl", "-qw", f"net.ipv4.ip_forward={forwarding}")
        netns(ce1a, "ip", "route", "del", "10.1.0.4/30")
        netns(ce1b, "ip", "route", "del", "10.1.0.0/30")
    start, end, sent = out.split()
    start_us, end_us = int(float(start) * US), int(float(end) * US)
    expected = int(sent) * WIRE / (float(end) - float(start))
    repo = TelemetryRepository(store)

    def rates_inside(key: SeriesKey) -> list[float]:
        samples = repo.samples(key)
        return [
            b.rate
            for a, b in itertools.pairwise(samples)
            if a.at_us >= start_us and b.at_us <= end_us and b.rate is not None
        ]

    for key in (counter("pe1", "eth1", "in-octets"), counter("pe1", "eth2", "out-octets")):
        rates = rates_inside(key)
        assert len(rates) >= 3, f"{key.object}: too few intervals inside the traffic"
        mean = sum(rates) / len(rates)
        assert mean == pytest.approx(expected, rel=0.10), (key.object, rates, expected)
    core = rates_inside(counter("pe1", "eth12", "in-octets"))
    assert max(core) < 0.05 * expected


def test_snmpd_restart_gives_no_negative_or_giant_rates(lab: LabState, store: Store) -> None:
    inventory = load_inventory(lab.inventory)
    collector = Collector(
        inventory=inventory, store=store, config=if_mib_only(1.0), devices=["pe2"]
    )

    async def scenario() -> None:
        await collector.start()
        try:
            await asyncio.sleep(3.5)
            await asyncio.to_thread(api.stop_agent, lab.name, "pe2", Agent.SNMP)
            await asyncio.to_thread(api.start_agent, lab.name, "pe2", Agent.SNMP)
            await asyncio.sleep(4)
        finally:
            await collector.stop()

    asyncio.run(scenario())
    repo = TelemetryRepository(store)
    uptimes = [s.value for s in repo.samples(SeriesKey(
        device="pe2", source="snmp", object="", metric="uptime-seconds"))]  # fmt: skip
    assert any(b < a for a, b in itertools.pairwise(uptimes)), "no restart seen"
    for interface in [i.name for i in inventory.devices["pe2"].interfaces]:
        for metric in ("in-octets", "out-octets", "in-unicast-pkts"):
            samples = repo.samples(counter("pe2", interface, metric))
            rates = [s.rate for s in samples[1:]]
            assert None in rates, f"{interface} {metric}: the restart left no gap"
            assert all(r is None or 0 <= r < 1e7 for r in rates), (interface, metric, rates)


def test_stopped_agents_open_an_event_and_others_keep_flowing(lab: LabState, store: Store) -> None:
    interval = 1.0
    inventory = load_inventory(lab.inventory)
    config = if_mib_only(interval, snmp_timeout=0.3, snmp_retries=0)
    collector = Collector(inventory=inventory, store=store, config=config)
    times: dict[str, float] = {}

    async def scenario() -> None:
        await collector.start()
        try:
            await asyncio.sleep(2.5)
            times["stop"] = time.time()
            for agent in (Agent.SNMP, Agent.NETCONF):
                await asyncio.to_thread(api.stop_agent, lab.name, "pe3", agent)
            times["stopped"] = time.time()
            await asyncio.sleep(4)
            times["start"] = time.time()
            for agent in (Agent.SNMP, Agent.NETCONF):
                await asyncio.to_thread(api.start_agent, lab.name, "pe3", agent)
            times["started"] = time.time()
            await asyncio.sleep(3)
        finally:
            await collector.stop()

    asyncio.run(scenario())
    events = [
        e
        for e in AvailabilityRepository(store).events(device="pe3")
        if e.kind is EventKind.DEVICE_UNREACHABLE
    ]
    assert len(events) == 1
    (event,) = events
    slack = interval + config.snmp_timeout + 0.5
    assert times["stop"] * US <= event.started_us <= (times["stopped"] + slack) * US
    assert event.ended_us is not None
    assert times["start"] * US <= event.ended_us <= (times["started"] + slack) * US
    # The other routers' data kept flowing while pe3 was down.
    repo = TelemetryRepository(store)
    for device in ("pe1", "pe2"):
        during = repo.samples(
            counter(device, "eth1", "in-octets"),
            since_us=int(times["stopped"] * US),
            until_us=int(times["start"] * US),
        )
        assert len(during) >= 3, device


def test_wrong_v3_credentials_fail_one_device_only(lab: LabState, tmp_path: Path) -> None:
    inventory = load_inventory(lab.inventory)
    secrets = load_secrets(inventory.secrets_path)
    secrets["snmp-v3-wrong"] = UsmSecret(
        auth_protocol=UsmAuthProtocol.SHA,
        auth_key="not-the-right-key",
        priv_protocol=UsmPrivProtocol.AES,
        priv_key="not-the-right-key",
    )
    write_secrets(tmp_path / "secrets.yaml", secrets)
    pe2 = inventory.devices["pe2"]
    assert pe2.snmp is not None
    inventory.devices["pe2"] = replace(pe2, snmp=replace(pe2.snmp, v3_credential="snmp-v3-wrong"))
    inventory.secrets_path = tmp_path / "secrets.yaml"
    document = inventory_to_dict(inventory, base=tmp_path)
    (tmp_path / "inventory.yaml").write_text(yaml.safe_dump(document))
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    netsla = [str(Path(sys.executable).parent / "netsla")]
    once = subprocess.run(
        [*netsla, "collect", "--once", "--format", "json", "--no-netconf",
         "--snmp-version", "v3", "--inventory", str(tmp_path / "inventory.yaml"),
         "--database", database],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert once.returncode == 1
    assert "polls failed" in once.stderr
    report = {d["device"]: d for d in json.loads(once.stdout)["devices"]}
    assert not report["pe2"]["ok"]
    assert "credentials refused" in report["pe2"]["groups"]["if-mib"]["error"]
    for device in ("pe1", "pe3"):
        assert report[device]["ok"], report[device]
        assert report[device]["groups"]["if-mib"]["samples"] > 0
    status = subprocess.run(
        [*netsla, "collector", "status", "--format", "json", "--database", database],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = {(r["device"], r["group"]): r for r in json.loads(status.stdout)["devices"]}
    assert rows[("pe2", "if-mib")]["failures"] == 1
    assert "credentials refused" in rows[("pe2", "if-mib")]["last_error"]
    assert rows[("pe1", "if-mib")]["failures"] == 0


def test_netconf_get_of_interfaces_state_is_stored(lab: LabState, store: Store) -> None:
    """Two ``<get>`` polls of pe1's ietf-interfaces state: counters with rates, oper-status."""
    from southbound.netconf_state import NetconfStateReader

    inventory = load_inventory(lab.inventory)
    config = CollectorConfig(intervals={MetricGroup.NETCONF_STATE: 60.0})
    collector = Collector(
        inventory=inventory,
        store=store,
        config=config,
        devices=["pe1"],
        netconf=NetconfStateReader(inventory),
    )

    async def two_rounds() -> list[list[PollResult]]:
        try:
            first = await collector.run_once()
            await asyncio.sleep(1.5)
            return [first, await collector.run_once()]
        finally:
            await collector.stop()

    rounds = asyncio.run(two_rounds())
    for results in rounds:
        assert [(r.group, r.error) for r in results] == [(MetricGroup.NETCONF_STATE, None)]
    repo = TelemetryRepository(store)
    for interface in ("eth1", "eth12"):
        key = SeriesKey(
            device="pe1", source="netconf", object=interface, metric="in-octets",
            kind=SeriesKind.COUNTER,
        )  # fmt: skip
        samples = repo.samples(key)
        assert len(samples) == 2 and samples[1].value >= samples[0].value > 0
        assert samples[1].rate is not None and samples[1].rate >= 0
        status = repo.samples(
            SeriesKey(device="pe1", source="netconf", object=interface, metric="oper-status")
        )
        assert [s.value for s in status] == [1.0, 1.0]  # up (RFC 8343 oper-status)
