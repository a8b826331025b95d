"""Benchmark of the collector: one IF-MIB round on 20 routers, and store inserts.

Run as root: ``.venv/bin/python tests/benchmarks/bench_collector.py [probes]``
(``probes``: only the probe-history part, on a three-router lab)
(``NETSLA_BENCH_PORT_BASE`` picks the lab's ports, default 26200;
``NETSLA_TEST_POSTGRES_URL`` adds PostgreSQL to the insert benchmark).

1. A 20-router ring lab.  Baseline: net-snmp's ``snmpbulkwalk`` run router
   by router, one walk per IF-MIB column netsla polls (the CLI walks one
   subtree per run), and, as a second baseline, whole ifTable + ifXTable
   walks.  netsla: one :meth:`Collector.run_once` of the IF-MIB group over
   all routers (SNMPv3 authPriv and v2c), first round (engine start, USM
   discovery) and steady rounds, with the CPU time per router.
2. Probe history (DISMAN-PING-MIB) of one router with four probes that
   each keep 300 rows: a whole read (the first poll) against the polls after
   it, which walk each probe from its newest row taken.
3. Insert rate of samples into SQLite (and PostgreSQL), in batches.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

from controller.collector import Collector
from controller.collector_config import CollectorConfig, MetricGroup
from controller.probe_history import HistoryCursor
from controller.probe_reader import ProbeReader
from controller.store import open_store
from controller.store.telemetry import Sample, SeriesKey, SeriesKind, TelemetryRepository
from lab import api
from lab.probes import HISTORY_ROWS
from lab.state import LabState, paths
from lab.topology import load_topology
from southbound import oids
from southbound.inventory import CommunitySecret, UsmSecret, load_inventory
from southbound.netconf import Datastore, NetconfPool
from southbound.snmp import SnmpPoller
from southbound.snmp_endpoint import SnmpVersion, endpoint_for

ROUTERS = 20
LAB = "bcoll"
TARGET_INSERTS = 50_000


def ring(routers: int) -> str:
    lines = ["nodes:"]
    lines += [f"  - {{name: r{i}, kind: router}}" for i in range(routers)]
    lines += [f"  - {{name: h{i}, kind: host}}" for i in range(routers)]
    lines.append("links:")
    for i in range(routers):
        j = (i + 1) % routers
        lines.append(f"  - endpoints: [r{i}:eth{100 + j}, r{j}:eth{100 + i}]")
        lines.append(f"  - endpoints: [r{i}:eth1, h{i}:eth0]")
    return "\n".join(lines) + "\n"


def cli_walks(state: LabState, *, v3: bool, roots: tuple[str, ...]) -> float:
    """Wall seconds of snmpbulkwalk over every router, router by router."""
    inventory = load_inventory(state.inventory)
    started = time.perf_counter()
    for device in inventory.devices.values():
        assert device.snmp is not None
        if v3:
            assert device.snmp.v3_credential and device.snmp.v3_user
            usm = inventory.secret(device.snmp.v3_credential)
            assert isinstance(usm, UsmSecret)
            auth = ["-v3", "-l", "authPriv", "-u", device.snmp.v3_user, "-a", "SHA",
                    "-A", usm.auth_key, "-x", "AES", "-X", usm.priv_key]  # fmt: skip
        else:
            assert device.snmp.community_ref
            community = inventory.secret(device.snmp.community_ref)
            assert isinstance(community, CommunitySecret)
            auth = ["-v2c", "-c", community.community]
        for root in roots:
            subprocess.run(
                ["snmpbulkwalk", *auth, "-m", "", "-Cr32", "-On",
                 f"{device.snmp.host}:{device.snmp.port}", root],
                check=True, capture_output=True,
            )  # fmt: skip
    return time.perf_counter() - started


async def netsla_rounds(state: LabState, version: SnmpVersion, rounds: int) -> list[float]:
    """Wall seconds of each of ``rounds`` IF-MIB rounds; prints CPU per router."""
    inventory = load_inventory(state.inventory)
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/bench.db")
        collector = Collector(
            inventory=inventory,
            store=store,
            config=CollectorConfig(intervals={MetricGroup.IF_MIB: 10.0}, snmp_version=version,
                                   max_in_flight=ROUTERS),
        )  # fmt: skip
        walls, cpus = [], []
        try:
            for _ in range(rounds):
                cpu, started = time.process_time(), time.perf_counter()
                results = await collector.run_once()
                walls.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
                failed = [r for r in results if r.error]
                assert not failed, failed
        finally:
            await collector.stop()
            store.close()
    steady_cpu = statistics.median(cpus[1:])
    print(f"    netsla CPU per router: first round {cpus[0] / ROUTERS * 1000:.1f} ms, "
          f"steady {steady_cpu / ROUTERS * 1000:.1f} ms (store writes included)")  # fmt: skip
    return walls


def bench_polling(state: LabState) -> None:
    columns = oids.IF_POLL_COLUMNS
    tables = (oids.IF_ENTRY.rsplit(".", 1)[0], oids.IF_X_ENTRY.rsplit(".", 1)[0])
    print(f"One IF-MIB round, {ROUTERS} routers, {len(columns)} columns + sysUpTime:")
    for version in (SnmpVersion.V3, SnmpVersion.V2C):
        v3 = version is SnmpVersion.V3
        per_column = min(cli_walks(state, v3=v3, roots=columns) for _ in range(3))
        whole = min(cli_walks(state, v3=v3, roots=tables) for _ in range(3))
        walls = asyncio.run(netsla_rounds(state, version, rounds=6))
        steady = statistics.median(walls[1:])
        print(f"  {version.value}: snmpbulkwalk per column, router by router {per_column:.3f} s;"
              f" ifTable+ifXTable walks {whole:.3f} s")  # fmt: skip
        print(f"    netsla collector: first round {walls[0]:.3f} s, steady round {steady:.3f} s"
              f" -> {per_column / steady:.1f}x faster than per-column walks,"
              f" {whole / steady:.1f}x than table walks")  # fmt: skip


PROBES, PROBE_PACKETS = 4, 10


def _probe_config(target: str, *, remove: bool = False) -> etree._Element:
    nc, native = "urn:ietf:params:xml:ns:netconf:base:1.0", "urn:netsla:yang:netsla-router"
    config = etree.Element(f"{{{nc}}}config", nsmap={"nc": nc})
    container = etree.SubElement(etree.SubElement(config, f"{{{native}}}native"),
                                 f"{{{native}}}sla-probes")  # fmt: skip
    if remove:
        container.set(f"{{{nc}}}operation", "remove")
        return config
    for number in range(1, PROBES + 1):
        probe = etree.SubElement(container, f"{{{native}}}probe")
        leaves = {"id": str(number), "target": target, "interval-seconds": "1",
                  "packets": str(PROBE_PACKETS)}  # fmt: skip
        for name, value in leaves.items():
            etree.SubElement(probe, f"{{{native}}}{name}").text = value
    return config


async def _probe_polls(state: LabState) -> tuple[list[float], list[float], int, int]:
    inventory = load_inventory(state.inventory)
    endpoint = endpoint_for(inventory.devices["r0"], inventory)
    poller = SnmpPoller()
    try:
        whole = []
        for _ in range(3):
            reader = ProbeReader(snmp=poller, history=HistoryCursor(), max_repetitions=50)
            started = time.perf_counter()
            _, packets = await reader.poll("r0", endpoint)
            whole.append(time.perf_counter() - started)
        steady = []
        for _ in range(5):
            await asyncio.sleep(1)
            started = time.perf_counter()
            _, new = await reader.poll("r0", endpoint)
            steady.append(time.perf_counter() - started)
        return whole, steady, len(packets), len(new)
    finally:
        await poller.close()


def _commit(state: LabState, config: etree._Element) -> None:
    """Commit ``config`` on r0 through netsla's NETCONF driver."""

    async def run() -> None:
        pool = NetconfPool(load_inventory(state.inventory))
        try:
            session = pool.session("r0")
            await session.edit_config(config, target=Datastore.CANDIDATE)
            await session.commit()
        finally:
            await pool.close()

    asyncio.run(run())


