"""Benchmark of the lab: time to bring it up, and NETCONF round trips against a lab router.

Run as root: ``.venv/bin/python tests/benchmarks/bench_lab.py``.  Lab names
``bench`` and ``bench20`` (NETSLA_BENCH_LAB overrides the first, the second is
its name + ``20``; NETSLA_BENCH_PORT_BASE the port base, the ring uses base + 100).

1. ``netsla lab up`` of the default topology (3 PEs, 6 CEs), through the CLI
   (process start included), and of a 20-router ring with one CE per router
   through the API: time per router.
2. NETCONF edit-config+commit and a filtered get-config on one router:
   ncclient at several values of its TICK (default 0.1 s; the lab's tests
   use 0.001 s) and netsla's driver (southbound.netconf, which writes each
   request from the calling thread, at its own TICK), against the floor: the
   same RPCs written straight onto a paramiko channel with RFC 6242 chunked
   framing; every row also as a ratio to ncclient's defaults measured in the
   same run.  ncclient's session thread polls its send queue every TICK, so
   TICK bounds the added latency; below about 0.001 s its own per-RPC work
   dominates.  Beside each client: the process's CPU time per second with
   that one session open and idle (the session thread waking every TICK).
3. The VPN dataplane: the example gold customer (three sites on three PEs)
   applied and deleted ten times through the controller; the time from the
   transaction's return to the dataplane agent reflecting every router's
   new config, against the transaction's own time in the same run.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import ncclient.transport.session
import paramiko
from lxml import etree
from ncclient import manager

from controller.assembly import assemble
from controller.service import services_of
from controller.store import open_store
from lab import api
from lab.dataplane import agent as dataplane
from lab.state import LabState
from southbound.inventory import load_inventory
from southbound.netconf import READ_LOOP_TICK, Datastore, NetconfSession

NETSLA = str(Path(sys.executable).parent / "netsla")
NC_BASE = "urn:ietf:params:xml:ns:netconf:base:1.0"
NATIVE_NS = "urn:netsla:yang:netsla-router"
ROUNDS = 30
TICKS = (0.1, 0.005, 0.002, 0.001, 0.0005)
IDLE_SECONDS = 2.0
LAB = os.environ.get("NETSLA_BENCH_LAB", "bench")
RING = f"{LAB}20"


def ring_topology(routers: int) -> str:
    nodes = [f"  - {{name: r{i}, kind: router}}" for i in range(routers)]
    nodes += [f"  - {{name: c{i}, kind: host}}" for i in range(routers)]
    links = [
        f"  - endpoints: [r{i}:eth{100 + (i + 1) % routers}, r{(i + 1) % routers}:eth{100 + i}]"
        for i in range(routers)
    ]
    links += [f"  - endpoints: [r{i}:eth1, c{i}:eth0]" for i in range(routers)]
    return "nodes:\n" + "\n".join(nodes) + "\nlinks:\n" + "\n".join(links) + "\n"


def bench_up(base: int | None) -> None:
    api.down(LAB)
    cmd = [NETSLA, "lab", "up", "--name", LAB]
    if base:
        cmd += ["--port-base", str(base)]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    default = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    again = time.perf_counter() - started
    print(f"lab up, default topology (3 routers, 6 hosts), CLI: {default:.2f} s "
          f"({default / 3:.3f} s per router); again on the running lab: {again:.2f} s")  # fmt: skip
    started = time.perf_counter()
    subprocess.run([NETSLA, "--help"], check=True, capture_output=True)
    print(f"  of which CLI start-up (netsla --help): {time.perf_counter() - started:.2f} s")
    api.down(LAB)
    started = time.perf_counter()
    api.up(None, name=LAB, port_base=base)
    in_process = time.perf_counter() - started
    print(f"lab up, default topology, API: {in_process:.2f} s ({in_process / 3:.3f} s per router)")
    path = Path("/tmp/netsla-bench-ring20.yaml")
    path.write_text(ring_topology(20))
    api.down(RING)
    started = time.perf_counter()
    state = api.up(path, name=RING, port_base=base + 100 if base else None)
    ring = time.perf_counter() - started
    print(f"lab up, 20-router ring + 20 hosts, API: {ring:.2f} s ({ring / 20:.3f} s per router)")
    assert all(s.netconf_answers and s.snmp_answers for s in api.status(state.name))
    started = time.perf_counter()
    api.down(RING)
    print(f"lab down, 20 routers: {time.perf_counter() - started:.2f} s")


def vrf_edit(rd: int) -> str:
    config = etree.Element(f"{{{NC_BASE}}}config", nsmap={"nc": NC_BASE})
    native = etree.SubElement(config, f"{{{NATIVE_NS}}}native", nsmap={None: NATIVE_NS})
    vrf = etree.SubElement(etree.SubElement(native, f"{{{NATIVE_NS}}}vrfs"), f"{{{NATIVE_NS}}}vrf")
    etree.SubElement(vrf, f"{{{NATIVE_NS}}}name").text = "bench"
    etree.SubElement(vrf, f"{{{NATIVE_NS}}}rd").text = f"65000:{rd}"
    return etree.tostring(config).decode()


def rpc(body: etree._Element, message_id: int) -> bytes:
    root = etree.Element(f"{{{NC_BASE}}}rpc", nsmap={None: NC_BASE})
    root.set("message-id", str(message_id))
    root.append(body)
    return etree.tostring(root)


def nc(tag: str, *children: etree._Element) -> etree._Element:
    element = etree.Element(f"{{{NC_BASE}}}{tag}", nsmap={None: NC_BASE})
    element.extend(children)
    return element


class RawSession:
    """NETCONF 1.1 written straight onto an SSH channel (RFC 6242 chunked framing)."""

    def __init__(self, state: LabState) -> None:
        router = state.routers[0]
        sock = socket.create_connection(("127.0.0.1", router.netconf_port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport = paramiko.Transport(sock)
        self.transport.connect(
            username="netsla-lab", pkey=paramiko.Ed25519Key.from_private_key_file(
                str(state.dir / "netconf_key")),
        )  # fmt: skip
        self.channel = self.transport.open_session()
        self.channel.invoke_subsystem("netconf")
        self.buffer = b""
        self._read_until(b"]]>]]>")
        hello = nc("hello", nc("capabilities"))
        cap = etree.SubElement(hello[0], f"{{{NC_BASE}}}capability")
        cap.text = "urn:ietf:params:netconf:base:1.1"
        self.channel.sendall(etree.tostring(hello) + b"]]>]]>")
        # netconfd loses an RPC that arrives together with the client's hello.
        time.sleep(0.1)
        self.message_id = 0

    def _read_until(self, end: bytes) -> bytes:
        while end not in self.buffer:
            self.buffer += self.channel.recv(65536)
        message, _, self.buffer = self.buffer.partition(end)
        return message

    def call(self, body: etree._Element) -> bytes:
        self.message_id += 1
        payload = rpc(body, self.message_id)
        self.channel.sendall(b"\n#%d\n" % len(payload) + payload + b"\n##\n")
        reply = self._read_until(b"\n##\n")
        if b"rpc-error" in reply:
            raise RuntimeError(reply.decode())
        return reply

    def close(self) -> None:
        self.transport.close()


def median_ms(action: Callable[[int], object]) -> float:
    action(0)
    samples = []
    for i in range(1, ROUNDS + 1):
        started = time.perf_counter()
        action(i)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


class Row(NamedTuple):
    """One client's figures: milliseconds, and idle CPU in ms per second."""

    connect_ms: float | None
    edit_ms: float
    get_ms: float
    idle_cpu_ms: float


