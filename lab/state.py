"""Where a lab keeps its state, which ports it publishes, and what it remembers.

Every file of lab ``<lab>`` lives under ``$NETSLA_LAB_ROOT/<lab>/`` (default
root ``/var/lib/netsla/lab``).  Every published port derives from the lab's
port base: router number ``i`` (0-based, in topology order) publishes NETCONF
on ``base + 2i`` and SNMP on ``base + 2i + 1``.  Default port bases keep
out of the kernel's ephemeral ports (``ip_local_port_range``), where any
outgoing connection's local port could hold one of the lab's ports when it
comes up.
"""

from __future__ import annotations

import json
import os
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

from lab.errors import LabArgumentError, LabError
from lab.topology import LAB_NAME

DEFAULT_ROOT = Path("/var/lib/netsla/lab")
PORTS_PER_LAB = 100
PORT_BASE_MIN = 20000
EPHEMERAL_PORTS = Path("/proc/sys/net/ipv4/ip_local_port_range")
LINUX_EPHEMERAL_PORTS = (32768, 60999)  # Linux's default range
LOCALHOST = "127.0.0.1"
NETCONF_USER = "netsla-lab"
SNMP_V3_USER = "netsla"
NETCONF_CREDENTIAL = "netconf"
SNMP_COMMUNITY_REF = "snmp-community"
SNMP_V3_CREDENTIAL = "snmp-v3"
PLATFORM = "netsla-router"


def lab_root() -> Path:
    return Path(os.environ.get("NETSLA_LAB_ROOT", str(DEFAULT_ROOT)))


def ephemeral_ports() -> tuple[int, int]:
    """The kernel's range of local ports for outgoing connections (lowest, highest)."""
    try:
        low, high = (int(word) for word in EPHEMERAL_PORTS.read_text().split())
    except (OSError, ValueError):
        return LINUX_EPHEMERAL_PORTS
    return low, high


def port_bases() -> list[int]:
    """The default port bases: whole blocks of :data:`PORTS_PER_LAB` ports from
    :data:`PORT_BASE_MIN` up, none of them an ephemeral port (:func:`ephemeral_ports`)."""
    low, high = ephemeral_ports()
    return [
        base
        for base in range(PORT_BASE_MIN, 65536 - PORTS_PER_LAB + 1, PORTS_PER_LAB)
        if base + PORTS_PER_LAB <= low or base > high
    ]


def _some_port_bases() -> list[int]:
    bases = port_bases()
    if not bases:
        low, high = ephemeral_ports()
        raise LabError(
            f"every port from {PORT_BASE_MIN} up is an ephemeral port ({low}-{high}): "
            "choose a port base"
        )
    return bases


def default_port_base(name: str) -> int:
    """A port base chosen from the lab name, so that different labs rarely collide."""
    bases = _some_port_bases()
    return bases[zlib.crc32(name.encode()) % len(bases)]


def next_port_base(base: int, steps: int = 1) -> int:
    """The default port base ``steps`` after ``base`` (wrapping): one for another lab
    beside a lab at ``base``."""
    bases = _some_port_bases()
    later = [b for b in bases if b > base]
    return (later + bases)[(steps - 1) % len(bases)]


def namespace(lab: str, node: str) -> str:
    return f"{lab}-{node}"


def link_namespace(lab: str, link: str) -> str:
    """The namespace in the middle of a core link (``<lab>-<a>-<b>``; node names hold no dash)."""
    return f"{lab}-{link}"


def vrf_namespace(lab: str, router: str, vrf: str) -> str:
    """The namespace realising VRF ``vrf`` of ``router`` (``<lab>-<router>-vrf-<vrf>``).

    The VRF name is percent-encoded outside ``[A-Za-z0-9._-]`` (a ``/`` cannot
    be in a namespace name).  The dataplane agent (:mod:`lab.dataplane`) makes
    it; the prober sends a probe of that VRF from it.
    """
    return f"{lab}-{router}-vrf-{quote(vrf, safe='._-')}"


def site_namespace(lab: str, host: str, vlan: int) -> str:
    """The customer site behind CE host ``host`` on VLAN ``vlan`` (``<lab>-<host>-<vlan>``)."""
    return f"{lab}-{host}-{vlan}"


@dataclass(frozen=True, kw_only=True)
class LabPaths:
    """Files of one lab."""

    lab: str
    root: Path

    @property
    def dir(self) -> Path:
        return self.root / self.lab

    @property
    def state(self) -> Path:
        return self.dir / "state.json"

    @property
    def topology(self) -> Path:
        return self.dir / "topology.yaml"

    @property
    def inventory(self) -> Path:
        return self.dir / "inventory.yaml"

    @property
    def known_hosts(self) -> Path:
        return self.dir / "known_hosts"

    @property
    def ssh_config(self) -> Path:
        return self.dir / "ssh_config"

    @property
    def secrets(self) -> Path:
        return self.dir / "secrets.yaml"

    @property
    def client_key(self) -> Path:
        return self.dir / "netconf_key"

    @property
    def authorized_keys(self) -> Path:
        return self.dir / "authorized_keys"

    @property
    def forwarder_config(self) -> Path:
        return self.dir / "forwarder.json"

    def pidfile(self, owner: str, process: str) -> Path:
        return self.node_dir(owner) / f"{process}.pid"

    def node_dir(self, node: str) -> Path:
        return self.dir / node

    @property
    def sil_dir(self) -> Path:
        """Where ``lab up`` builds the routers' netconfd instrumentation (:mod:`lab.sil`)."""
        return self.dir / "yuma-sil"


def paths(lab: str) -> LabPaths:
    """The files of lab ``lab``; a name that is not a lab name (``..``, ``a/b``) is refused."""
    if not LAB_NAME.fullmatch(lab):
        raise LabArgumentError(f"lab name {lab!r} must match {LAB_NAME.pattern}")
    return LabPaths(lab=lab, root=lab_root())


@dataclass(frozen=True, kw_only=True)
class RouterFacts:
    name: str
    namespace: str
    netconf_port: int
    snmp_port: int


@dataclass(frozen=True, kw_only=True)
class LabState:
    """What ``up`` made, remembered in ``state.json`` for ``status``, ``down`` and tests."""

    name: str
    port_base: int
    dir: Path
    inventory: Path
    known_hosts: Path
    ssh_config: Path
    secrets: Path
    routers: tuple[RouterFacts, ...]
    hosts: tuple[str, ...]
    namespaces: tuple[str, ...]

    def router(self, name: str) -> RouterFacts:
        for router in self.routers:
            if router.name == name:
                return router
        raise LabError(f"lab {self.name!r} has no router {name!r}")

    def to_json(self) -> str:
        data = asdict(self)
        for key in ("dir", "inventory", "known_hosts", "ssh_config", "secrets"):
            data[key] = str(data[key])
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> LabState:
        data = json.loads(text)
        return cls(
            name=data["name"],
            port_base=int(data["port_base"]),
            dir=Path(data["dir"]),
            inventory=Path(data["inventory"]),
            known_hosts=Path(data["known_hosts"]),
            ssh_config=Path(data["ssh_config"]),
            secrets=Path(data["secrets"]),
            routers=tuple(RouterFacts(**r) for r in data["routers"]),
            hosts=tuple(data["hosts"]),
            namespaces=tuple(data["namespaces"]),
        )


def read_state(lab: str) -> LabState | None:
    """The remembered state of ``lab``, or None when it has none (or it is unreadable)."""
    try:
        return LabState.from_json(paths(lab).state.read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None
