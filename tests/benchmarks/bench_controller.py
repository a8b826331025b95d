"""Benchmark of the controller: 200 two-site services on three lab routers.

Brings up its own lab (``ctlbench``, port base 30000) without its dataplane agent
and the routers' SLA probers (the VPNs' forwarding and probes are not measured
here) and removes it at the end.

- baseline: a plain ncclient script (ncclient's defaults) that for each
  service and router connects, locks, edits, commits, unlocks and
  disconnects, one device at a time; measured on a sample of services and
  extrapolated to services/s (printed as such);
- floor: the same 200 services as one batched edit + commit per router over
  open sessions, routers in parallel (plain commit; the same with the edit
  sent with test-option "set", so that the router validates once, at the
  commit; confirmed commit + confirm; and netsla's exact RPC sequence: lock
  with discard-changes pipelined behind it, edit with test-option "set", confirmed commit on every
  router, then confirm with the unlock pipelined behind it on every router);
- floor, each router alone: one edit+commit on one router while the others
  idle, the floor if every router had a machine of its own;
- netsla: the 200 services submitted together to the controller's Batcher
  (coalesced into transactions), sessions already open; with when its first
  edit-config left and its last confirming commit came back (netsla's own
  latency before and after the routers' work);
- floor and netsla again with the routers on a core of their own and netsla
  on the other(s) (:func:`lab.cpu.separate_cores`), so that netsla's CPU
  time does not slow the routers: netsla's time over that floor is its own
  latency plus the routers' extra work for its RPC sequence, without
  contention (the ratio is not the target's: the floor is then the three
  routers' work one after another on one core);
- dry-run of a one-site change with 1,000 and 10,000 services in the store,
  and their ratio.

Floors and netsla alternate for a few rounds and medians are printed (the
routers' own time varies by tens of milliseconds between runs), with the
spread of netsla's time over the plain floor of the same round.  Each round
runs in the reverse order of the one before: the routers slow down over a
run (netconfd keeps every commit's notification for replay, up to 1,000,
and its commits take longer as that grows), so that a fixed order would
measure netsla, last in every round, on routers a dozen commits slower than
the plain floor, first in every round.

The CPU time of each run is printed too (:mod:`lab.cpu`): netsla's process
and every process of the routers' namespaces.  The routers share the
machine's cores with netsla, so a run's wall time is at least all that CPU
time over the cores; the rest of its time is cores left idle.

Run: ``.venv/bin/python tests/benchmarks/bench_controller.py`` (root).
"""

from __future__ import annotations

import asyncio
import copy
import functools
import importlib
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from importlib.machinery import ExtensionFileLoader
from pathlib import Path
from typing import Any, cast

from ncclient import manager
from ncclient.transport import session as nc_session

from controller.assembly import assemble
from controller.batch import Batcher
from controller.execution import Push
from controller.planner import plan_change, record
from controller.render.l3sm import Service
from controller.service import Controller, services_of
from controller.store import Store, open_store
from controller.store.footprints import ServiceRepository
from controller.transaction import DeviceDriver
from lab import api
from lab.cpu import CpuMeter, CpuUse, cores, idle_seconds, separate_cores
from southbound.inventory import Inventory, SshKeySecret, load_inventory
from southbound.netconf import Datastore, EditTestOption, known_host_key

LAB, PORT_BASE = "ctlbench", 30000
ROUTERS = ("pe1", "pe2", "pe3")
SERVICES, SAMPLE = 200, 20
RUNS = ("plain", "set", "confirmed", "rpc", "alone", "netsla", "separate floor", "separate netsla")
TEMPLATE = Path(__file__).parents[1] / "controller" / "documents" / "acme.json"