def idle_cpu_ms_per_s() -> float:
    """The process's CPU time per second while it sleeps (its session threads still run)."""
    cpu = time.process_time()
    time.sleep(IDLE_SECONDS)
    return (time.process_time() - cpu) / IDLE_SECONDS * 1000


def ncclient_round_trips(state: LabState, tick: float) -> Row:
    ncclient.transport.session.TICK = tick
    router = state.routers[0]
    started = time.perf_counter()
    session = manager.connect(
        host="127.0.0.1", port=router.netconf_port, username="netsla-lab",
        key_filename=str(state.dir / "netconf_key"), hostkey_verify=True,
        ssh_config=str(state.ssh_config), allow_agent=False, look_for_keys=False,
    )  # fmt: skip
    connect = time.perf_counter() - started
    flt = ("subtree", f'<native xmlns="{NATIVE_NS}"><vrfs/></native>')

    def edit_commit(i: int) -> None:
        session.edit_config(target="candidate", config=vrf_edit(i))
        session.commit()

    edit = median_ms(edit_commit)
    get = median_ms(lambda _i: session.get_config(source="running", filter=flt))
    idle = idle_cpu_ms_per_s()
    session.close_session()
    return Row(connect * 1000, edit, get, idle)


def netsla_round_trips(state: LabState) -> Row:
    """The same RPCs through netsla's own NETCONF driver (southbound.netconf), as it runs."""
    ncclient.transport.session.TICK = READ_LOOP_TICK  # what importing southbound.netconf sets
    inventory = load_inventory(state.inventory)
    device = inventory.devices[state.routers[0].name]
    subtree = etree.fromstring(f'<native xmlns="{NATIVE_NS}"><vrfs/></native>')

    async def measure() -> Row:
        session = NetconfSession(device=device, inventory=inventory)
        await session.connect()
        await asyncio.sleep(0.1)  # netconfd loses an RPC that shares a read with the hello
        edits, gets = [], []
        for i in range(ROUNDS + 1):
            config = etree.fromstring(vrf_edit(i).encode())
            started = time.perf_counter()
            await session.edit_config(config, target=Datastore.CANDIDATE)
            await session.commit()
            edits.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await session.get_config(source=Datastore.RUNNING, subtree=subtree)
            gets.append((time.perf_counter() - started) * 1000)
        idle = idle_cpu_ms_per_s()
        await session.close()
        return Row(None, statistics.median(edits[1:]), statistics.median(gets[1:]), idle)

    return asyncio.run(measure())


