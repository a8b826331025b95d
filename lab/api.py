"""Bring labs up and down, inspect them, stop and start agents, impair links.

Besides the routers' agents, a lab runs one forwarder (the published
127.0.0.1 ports) and one dataplane agent (:mod:`lab.dataplane`), which
realises the routers' VRFs in namespaces of their own.

``up`` is idempotent: a healthy running lab is left alone, and anything left
over by a crashed or half-finished ``up`` (namespaces, processes, sockets,
files) is removed first.  If ``up`` fails, it removes what it made, so a
failure leaves nothing behind.  ``down`` removes processes (by PID),
namespaces and files, and succeeds when there is nothing to remove.
"""

from __future__ import annotations

import json
import shutil
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from lab import agents, keys, netns, process, sil, snmpprobe, system
from lab import impair as impairments
from lab.agents import AGENT_DAEMONS, Agent, Daemon, RouterFiles
from lab.dataplane import agent as dataplane
from lab.errors import LabArgumentError, LabError
from lab.inventory import build_inventory, router_facts, write_all
from lab.shuttle import Impairment
from lab.state import (
    LOCALHOST,
    PORTS_PER_LAB,
    LabPaths,
    LabState,
    RouterFacts,
    default_port_base,
    paths,
    read_state,
)
from lab.topology import LinkKind, Topology, load_topology
from southbound.inventory import CommunitySecret, load_secrets

BANNER_TIMEOUT = 2.0
DATAPLANE_TIMEOUT = 10.0


def _marker(lab: LabPaths) -> str:
    return f"{lab.dir}/"


def _files(lab: LabPaths, router: str) -> RouterFiles:
    return RouterFiles(dir=lab.node_dir(router), sil_dir=lab.sil_dir)


def _resolve(topology: Topology | Path | str | None, name: str | None) -> Topology:
    if isinstance(topology, Topology):
        return topology if name is None else replace(topology, name=name)
    return load_topology(topology, name=name)


def _healthy(state: LabState, topology_text: str) -> bool:
    lab = paths(state.name)
    try:
        if lab.topology.read_text() != topology_text:
            return False
    except OSError:
        return False
    marker = _marker(lab)
    if process.running(lab.dir / "forwarder.pid", marker) is None:
        return False
    if process.running(_dataplane_pidfile(lab), marker) is None:
        return False
    # Namespaces beyond the topology's belong to the dataplane agent.
    if not set(state.namespaces) <= set(netns.existing_namespaces(f"{state.name}-")):
        return False
    return all(
        process.running(_files(lab, r.name).pidfile(d), marker) is not None
        for r in state.routers
        for d in Daemon
    )


def up(
    topology: Topology | Path | str | None = None,
    *,
    name: str | None = None,
    port_base: int | None = None,
) -> LabState:
    """Bring a lab up (the default topology when ``topology`` is None) and return its state."""
    topo = _resolve(topology, name)
    system.require_root()
    lab = paths(topo.name)
    text = _topology_text(topo)
    previous = read_state(topo.name)
    same_ports = previous is not None and port_base in (None, previous.port_base)
    if previous is not None and same_ports and _healthy(previous, text):
        return previous
    down(topo.name)
    base = port_base or (previous.port_base if previous else default_port_base(topo.name))
    routers = router_facts(topo, port_base=base)
    _check_ports(routers, base)
    try:
        return _build(topo, lab, routers, base, text)
    except BaseException:
        down(topo.name)
        raise


def _topology_text(topo: Topology) -> str:
    """The topology as remembered in the lab folder (its name and links, canonical)."""
    lines = [f"name: {topo.name}", "nodes:"]
    lines += [f"  - {{name: {n.name}, kind: {n.kind}}}" for n in topo.nodes]
    lines.append("links:")
    lines += [
        f"  - {{name: {link.name}, endpoints: [{link.a}, {link.b}], "
        f"subnet: {link.a.address.network}}}"
        for link in topo.links
    ]
    return "\n".join(lines) + "\n"


def _check_ports(routers: tuple[RouterFacts, ...], base: int) -> None:
    if len(routers) * 2 > PORTS_PER_LAB:
        raise LabError(f"at most {PORTS_PER_LAB // 2} routers per lab")
    if not 1024 <= base <= 65535 - PORTS_PER_LAB:
        raise LabArgumentError(f"port base {base} out of range 1024..{65535 - PORTS_PER_LAB}")
    wanted = [("tcp", r.netconf_port) for r in routers] + [("udp", r.snmp_port) for r in routers]
    taken = system.ports_in_use(wanted)
    if taken:
        raise LabError(
            f"ports in use on {LOCALHOST}: {', '.join(taken)} (choose another port base)"
        )