def service(index: int, routers: tuple[str, ...] = ROUTERS) -> Service:
    """Service ``s<index>``: a static site and a BGP site on two of the routers."""
    doc = copy.deepcopy(json.loads(TEMPLATE.read_text()))
    root = doc["ietf-l3vpn-svc:l3vpn-svc"]
    vpn = f"s{index}"
    root["vpn-services"]["vpn-service"][0]["vpn-id"] = vpn
    root["sites"]["site"] = root["sites"]["site"][:2]
    for number, site in enumerate(root["sites"]["site"]):
        site["site-id"] = f"{vpn}-{number}"
        access = site["site-network-accesses"]["site-network-access"][0]
        access["vpn-attachment"]["vpn-id"] = vpn
        access["netsla-l3vpn-svc-ext:pe"] = {
            "device": routers[(index + number) % len(routers)],
            "port": "eth1" if index % 2 else "eth2",
        }
        net = f"10.{100 + index // 128}.{(index % 128) * 2 + number}"
        access["ip-connection"]["ipv4"]["addresses"].update(
            {"provider-address": f"{net}.1", "customer-address": f"{net}.2"}
        )
        static = access["routing-protocols"]["routing-protocol"][0].get("static")
        if static:
            static["cascaded-lan-prefixes"]["ipv4-lan-prefixes"] = [
                {"lan": f"172.{16 + index // 256}.{index % 256}.0/24", "next-hop": f"{net}.2"}
            ]
    (found,) = services_of([doc]).values()
    return found


class Bench:
    def __init__(self, inventory: Inventory, store: Store) -> None:
        self.inventory = inventory
        parts = assemble(store=store, inventory=inventory, command="bench")
        self.pool, self.sync, self.controller = parts.pool, parts.sync, parts.controller
        self.platforms = parts.controller.platforms

    async def payloads(self, services: dict[str, Service]) -> dict[str, str]:
        """Each router's batched edit, as netsla sends it (its XML text)."""
        outcome = await self.controller.apply(services, dry_run=True)
        return {
            d: Push(d, w.platform, w.edits, w.plan.reverse).payload()
            for d, w in outcome.plan.changed.items()
        }

    async def clean(self) -> None:
        await self.sync.sync_to(ROUTERS)


class Phases:
    """When a netsla run's first edit-config left and its last confirming commit came back,
    and how long the cores were idle before, between and after.

    Wraps the controller's device drivers (:class:`controller.transaction.DeviceDriver`):
    what netsla does before the first router has an edit to work on and
    after the last router confirmed is its own latency, which more cores
    would not hide.  Idle time is the kernel's (:func:`lab.cpu.idle_seconds`).
    """

    def __init__(self, driver: Callable[[str], DeviceDriver]) -> None:
        self._driver = driver
        self.start = 0.0
        self.first_edit: float | None = None
        self.last_confirm = 0.0
        self.idle: dict[str, float | None] = {}  # idle seconds so far, at each point
        # per run, when end() is called
        self.marks: dict[str, list[float]] = {"first edit": [], "last confirm": []}
        self.idles: list[dict[str, float]] = []  # idle core-seconds: before, during, after

    def begin(self) -> None:
        self.start, self.first_edit, self.last_confirm = time.perf_counter(), None, 0.0
        self.idle = {"start": idle_seconds()}

    def driver(self, name: str) -> DeviceDriver:
        return _Timed(self._driver(name), self)

    def edit_sent(self) -> None:
        if self.first_edit is None:
            self.first_edit = time.perf_counter() - self.start
            self.idle["first edit"] = idle_seconds()

    def confirmed(self) -> None:
        now = time.perf_counter() - self.start
        if now > self.last_confirm:
            self.last_confirm = now
            self.idle["last confirm"] = idle_seconds()

    def end(self, *, keep: bool = True) -> None:
        """Keep this run's marks and idle core-seconds (before the first edit, until the
        last confirm, after it), unless not ``keep``."""
        if not keep:
            return
        self.idle["end"] = idle_seconds()
        self.marks["first edit"].append(self.first_edit or 0.0)
        self.marks["last confirm"].append(self.last_confirm)
        points = [self.idle.get(k) for k in ("start", "first edit", "last confirm", "end")]
        if all(p is not None for p in points):
            start, edit, confirm, end = cast("list[float]", points)
            self.idles.append(
                {"before": edit - start, "during": confirm - edit, "after": end - confirm}
            )


class _Timed:
    """A device driver telling :class:`Phases` of its edit-config and confirming commit."""

    def __init__(self, driver: DeviceDriver, phases: Phases) -> None:
        self._driver = driver
        self._phases = phases
        self.name = driver.name

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._driver, attr)

    async def edit_config(self, config: Any, **options: Any) -> None:
        self._phases.edit_sent()
        await self._driver.edit_config(config, **options)

    async def commit_and_unlock(self, datastore: Datastore, **options: Any) -> None:
        await self._driver.commit_and_unlock(datastore, **options)
        self._phases.confirmed()


