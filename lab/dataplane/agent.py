"""The dataplane agent of a lab: watch the routers' configurations, reconcile the kernel.

Run by the lab as ``python -m lab.dataplane TOPOLOGY STATUS`` (TOPOLOGY is the
lab's ``topology.yaml``; the lab folder is its parent).  Every
``POLL_INTERVAL`` it looks at each router's startup file, which netconfd
rewrites on every commit; when one changed (or every ``RESYNC_INTERVAL``, or
``RETRY_INTERVAL`` after a failed round) it plans the dataplane
(:func:`lab.dataplane.plan.build_plan`), reads what the dataplane namespaces
hold, and runs the batches of :func:`lab.dataplane.kernel.changes`.  A router
whose file cannot be read or parsed keeps its last good configuration.

The dataplane's namespaces are every ``<lab>-*`` namespace that is not a node
or core-link namespace of the topology.  After each round the agent writes
STATUS (JSON, replaced atomically): the startup files' stamps it reflects,
its namespaces, the planner's notes and the round's error, if any.  On
SIGTERM it leaves the dataplane as it is (``lab down`` removes the
namespaces; a restarted agent finds and keeps its devices).
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import netns
from lab.agents import RouterFiles
from lab.dataplane.config import RouterConfig, parse_router
from lab.dataplane.kernel import OBSERVE_BATCH, Changes, changes, parse_observed
from lab.dataplane.model import Observed, Plan, Role
from lab.dataplane.plan import build_plan
from lab.errors import LabError
from lab.files import Stamp, replace_file, stamp
from lab.nsthread import run_inside
from lab.topology import Topology, load_topology

POLL_INTERVAL = 0.2
RESYNC_INTERVAL = 30.0
RETRY_INTERVAL = 1.0
WORKERS = 8
STATUS_NAME = "dataplane.json"


def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} dataplane: {message}", file=sys.stderr, flush=True)


def startup_file(lab_dir: Path, router: str) -> Path:
    """The router's startup file (:class:`lab.agents.RouterFiles`)."""
    return RouterFiles(dir=lab_dir / router).startup


def dataplane_namespaces(topology: Topology) -> list[str]:
    """The existing namespaces of the lab that the dataplane owns."""
    own = set(netns.lab_namespaces(topology))
    return [n for n in netns.existing_namespaces(f"{topology.name}-") if n not in own]