def raw_round_trips(state: LabState) -> tuple[float, float]:
    session = RawSession(state)
    target = nc("target", nc("candidate"))

    def edit_commit(i: int) -> None:
        config = etree.fromstring(vrf_edit(i).encode())
        session.call(nc("edit-config", target, config))
        session.call(nc("commit"))

    edit = median_ms(edit_commit)
    flt = nc("filter", etree.fromstring(f'<native xmlns="{NATIVE_NS}"><vrfs/></native>'))
    flt.set("type", "subtree")
    get = median_ms(lambda _i: session.call(nc("get-config", nc("source", nc("running")), flt)))
    session.close()
    return edit, get


def _ratios(row: Row, to: tuple[float, float]) -> str:
    def one(ratio: float) -> str:  # two significant digits below 0.1 (0.0083x)
        return f"{ratio:6.2f}x" if ratio >= 0.1 else f"{ratio:6.2g}x"

    return f"{one(row.edit_ms / to[0])} {one(row.get_ms / to[1])}"


def bench_netconf(base: int | None) -> None:
    state = api.up(None, name=LAB, port_base=base)
    floor = raw_round_trips(state)
    rows = {f"ncclient TICK={tick}": ncclient_round_trips(state, tick) for tick in TICKS}
    default = rows["ncclient TICK=0.1"]
    best = (min(r.edit_ms for r in rows.values()), min(r.get_ms for r in rows.values()))
    rows[f"netsla driver, TICK={READ_LOOP_TICK}"] = netsla_round_trips(state)
    print(f"\nNETCONF round trips on {state.routers[0].name}, median of {ROUNDS}; "
          f"idle: CPU ms per s with the one session open and idle "
          f"({IDLE_SECONDS:g} s); ratios edit+commit, get-config:")  # fmt: skip
    print(f"  {'client':<30} {'connect ms':>10} {'edit+commit ms':>15} {'get-config ms':>14}"
          f" {'idle':>6}   {'vs ncclient default':<19} {'vs floor':<15}"
          " vs best ncclient")  # fmt: skip
    print(f"  {'floor: raw SSH channel':<30} {'':>10} {floor[0]:>15.1f} {floor[1]:>14.1f}")
    for label, row in rows.items():
        connect = "" if row.connect_ms is None else f"{row.connect_ms:.0f}"
        print(f"  {label + (' (default)' if row is default else ''):<30} {connect:>10}"
              f" {row.edit_ms:>15.1f} {row.get_ms:>14.1f} {row.idle_cpu_ms:>6.1f}"
              f"  {_ratios(row, (default.edit_ms, default.get_ms)):<19}"
              f" {_ratios(row, floor):<15} {_ratios(row, best)}")  # fmt: skip


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme-gold-any-to-any.json"
DATAPLANE_ROUNDS = 10


def _converged_after(state: LabState, started: float, timeout: float = 10.0) -> float:
    routers = [r.name for r in state.routers]
    while not dataplane.converged(state.dir, routers):
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"dataplane not converged: {dataplane.read_status(state.dir)}")
        time.sleep(0.005)
    return time.perf_counter() - started


async def _dataplane_rounds(state: LabState) -> tuple[list[float], list[float]]:
    services = dict(services_of([json.loads(EXAMPLE.read_text())]))
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{folder}/bench.db")
        parts = assemble(store=store, inventory=load_inventory(state.inventory), command="bench")
        applies, realised = [], []
        try:
            for round_ in range(2 * DATAPLANE_ROUNDS):
                change = services if round_ % 2 == 0 else dict.fromkeys(services)
                started = time.perf_counter()
                await parts.controller.apply(change)
                applied = time.perf_counter()
                applies.append(applied - started)
                realised.append(await asyncio.to_thread(_converged_after, state, applied))
        finally:
            await parts.pool.close()
            store.close()
    return applies, realised


def bench_dataplane(base: int | None) -> None:
    state = api.up(None, name=LAB, port_base=base)
    applies, realised = asyncio.run(_dataplane_rounds(state))
    apply_ms, realise_ms = statistics.median(applies) * 1000, statistics.median(realised) * 1000
    print(f"\nVPN dataplane, gold example (3 sites, 3 PEs) applied and deleted "
          f"{DATAPLANE_ROUNDS} times each:")  # fmt: skip
    print(f"  transaction (lock .. confirm): median {apply_ms:.0f} ms")
    print(f"  dataplane realised after it returned: median {realise_ms:.0f} ms "
          f"(min {min(realised) * 1000:.0f}, max {max(realised) * 1000:.0f}) "
          f"= {realise_ms / apply_ms:.2f}x the transaction")  # fmt: skip


def main() -> None:
    if os.geteuid() != 0:
        sys.exit("bench_lab: needs root")
    value = os.environ.get("NETSLA_BENCH_PORT_BASE")
    base = int(value) if value else None
    try:
        bench_up(base)
        bench_netconf(base)
        bench_dataplane(base)
    finally:
        api.down(LAB)
        api.down(RING)


if __name__ == "__main__":
    main()