def sequential_payloads(bench: Bench, services: list[Service], workdir: Path) -> list[Any]:
    """Each service's payloads as sent after the ones before it (planned on a scratch store)."""
    scratch = open_store(f"sqlite:///{workdir / 'scratch.db'}")
    with scratch.session() as session:
        for name in ROUTERS:
            config = bench.sync.expected(name)
            ServiceRepository(session).replace_device_config(name, "netsla-router", config)
    out = []
    for one in services:
        with scratch.session() as session:
            repo = ServiceRepository(session)
            plan = plan_change(repo, {one.service_id: one}, platforms=bench.platforms, sla={})
            record(repo, plan, tx=None)
            out.append({d: w.payload() for d, w in plan.changed.items()})
    scratch.close()
    return out


def plain_script(inventory: Inventory, payloads: list[dict[str, Any]]) -> float:
    """Per service and router: connect, lock, edit, commit, unlock, close (ncclient defaults)."""
    tuned, nc_session.TICK = nc_session.TICK, 0.1  # ncclient's default
    start = time.perf_counter()
    try:
        for per_device in payloads:
            for name, payload in per_device.items():
                target = inventory.devices[name].netconf
                secret = inventory.secret(target.credential)
                assert isinstance(secret, SshKeySecret)
                with manager.connect(
                    host=target.host,
                    port=target.port,
                    username=target.username,
                    key_filename=str(secret.private_key_file),
                    hostkey_b64=known_host_key(inventory.known_hosts, target.host, target.port),
                    allow_agent=False,
                    look_for_keys=False,
                ) as m:
                    m.lock(target="candidate")
                    m.edit_config(config=payload, target="candidate")
                    m.commit()
                    m.unlock(target="candidate")
    finally:
        nc_session.TICK = tuned
    return time.perf_counter() - start


async def floor(
    bench: Bench,
    payloads: dict[str, str],
    *,
    confirmed: bool,
    test_option: EditTestOption | None = None,
) -> None:
    async def one(name: str) -> None:
        s = bench.pool.session(name)
        await s.lock(Datastore.CANDIDATE)
        await s.edit_config(payloads[name], target=Datastore.CANDIDATE, test_option=test_option)
        if confirmed:
            await s.commit(confirmed=True, timeout=60, persist="floor")
            await s.commit(persist_id="floor")
        else:
            await s.commit()
        await s.unlock(Datastore.CANDIDATE)

    await asyncio.gather(*(one(r) for r in payloads))


async def rpc_floor(bench: Bench, payloads: dict[str, str]) -> None:
    """netsla's own RPC sequence, nothing else: every router locks and discards
    (one round trip), edits and confirmed-commits; only when all did, every router confirms,
    with the unlock pipelined behind (the network-wide all-or-nothing barrier)."""

    async def prepare(name: str) -> None:
        s = bench.pool.session(name)
        await s.connect()
        await s.lock_and_discard(Datastore.CANDIDATE)
        # as netsla sends it to this platform (controller.transaction.QUIRKS)
        await s.edit_config(
            payloads[name], target=Datastore.CANDIDATE, test_option=EditTestOption.SET
        )
        await s.commit(confirmed=True, timeout=60, persist="floor")

    async def confirm(name: str) -> None:
        await bench.pool.session(name).commit_and_unlock(Datastore.CANDIDATE, persist_id="floor")

    await asyncio.gather(*(prepare(r) for r in payloads))
    await asyncio.gather(*(confirm(r) for r in payloads))


async def warm(bench: Bench) -> None:
    await asyncio.gather(*(bench.pool.session(r).connect() for r in ROUTERS))


ROUNDS = 10  # floors and netsla measured alternately, in turn first; medians reported


def in_turn(steps: list[Callable[[], None]]) -> None:
    """:data:`ROUNDS` rounds of ``steps``, each round in the reverse order of the one
    before, so that the routers' slowing over a run weighs on every step alike."""
    for number in range(ROUNDS):
        for step in steps if number % 2 == 0 else reversed(steps):
            step()


FloorRun = Callable[[str, Callable[[], Awaitable[None]]], Coroutine[Any, Any, float]]
NetslaRun = Callable[[], Coroutine[Any, Any, tuple[float, int, int]]]