def _build(
    topo: Topology, lab: LabPaths, routers: tuple[RouterFacts, ...], base: int, text: str
) -> LabState:
    system.ensure_netconf_user()
    lab.dir.mkdir(parents=True, mode=0o755)
    lab.dir.chmod(0o755)
    lab.topology.write_text(text)
    sil.ensure_built(lab.sil_dir)
    netns.build(topo)
    client = keys.write_ed25519_key(lab.client_key, comment=f"netsla-{topo.name}")
    lab.authorized_keys.write_text(client + "\n")
    snmp = keys.new_snmp_secrets()
    known_hosts = []
    for r in routers:
        files = _files(lab, r.name)
        agents.write_router_files(files, router=r.name, lab=lab, snmp=snmp)
        public = keys.write_ed25519_key(files.host_key, comment=f"{topo.name}-{r.name}")
        known_hosts.append(
            keys.known_hosts_line(host=LOCALHOST, port=r.netconf_port, public_key=public)
        )
        agents.start(files, list(Daemon), netns=r.namespace)
    _start_forwarder(lab, routers)
    _start_dataplane(lab)
    agents.wait_ready(
        [(_files(lab, r.name), d) for r in routers for d in Daemon], marker=_marker(lab)
    )
    _wait_dataplane(lab)
    write_all(
        build_inventory(topo, routers=routers, lab=lab),
        lab=lab,
        snmp=snmp,
        known_hosts=known_hosts,
    )
    _wait_published(routers)
    state = LabState(
        name=topo.name,
        port_base=base,
        dir=lab.dir,
        inventory=lab.inventory,
        known_hosts=lab.known_hosts,
        ssh_config=lab.ssh_config,
        secrets=lab.secrets,
        routers=routers,
        hosts=tuple(h.name for h in topo.hosts),
        namespaces=tuple(netns.lab_namespaces(topo)),
    )
    lab.state.write_text(state.to_json())
    return state


def _start_forwarder(lab: LabPaths, routers: tuple[RouterFacts, ...]) -> None:
    routes = []
    for r in routers:
        routes.append({"proto": "tcp", "port": r.netconf_port, "netns": r.namespace,
                       "target": agents.NETCONF_PORT})  # fmt: skip
        routes.append({"proto": "udp", "port": r.snmp_port, "netns": r.namespace,
                       "target": agents.SNMP_PORT})  # fmt: skip
    lab.forwarder_config.write_text(json.dumps(routes))
    process.spawn(
        [sys.executable, "-m", "lab.forwarder", str(lab.forwarder_config)],
        netns=None,
        log=lab.dir / "forwarder.log",
        pidfile=lab.dir / "forwarder.pid",
    )


def _dataplane_pidfile(lab: LabPaths) -> Path:
    return lab.dir / "dataplane.pid"


def _start_dataplane(lab: LabPaths) -> None:
    process.spawn(
        [sys.executable, "-m", "lab.dataplane", str(lab.topology), str(_dataplane_status(lab))],
        netns=None,
        log=lab.dir / "dataplane.log",
        pidfile=_dataplane_pidfile(lab),
    )


def stop_dataplane(name: str) -> None:
    """Stop lab ``name``'s dataplane agent; what it made stays until ``down``.

    For work on the control plane alone (the controller benchmark): the
    agent's kernel work for hundreds of VRFs would share the CPUs with the
    routers and the controller.  ``up`` starts the agent again.
    """
    require_state(name)
    lab = paths(name)
    process.stop_pidfiles([_dataplane_pidfile(lab)], _marker(lab))


def stop_probers(name: str) -> None:
    """Stop the SLA prober of every router of lab ``name``; ``up`` starts them again.

    For work on the NETCONF control plane alone (the controller benchmark):
    a prober re-reads its router's configuration after each commit that
    rewrites it and runs the probes it finds, on the cores the routers and
    the controller share.
    """
    state = require_state(name)
    lab = paths(name)
    for router in state.routers:
        agents.stop(_files(lab, router.name), [Daemon.PROBER], marker=_marker(lab))


def _dataplane_status(lab: LabPaths) -> Path:
    return lab.dir / dataplane.STATUS_NAME


def _wait_dataplane(lab: LabPaths, timeout: float = DATAPLANE_TIMEOUT) -> None:
    """Wait for the dataplane agent's first round (its status file)."""
    deadline = time.monotonic() + timeout
    while not _dataplane_status(lab).exists():
        if process.running(_dataplane_pidfile(lab), _marker(lab)) is None:
            raise LabError(f"the dataplane agent exited; see {lab.dir / 'dataplane.log'}")
        if time.monotonic() > deadline:
            raise LabError(f"the dataplane agent wrote no status after {timeout:.0f} s")
        time.sleep(0.02)