def bench_probe_history(state: LabState) -> None:
    topology = load_topology(paths(state.name).topology)
    (access,) = [link for link in topology.links if {link.a.node, link.b.node} == {"r0", "h0"}]
    target = str(access.far_end("r0").address.ip)
    _commit(state, _probe_config(target))
    try:
        fill = HISTORY_ROWS / PROBE_PACKETS + 2
        print(f"Probe history: {PROBES} probes of {PROBE_PACKETS} packets/s on r0, "
              f"{fill:.0f} s to fill {HISTORY_ROWS} rows each...")  # fmt: skip
        time.sleep(fill)
        whole, steady, rows, new = asyncio.run(_probe_polls(state))
        best_whole, median_steady = min(whole), statistics.median(steady)
        print(f"  whole read ({rows} rows): {best_whole * 1000:.0f} ms; "
              f"next polls (1 s apart, ~{new} new rows): {median_steady * 1000:.0f} ms "
              f"-> {best_whole / median_steady:.1f}x less per poll")  # fmt: skip
    finally:
        _commit(state, _probe_config("", remove=True))


def bench_inserts(url: str, label: str) -> None:
    store = open_store(url)
    repo = TelemetryRepository(store)
    keys = [
        SeriesKey(device=f"bench{d}", source="snmp", object=f"eth{i}", metric=m,
                  kind=SeriesKind.COUNTER)
        for d in range(20) for i in range(25) for m in ("in-octets", "out-octets")
    ]  # fmt: skip
    repo.series_ids(keys)
    base = int(time.time() * 1_000_000)
    total, started = 0, time.perf_counter()
    for r in range(200):
        batch = [
            Sample(series=k, at_us=base + r * 1_000_000, value=float(r), rate=1.0) for k in keys
        ]
        total += repo.write_samples(batch)
    seconds = time.perf_counter() - started
    rate = total / seconds
    print(f"  {label}: {total} samples in batches of {len(keys)}: {rate:,.0f} samples/s "
          f"({rate / TARGET_INSERTS:.1f}x the {TARGET_INSERTS:,}/s target)")  # fmt: skip
    store.close()


def main() -> None:
    if os.geteuid() != 0:
        sys.exit("bench_collector: needs root (the lab)")
    only_probes = sys.argv[1:] == ["probes"]
    if not only_probes:
        print("Storing samples:")
        with tempfile.TemporaryDirectory() as folder:
            bench_inserts(f"sqlite:///{folder}/inserts.db", "SQLite")
        postgres = os.environ.get("NETSLA_TEST_POSTGRES_URL")
        if postgres:
            bench_inserts(postgres, "PostgreSQL")
        else:
            print("  PostgreSQL: skipped (NETSLA_TEST_POSTGRES_URL is not set)")
    routers = 3 if only_probes else ROUTERS
    path = Path(tempfile.gettempdir()) / "netsla-bench-collector-ring.yaml"
    path.write_text(ring(routers))
    base = int(os.environ.get("NETSLA_BENCH_PORT_BASE", "26200"))
    started = time.perf_counter()
    state = api.up(path, name=LAB, port_base=base)
    print(f"(lab of {routers} routers up in {time.perf_counter() - started:.1f} s)")
    try:
        if not only_probes:
            bench_polling(state)
        bench_probe_history(state)
    finally:
        api.down(LAB)


if __name__ == "__main__":
    main()