def shared_rounds(
    bench: Bench, batched: dict[str, str], floor_run: FloorRun, netsla: NetslaRun
) -> tuple[dict[str, list[float]], dict[str, list[float]], tuple[int, int]]:
    """The floors' and netsla's rounds on shared cores (:func:`in_turn`): their times,
    each router's alone, and netsla's last outcome (services applied, batches)."""
    figures: dict[str, list[float]] = {
        k: [] for k in ("plain", "set", "confirmed", "rpc", "netsla")
    }
    unvalidated = EditTestOption.SET
    alone: dict[str, list[float]] = {name: [] for name in ROUTERS}
    last = {"ok": 0, "batches": 0}  # netsla's last round: services applied, batches

    def measure(key: str, run: Callable[[], Awaitable[None]]) -> Callable[[], None]:
        return lambda: figures[key].append(asyncio.run(floor_run(key, run)))

    def alone_on(name: str) -> Callable[[], None]:  # as if each router had a machine of its own
        one = functools.partial(floor, bench, {name: batched[name]}, confirmed=False)
        return lambda: alone[name].append(asyncio.run(floor_run("alone", one)))

    def netsla_round() -> None:
        elapsed, ok, batches = asyncio.run(netsla())
        figures["netsla"].append(elapsed)
        last.update(ok=ok, batches=batches)

    steps = [
        measure("plain", lambda: floor(bench, batched, confirmed=False)),
        measure("set", lambda: floor(bench, batched, confirmed=False, test_option=unvalidated)),
        measure("confirmed", lambda: floor(bench, batched, confirmed=True)),
        measure("rpc", lambda: rpc_floor(bench, batched)),
        *(alone_on(name) for name in ROUTERS),
        netsla_round,
    ]
    in_turn(steps)
    return figures, alone, (last["ok"], last["batches"])


def lab_part(state: Any, workdir: Path) -> None:
    inventory = load_inventory(state.inventory)
    services = {f"s{i}": service(i) for i in range(SERVICES)}
    bench = Bench(inventory, open_store(f"sqlite:///{workdir / 'lab.db'}"))
    asyncio.run(bench.sync.sync_from(ROUTERS))
    sample = sequential_payloads(bench, [services[s] for s in list(services)[:SAMPLE]], workdir)
    base = plain_script(inventory, sample)
    asyncio.run(bench.clean())
    batched = asyncio.run(bench.payloads(services))
    meter = CpuMeter(LAB, ROUTERS)
    used: dict[str, list[CpuUse]] = {k: [] for k in RUNS}

    async def floor_run(name: str, run: Callable[[], Awaitable[None]]) -> float:
        await warm(bench)
        before = meter.reading()
        start = time.perf_counter()
        await run()
        elapsed = time.perf_counter() - start
        used[name].append(meter.since(before))
        await bench.clean()
        return elapsed

    phases = Phases(bench.controller.driver)
    bench.controller.driver = phases.driver

    async def netsla(name: str = "netsla") -> tuple[float, int, int]:
        await warm(bench)
        batcher = Batcher(bench.controller)
        before = meter.reading()
        phases.begin()
        start = time.perf_counter()
        results = await asyncio.gather(*(batcher.submit(s, v) for s, v in services.items()))
        elapsed = time.perf_counter() - start
        used[name].append(meter.since(before))
        phases.end(keep=name == "netsla")  # the phases of the main rounds only
        await bench.controller.apply(dict.fromkeys(services))  # delete: the next round starts clean
        return elapsed, sum(r.ok for r in results), batcher.batches

    figures, alone, (ok, batches) = shared_rounds(bench, batched, floor_run, netsla)
    plain = functools.partial(floor, bench, batched, confirmed=False)
    apart = separate_rounds(
        lambda: floor_run("separate floor", plain), lambda: netsla("separate netsla")
    )
    asyncio.run(bench.pool.close())
    report(figures, used, base=base, ok=ok, batches=batches)
    latency(figures["netsla"], phases.marks, alone)
    idle_cores(phases.idles, figures["netsla"], phases.marks)
    separate(apart, used, shared=(figures["plain"], figures["netsla"]))