def observe(name: str) -> Observed | None:
    """What namespace ``name`` holds (None when it vanished meanwhile)."""
    ip = subprocess.run(
        [netns.IP, "-n", name, "-json", "-details", "-batch", "-"],
        input="\n".join(OBSERVE_BATCH) + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    tc = subprocess.run(
        [netns.TC, "-n", name, "-json", "qdisc", "show"],
        capture_output=True,
        text=True,
        check=False,
    )
    if ip.returncode != 0 or tc.returncode != 0:
        return None
    return parse_observed(ip.stdout, tc.stdout)


def _sysctls(name: str, values: Mapping[str, str]) -> None:
    """Write ``/proc/sys`` values inside namespace ``name``."""

    def write() -> None:
        for key, value in values.items():
            Path("/proc/sys", key.replace(".", "/")).write_text(f"{value}\n")

    try:
        run_inside(name, write)
    except OSError as exc:
        raise LabError(f"sysctl in {name}: {exc}") from None


def _add_namespaces(plan: Plan, names: Sequence[str]) -> None:
    """Make namespaces with IPv6 off (and forwarding on for VRFs), or none at all."""
    netns.run_batch([f"netns add {n}" for n in names])
    try:
        for name in names:
            values = {
                "net.ipv6.conf.all.disable_ipv6": "1",
                "net.ipv6.conf.default.disable_ipv6": "1",
            }
            if plan.namespaces[name].role is Role.VRF:
                values["net.ipv4.ip_forward"] = "1"
            _sysctls(name, values)
    except LabError:
        netns.delete(names)
        raise


def _parallel(pool: ThreadPoolExecutor, batches: Mapping[str, list[str]], tool: str) -> list[str]:
    """Run one batch per namespace; the errors, one line each."""
    futures = {
        ns: pool.submit(netns.run_batch, lines, netns=ns, tool=tool)
        for ns, lines in batches.items()
    }
    errors = []
    for future in futures.values():
        try:
            future.result()
        except LabError as exc:
            errors.append(str(exc))
    return errors


def apply(plan: Plan, todo: Changes, pool: ThreadPoolExecutor) -> list[str]:
    """Run the batches phase by phase; stop after the first phase with errors."""
    phases: list[Callable[[], list[str]]] = [
        lambda: _parallel(pool, todo.remove, netns.IP),
        lambda: _guard(lambda: netns.delete(todo.delete_namespaces)),
        lambda: _guard(lambda: _add_namespaces(plan, todo.add_namespaces)),
        lambda: _parallel(pool, todo.create, netns.IP),
        lambda: _parallel(pool, todo.configure, netns.IP),
        lambda: _parallel(pool, todo.shape, netns.TC),
    ]
    for phase in phases:
        errors = phase()
        if errors:
            return errors
    return []


def _guard(action: Callable[[], None]) -> list[str]:
    try:
        action()
    except LabError as exc:
        return [str(exc)]
    return []


@dataclass
class Round:
    """The outcome of one reconciliation."""

    commands: int
    seconds: float
    errors: list[str]


class Agent:
    """Keeps the dataplane of one lab in line with its routers' configurations."""

    def __init__(self, *, topology: Topology, lab_dir: Path, status: Path) -> None:
        self.topology = topology
        self.lab_dir = lab_dir
        self.status = status
        self.stamps: dict[str, Stamp | None] = {}
        self.configs: dict[str, RouterConfig] = {}
        self.notes: tuple[str, ...] = ()
        self.pool = ThreadPoolExecutor(max_workers=WORKERS)

    def read_configs(self) -> bool:
        """Re-read changed startup files; whether any was read (changed or not)."""
        changed = False
        for router in (r.name for r in self.topology.routers):
            path = startup_file(self.lab_dir, router)
            current = stamp(path)
            if current is None or current == self.stamps.get(router):
                continue
            try:
                config = parse_router(path.read_bytes())
            except (OSError, ValueError) as exc:
                _log(f"cannot read {path}: {exc}; keeping the last configuration")
                continue
            self.stamps[router] = current
            self.configs[router] = config
            changed = True
        return changed

    def reconcile(self) -> Round:
        started = time.monotonic()
        plan = build_plan(lab=self.topology.name, topology=self.topology, configs=self.configs)
        if plan.notes != self.notes:
            for note in plan.notes:
                _log(note)
            self.notes = plan.notes
        names = dataplane_namespaces(self.topology)
        found = dict(zip(names, self.pool.map(observe, names), strict=True))
        observed = {n: o for n, o in found.items() if o is not None}
        todo = changes(plan, observed)
        errors = [] if todo.empty() else apply(plan, todo, self.pool)
        result = Round(commands=todo.count(), seconds=time.monotonic() - started, errors=errors)
        self.write_status(plan, result)
        return result

    def write_status(self, plan: Plan, result: Round) -> None:
        document = {
            "updated-us": time.time_ns() // 1000,
            "stamps": {r: list(s) for r, s in self.stamps.items() if s is not None},
            "namespaces": [
                {"name": ns.name, "role": str(ns.role), "owner": ns.owner, "label": ns.label}
                for ns in plan.namespaces.values()
            ],
            "notes": list(plan.notes),
            "commands": result.commands,
            "seconds": round(result.seconds, 4),
            "errors": result.errors,
        }
        replace_file(self.status, json.dumps(document, indent=1).encode())

    def ready(self) -> bool:
        """Whether every router with a startup file was read once.

        Until then a router's VRFs would look unwanted: a restarted agent would
        remove them.
        """
        return all(
            r.name in self.configs or stamp(startup_file(self.lab_dir, r.name)) is None
            for r in self.topology.routers
        )

    def run(self, stop: threading.Event) -> None:
        next_round = 0.0
        while not stop.is_set():
            changed = self.read_configs()
            if self.ready() and (changed or time.monotonic() >= next_round):
                result = self.reconcile()
                if result.commands:
                    _log(f"{result.commands} changes in {result.seconds * 1000:.0f} ms")
                for error in result.errors:
                    _log(f"error: {error}")
                delay = RETRY_INTERVAL if result.errors else RESYNC_INTERVAL
                next_round = time.monotonic() + delay
            stop.wait(POLL_INTERVAL)
        self.pool.shutdown()


def read_status(lab_dir: Path) -> dict[str, Any] | None:
    """The agent's last status document, or None (not written yet, unreadable)."""
    try:
        data = json.loads((lab_dir / STATUS_NAME).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def converged(lab_dir: Path, routers: Sequence[str]) -> bool:
    """Whether the agent's last round reflects every router's current startup file, cleanly."""
    status = read_status(lab_dir)
    if status is None or status.get("errors"):
        return False
    stamps = status.get("stamps", {})
    for router in routers:
        current = stamp(startup_file(lab_dir, router))
        if current is not None and stamps.get(router) != list(current):
            return False
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m lab.dataplane TOPOLOGY STATUS", file=sys.stderr)
        return 2
    topology_path, status = Path(args[0]), Path(args[1])
    topology = load_topology(topology_path)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    _log(f"lab {topology.name}: watching {len(topology.routers)} routers, status {status}")
    with contextlib.suppress(KeyboardInterrupt):
        Agent(topology=topology, lab_dir=topology_path.parent, status=status).run(stop)
    return 0