def ssh_banner(port: int, *, timeout: float = BANNER_TIMEOUT) -> bool:
    """Whether an SSH server answers with its identification string on 127.0.0.1:``port``."""
    try:
        with socket.create_connection((LOCALHOST, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def _wait_published(routers: tuple[RouterFacts, ...], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    pending = list(routers)
    while pending:
        pending = [r for r in pending if not ssh_banner(r.netconf_port, timeout=0.5)]
        if pending and time.monotonic() > deadline:
            raise LabError(
                f"NETCONF of {pending[0].name} not published on {pending[0].netconf_port}"
            )
        if pending:
            time.sleep(0.02)


def down(name: str) -> None:
    """Remove lab ``name``: its processes (by PID), namespaces and files."""
    lab = paths(name)
    system.require_root()
    state = read_state(name)
    if lab.dir.exists():
        pidfiles = [p for p in lab.dir.rglob("*.pid") if not p.name.endswith(".own.pid")]
        process.stop_pidfiles(pidfiles, _marker(lab))
    names = set(netns.existing_namespaces(f"{name}-"))
    if state is not None:
        names |= set(state.namespaces)
    netns.delete(sorted(names))
    shutil.rmtree(lab.dir, ignore_errors=True)


def require_state(name: str) -> LabState:
    state = read_state(name)
    if state is None:
        raise LabError(f"lab {name!r} is not up (no {paths(name).state})")
    return state


@dataclass(frozen=True, kw_only=True)
class RouterStatus:
    name: str
    namespace: str
    netconf_port: int
    snmp_port: int
    daemons: dict[str, bool]
    netconf_answers: bool
    snmp_answers: bool
    vrfs: tuple[str, ...] = ()  # VRFs the dataplane agent realised, by name

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": "router",
            "namespace": self.namespace,
            "netconf": {
                "host": LOCALHOST,
                "port": self.netconf_port,
                "answers": self.netconf_answers,
            },
            "snmp": {"host": LOCALHOST, "port": self.snmp_port, "answers": self.snmp_answers},
            "agents": self.daemons,
            "vrfs": list(self.vrfs),
        }


def status(name: str) -> list[RouterStatus]:
    """Each router of lab ``name``: its published ports, its daemons, whether they answer.

    The lab's dataplane agent shows with each router's daemons (``dataplane``),
    with the VRFs it realised on that router.
    """
    state = require_state(name)
    lab = paths(name)
    community = load_secrets(lab.secrets).get("snmp-community")
    marker = _marker(lab)
    dataplane_up = process.running(_dataplane_pidfile(lab), marker) is not None
    realised = (dataplane.read_status(lab.dir) or {}).get("namespaces", [])

    def one(r: RouterFacts) -> RouterStatus:
        files = _files(lab, r.name)
        daemons = {str(d): agents.ready(files, d, marker=marker) for d in Daemon}
        daemons["dataplane"] = dataplane_up
        vrfs = tuple(n["label"] for n in realised if n["role"] == "vrf" and n["owner"] == r.name)
        snmp_ok = isinstance(community, CommunitySecret) and snmpprobe.answers(
            host=LOCALHOST, port=r.snmp_port, community=community.community
        )
        return RouterStatus(
            name=r.name,
            namespace=r.namespace,
            netconf_port=r.netconf_port,
            snmp_port=r.snmp_port,
            daemons=daemons,
            netconf_answers=daemons[Daemon.NETCONFD] and ssh_banner(r.netconf_port),
            snmp_answers=snmp_ok,
            vrfs=vrfs,
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, state.routers))


def stopped_daemons(name: str) -> list[tuple[str, Daemon, Path]]:
    """Each (router, daemon, its log) of lab ``name`` whose process is not running."""
    state = require_state(name)
    lab = paths(name)
    marker = _marker(lab)
    stopped = []
    for router in state.routers:
        files = _files(lab, router.name)
        stopped += [
            (router.name, daemon, files.log(daemon))
            for daemon in Daemon
            if process.running(files.pidfile(daemon), marker) is None
        ]
    return stopped


def stop_agent(name: str, router: str, agent: Agent) -> None:
    """Kill one router's agent (netconf: its netconfd; snmp: its snmpd) and wait for it."""
    state = require_state(name)
    state.router(router)
    daemon = Daemon.NETCONFD if agent is Agent.NETCONF else Daemon.SNMPD
    agents.stop(_files(paths(name), router), [daemon], marker=_marker(paths(name)))


def start_agent(name: str, router: str, agent: Agent) -> None:
    """Start whichever daemons of ``agent`` are not running on ``router``, and wait for them."""
    state = require_state(name)
    facts = state.router(router)
    lab = paths(name)
    files = _files(lab, router)
    marker = _marker(lab)
    missing = [d for d in AGENT_DAEMONS[agent] if process.running(files.pidfile(d), marker) is None]
    agents.start(files, missing, netns=facts.namespace)
    agents.wait_ready([(files, d) for d in AGENT_DAEMONS[agent]], marker=marker)


def impair(
    name: str,
    link: str,
    *,
    delay_ms: float = 0.0,
    jitter_ms: float = 0.0,
    loss_percent: float = 0.0,
    clear: bool = False,
) -> None:
    """Impair core link ``link`` of lab ``name`` in both directions, or clear it."""
    require_state(name)
    lab = paths(name)
    topology = load_topology(lab.topology)
    target = topology.link(link)
    if clear:
        impairments.clear(lab, target)
        return
    impairments.apply(
        lab,
        target,
        Impairment(delay_ms=delay_ms, jitter_ms=jitter_ms, loss_percent=loss_percent),
    )


def impairments_of(name: str) -> dict[str, Impairment | None]:
    """The impairment in force on each core link of lab ``name``."""
    require_state(name)
    lab = paths(name)
    topology = load_topology(lab.topology)
    return {
        link.name: impairments.current(lab, link)
        for link in topology.links
        if link.kind is LinkKind.CORE
    }