def report(
    figures: dict[str, list[float]],
    used: dict[str, list[CpuUse]],
    *,
    base: float,
    ok: int,
    batches: int,
) -> None:
    base_rate = SAMPLE / base
    plain_floor, set_floor, confirmed_floor, rpc, elapsed = (
        statistics.median(figures[k]) for k in ("plain", "set", "confirmed", "rpc", "netsla")
    )
    rate = SERVICES / elapsed
    print(f"baseline plain ncclient script: {SAMPLE} services in {base:.1f} s = {base_rate:.2f}/s")
    print(f"  (measured on a sample of {SAMPLE} services, extrapolated to {SERVICES})")
    print(
        f"medians of {ROUNDS} rounds (floors and netsla alternating, each round in the "
        "reverse order of the one before):"
    )
    for key in ("plain", "set", "confirmed", "rpc", "netsla"):
        print(f"  {key} rounds: " + ", ".join(f"{x * 1000:.0f}" for x in figures[key]) + " ms")
    print(f"floor, one edit+commit per router: {plain_floor * 1000:.0f} ms")
    print(
        "floor, one edit (test-option set: validated by the commit only)+commit per router: "
        f"{set_floor * 1000:.0f} ms"
    )
    print(f"floor, one edit+confirmed commit+confirm per router: {confirmed_floor * 1000:.0f} ms")
    print(
        "floor, netsla's RPC sequence (lock+discard, edit, confirmed commit | all | "
        f"confirm+unlock pipelined): {rpc * 1000:.0f} ms"
    )
    print(f"netsla: {ok}/{SERVICES} services in {elapsed:.2f} s ({batches} batch) = {rate:.0f}/s")
    print(f"netsla / baseline: {rate / base_rate:.0f}x  (target >= 100x)")
    print(f"netsla time / floor (plain commit): {elapsed / plain_floor:.2f}  (target < 1.5)")
    rounds = [n / p for n, p in zip(figures["netsla"], figures["plain"], strict=True)]
    paired = sorted(rounds)
    print(
        f"  per round (netsla over the plain floor of its own round): {paired[0]:.2f} to "
        f"{paired[-1]:.2f}, median {statistics.median(paired):.2f}; "
        f"{sum(r < 1.5 for r in paired)} of {len(paired)} rounds under 1.5; median "
        f"{statistics.median(rounds[0::2]):.2f} in the rounds where netsla ran last, "
        f"{statistics.median(rounds[1::2]):.2f} where it ran first"
    )
    print(f"netsla time / floor (edit with test-option set): {elapsed / set_floor:.2f}")
    print(f"netsla time / floor (confirmed commit): {elapsed / confirmed_floor:.2f}")
    print(f"netsla time / floor (netsla's RPC sequence): {elapsed / rpc:.2f}")
    print(
        "  netsla over its RPC-sequence floor (plan, journal, payloads, the record's part "
        f"not hidden behind the confirms): "
        f"{(elapsed - rpc) * 1000:.0f} ms; RPC sequence over plain floor: "
        f"{(rpc - plain_floor) * 1000:.0f} ms"
    )
    print(
        f"  RPC sequence / floor: {rpc / plain_floor:.2f} (plain commit), "
        f"{rpc / set_floor:.2f} (edit with test-option set): the routers' own share"
    )
    walls = {
        "plain": plain_floor,
        "set": set_floor,
        "confirmed": confirmed_floor,
        "rpc": rpc,
        "netsla": elapsed,
    }
    cpu_budget(used, walls)


def cpu_budget(used: dict[str, list[CpuUse]], walls: dict[str, float]) -> None:
    """Print the CPU time each kind of run took and the wall time it allows at best."""
    n = cores()
    labels = {
        "plain": "floor, plain commit",
        "set": "floor, edit with test-option set",
        "confirmed": "floor, confirmed commit + confirm",
        "rpc": "floor, netsla's RPC sequence",
        "netsla": "netsla",
    }
    print(f"CPU time per run, medians ({n} cores, shared by netsla and the routers):")
    best: dict[str, float] = {}  # the wall time all that CPU time needs at least
    for key, label in labels.items():
        own = statistics.median(u.own for u in used[key])
        routers = statistics.median(u.routers for u in used[key])
        best[key] = (own + routers) / n
        print(
            f"  {label}: routers {routers * 1000:.0f} ms, "
            f"{'netsla' if key == 'netsla' else 'script'} {own * 1000:.0f} ms; "
            f"on {n} cores at least {best[key] * 1000:.0f} ms, so the cores were busy "
            f"{best[key] / walls[key]:.0%} of its {walls[key] * 1000:.0f} ms"
        )
    print(
        f"  netsla time / floor (plain commit) with every core busy all along: "
        f"{best['netsla'] / walls['plain']:.2f}; the rest of the gap is cores left idle "
        "(the planning before any router has work, the wait for the slowest router's "
        "confirmed commit, the tail)"
    )


def latency(
    elapsed: list[float], marks: dict[str, list[float]], alone: dict[str, list[float]]
) -> None:
    """Print netsla's own latency around the routers' work, and the floor of separate routers."""
    first, last = (statistics.median(marks[k]) for k in ("first edit", "last confirm"))
    done = statistics.median(elapsed)
    print(
        f"netsla's run, medians: first edit-config sent at {first * 1000:.0f} ms, last "
        f"confirming commit answered at {last * 1000:.0f} ms, done at {done * 1000:.0f} ms"
    )
    own = statistics.median(f + (d - c) for f, c, d in zip(*marks.values(), elapsed, strict=True))
    slowest = max(statistics.median(times) for times in alone.values())
    print(
        f"floor, one edit+commit on each router alone (the slowest): {slowest * 1000:.0f} ms; "
        "the floor if every router had a machine of its own"
    )
    print(
        f"  netsla's time before the first edit and after the last confirm: {own * 1000:.0f} ms, "
        f"{own / slowest:.2f}x that floor"
    )


def idle_cores(
    idles: list[dict[str, float]], elapsed: list[float], marks: dict[str, list[float]]
) -> None:
    """Print how long the cores were idle in netsla's runs, and when (the kernel's count)."""
    if not idles:
        print("idle cores: this kernel reports no cpuidle states")
        return
    first, last = (statistics.median(marks[k]) for k in ("first edit", "last confirm"))
    spans = {"before": first, "during": last - first, "after": statistics.median(elapsed) - last}
    labels = {
        "before": "before the first edit-config",
        "during": "from it to the last confirming commit",
        "after": "after that",
    }
    n = cores()
    parts = []
    for key, label in labels.items():
        idle = statistics.median(i[key] for i in idles)
        parts.append(f"{label} {idle * 1000:.0f} ms ({idle / (n * spans[key]):.0%} of the cores)")
    total = statistics.median(sum(i.values()) for i in idles)
    print(f"idle core time in netsla's run, medians: {total * 1000:.0f} ms: " + "; ".join(parts))


def separate_rounds(
    floor_run: Callable[[], Coroutine[Any, Any, float]],
    netsla: Callable[[], Coroutine[Any, Any, tuple[float, int, int]]],
) -> dict[str, list[float]]:
    """Floor and netsla alternating, the routers on a core of their own (none: one core)."""
    apart: dict[str, list[float]] = {"separate floor": [], "separate netsla": []}
    if cores() < 2:
        return apart
    with separate_cores(LAB, ROUTERS):
        in_turn(
            [
                lambda: apart["separate floor"].append(asyncio.run(floor_run())),
                lambda: apart["separate netsla"].append(asyncio.run(netsla())[0]),
            ]
        )
    return apart


def separate(
    apart: dict[str, list[float]],
    used: dict[str, list[CpuUse]],
    *,
    shared: tuple[list[float], list[float]],
) -> None:
    """Print the floor and netsla with the routers on a core of their own."""
    if not apart["separate floor"]:
        print("separate cores: one core only, not measured")
        return
    floor_time, netsla_time = (statistics.median(apart[k]) for k in apart)
    shared_floor, shared_netsla = (statistics.median(times) for times in shared)
    routers, own = (
        statistics.median(getattr(u, part) for u in used["separate netsla"])
        for part in ("routers", "own")
    )
    floor_routers = statistics.median(u.routers for u in used["separate floor"])
    print(
        f"separate cores, medians of {ROUNDS} rounds (floor and netsla alternating), the "
        "routers on one core and netsla on the other(s), so that netsla's CPU time does "
        "not slow the routers:"
    )
    for key, times in apart.items():
        print(f"  {key} rounds: " + ", ".join(f"{x * 1000:.0f}" for x in times) + " ms")
    print(
        f"  floor, one edit+commit per router: {floor_time * 1000:.0f} ms (the routers' work "
        f"one after another on their core: {floor_routers * 1000:.0f} ms of CPU); netsla: "
        f"{netsla_time * 1000:.0f} ms (its CPU {own * 1000:.0f} ms, the routers' "
        f"{routers * 1000:.0f} ms)"
    )
    print(
        f"  netsla's time over the floor: {(netsla_time - floor_time) * 1000:.0f} ms without "
        f"contention, against {(shared_netsla - shared_floor) * 1000:.0f} ms on shared cores; "
        f"netsla time / floor {netsla_time / floor_time:.2f} (not the target's ratio: this "
        "floor is the three routers' work in series)"
    )


STORE_ROUTERS = tuple(f"pe{i}" for i in range(1, 7))  # 802.1Q ids for 10,000 two-site services


def populate(store: Store, count: int) -> None:
    """``count`` services recorded as applied (planned and recorded; no device I/O)."""
    platforms = dict.fromkeys(STORE_ROUTERS, "netsla-router")
    with store.session() as session:
        for name in STORE_ROUTERS:
            ServiceRepository(session).replace_device_config(name, "netsla-router", {})
    for start in range(0, count, 500):
        batch = {f"s{i}": service(i, STORE_ROUTERS) for i in range(start, min(count, start + 500))}
        with store.session() as session:
            repo = ServiceRepository(session)
            record(repo, plan_change(repo, batch, platforms=platforms, sla={}), tx=None)


def dry_run_part(workdir: Path) -> None:
    platforms = dict.fromkeys(STORE_ROUTERS, "netsla-router")
    changed = service(7, STORE_ROUTERS)
    doc = copy.deepcopy(dict(changed.document))
    site = doc["ietf-l3vpn-svc:l3vpn-svc"]["sites"]["site"][0]
    site["site-network-accesses"]["site-network-access"][0]["service"]["svc-input-bandwidth"] = (
        7000000
    )
    (one_site_change,) = services_of([doc]).values()
    medians: dict[int, float] = {}
    for count in (1_000, 10_000):
        store = open_store(f"sqlite:///{workdir / f'dry{count}.db'}")
        start = time.perf_counter()
        populate(store, count)
        filled = time.perf_counter() - start
        controller = Controller(store=store, platforms=platforms, driver=_no_driver)
        asyncio.run(controller.apply({"s7": one_site_change}, dry_run=True))  # warm-up
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            outcome = asyncio.run(controller.apply({"s7": one_site_change}, dry_run=True))
            times.append(time.perf_counter() - t0)
        edits = sum(len(w.edits) for w in outcome.plan.changed.values())
        medians[count] = statistics.median(times)
        print(
            f"dry-run of a one-site change with {count} services stored: "
            f"median {medians[count] * 1000:.1f} ms ({edits} edits; "
            f"store filled in {filled:.0f} s)  (target < 1 s at 10,000)"
        )
        store.close()
    print(
        f"dry-run 10,000 / 1,000 services stored: {medians[10_000] / medians[1_000]:.2f}  "
        "(1.0: the cost does not grow with the services stored)"
    )


def _no_driver(name: str) -> Any:
    raise AssertionError(f"a dry run touches no device ({name})")


def interpreter() -> str:
    """Which Python runs netsla, and whether its mypyc-compiled modules are in use."""
    names = [f"controller.{m}" for m in ("footprint", "planner", "store.footprints", "render.xml")]
    compiled = sum(
        isinstance(importlib.import_module(n).__loader__, ExtensionFileLoader) for n in names
    )
    return (
        f"Python {platform.python_version()} ({sys.executable}); "
        f"{compiled} of {len(names)} sampled netsla modules compiled (mypyc)"
    )


def main() -> None:
    print(interpreter())
    state = api.up(None, name=LAB, port_base=PORT_BASE)
    # The routers' forwarding and probes are not what is measured: the lab's
    # dataplane agent would build 400 VRF namespaces after each commit, and
    # each router's prober re-read its configuration and run its probes, on
    # the same cores as the routers' NETCONF work and the controller.
    api.stop_dataplane(LAB)
    api.stop_probers(LAB)
    try:
        with tempfile.TemporaryDirectory() as folder:
            lab_part(state, Path(folder))
            dry_run_part(Path(folder))
    finally:
        api.down(LAB)


if __name__ == "__main__":
    main()
