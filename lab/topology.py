"""Topology files: routers, customer-edge hosts and the links between them.

A topology is YAML::

    name: netsla                       # lab name (namespaces are <lab>-<node>)
    nodes:
      - {name: pe1, kind: router}
      - {name: ce1a, kind: host}
    links:
      - endpoints: [pe1:eth12, pe2:eth11]
      - endpoints: [pe1:eth1, ce1a:eth0]
        subnet: 10.1.0.0/30            # optional; assigned from a pool otherwise

A link between two routers is a *core* link (it can be impaired); any other
link is an *access* link.  Parsing is pure and collects every problem before
it fails, so a user sees all mistakes at once.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from lab.errors import TopologyError

# Node names are short so that "<lab>-<node>" stays a readable namespace name
# and interface names in link namespaces fit IFNAMSIZ (15 characters).
NODE_NAME = re.compile(r"[a-z][a-z0-9]{0,11}")
LAB_NAME = re.compile(r"[a-z][a-z0-9]{0,7}")
IFNAME = re.compile(r"[a-z][a-z0-9]{0,14}")
CORE_POOL = ipaddress.IPv4Network("10.0.0.0/16")
ACCESS_POOL = ipaddress.IPv4Network("10.1.0.0/16")
DEFAULT_TOPOLOGY = Path(__file__).parent / "topologies" / "default.yaml"


class NodeKind(StrEnum):
    ROUTER = "router"
    HOST = "host"


class LinkKind(StrEnum):
    CORE = "core"
    ACCESS = "access"


@dataclass(frozen=True, kw_only=True)
class Node:
    name: str
    kind: NodeKind


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    node: str
    interface: str
    address: ipaddress.IPv4Interface

    def __str__(self) -> str:
        return f"{self.node}:{self.interface}"


@dataclass(frozen=True, kw_only=True)
class Link:
    name: str
    kind: LinkKind
    a: Endpoint
    b: Endpoint

    def far_end(self, node: str) -> Endpoint:
        return self.b if self.a.node == node else self.a


@dataclass(frozen=True, kw_only=True)
class Topology:
    name: str
    nodes: tuple[Node, ...]
    links: tuple[Link, ...]

    @property
    def routers(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.kind is NodeKind.ROUTER)

    @property
    def hosts(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.kind is NodeKind.HOST)

    def links_of(self, node: str) -> tuple[Link, ...]:
        return tuple(link for link in self.links if node in (link.a.node, link.b.node))

    def link(self, name: str) -> Link:
        for link in self.links:
            if link.name == name:
                return link
        raise TopologyError(f"no link named {name!r} (links: {', '.join(self.link_names())})")

    def link_names(self) -> list[str]:
        return [link.name for link in self.links]


def _parse_nodes(raw: Any, problems: list[str]) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    if not isinstance(raw, list) or not raw:
        problems.append("'nodes' must be a non-empty list")
        return nodes
    for item in raw:
        if not isinstance(item, Mapping) or "name" not in item:
            problems.append(f"node entry {item!r} has no name")
            continue
        name, kind = str(item["name"]), str(item.get("kind", NodeKind.ROUTER))
        if not NODE_NAME.fullmatch(name):
            problems.append(f"node name {name!r} must match {NODE_NAME.pattern}")
        if kind not in NodeKind.__members__.values():
            problems.append(f"node {name!r}: unknown kind {kind!r} (router or host)")
            continue
        if name in nodes:
            problems.append(f"duplicate node name {name!r}")
            continue
        nodes[name] = Node(name=name, kind=NodeKind(kind))
    return nodes


def _parse_endpoint(text: Any, nodes: Mapping[str, Node], problems: list[str]) -> tuple[str, str]:
    node, _, interface = str(text).partition(":")
    if not isinstance(text, str) or not interface:
        problems.append(f"link endpoint {text!r} is not NODE:INTERFACE")
    elif node not in nodes:
        problems.append(f"link endpoint {text!r} names unknown node {node!r}")
    elif not IFNAME.fullmatch(interface) or interface == "lo":
        problems.append(f"link endpoint {text!r}: bad interface name")
    return node, interface


class _SubnetPool:
    def __init__(self, network: ipaddress.IPv4Network) -> None:
        self._subnets = network.subnets(new_prefix=30)

    def next(self) -> ipaddress.IPv4Network:
        return next(self._subnets)


def _addresses(
    subnet: ipaddress.IPv4Network,
) -> tuple[ipaddress.IPv4Interface, ipaddress.IPv4Interface]:
    first, second = list(subnet.hosts())[:2]
    return (
        ipaddress.IPv4Interface(f"{first}/{subnet.prefixlen}"),
        ipaddress.IPv4Interface(f"{second}/{subnet.prefixlen}"),
    )


def _parse_subnet(item: Mapping[str, Any], problems: list[str]) -> ipaddress.IPv4Network | None:
    if "subnet" not in item:
        return None
    try:
        subnet = ipaddress.IPv4Network(str(item["subnet"]))
    except ValueError as exc:
        problems.append(f"link subnet {item['subnet']!r}: {exc}")
        return None
    if subnet.num_addresses < 4 and subnet.prefixlen != 31:
        problems.append(f"link subnet {subnet} is too small")
        return None
    return subnet


def _parse_links(raw: Any, nodes: Mapping[str, Node], problems: list[str]) -> list[Link]:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        problems.append("'links' must be a list")
        return []
    pools = {LinkKind.CORE: _SubnetPool(CORE_POOL), LinkKind.ACCESS: _SubnetPool(ACCESS_POOL)}
    links: list[Link] = []
    used: set[tuple[str, str]] = set()
    names: set[str] = set()
    for item in raw:
        ends = item.get("endpoints") if isinstance(item, Mapping) else None
        if not isinstance(ends, list) or len(ends) != 2:
            problems.append(f"link {item!r} needs 'endpoints' with two NODE:INTERFACE")
            continue
        before = len(problems)
        (na, ia), (nb, ib) = (_parse_endpoint(e, nodes, problems) for e in ends)
        subnet = _parse_subnet(item, problems)
        if len(problems) > before:
            continue
        if na == nb:
            problems.append(f"link {ends[0]} - {ends[1]} connects {na!r} to itself")
            continue
        for key in ((na, ia), (nb, ib)):
            if key in used:
                problems.append(f"interface {key[0]}:{key[1]} is used by two links")
            used.add(key)
        both_routers = nodes[na].kind is NodeKind.ROUTER and nodes[nb].kind is NodeKind.ROUTER
        kind = LinkKind.CORE if both_routers else LinkKind.ACCESS
        name = str(item.get("name", f"{na}-{nb}"))
        if name in names:
            problems.append(f"duplicate link name {name!r}")
        names.add(name)
        addr_a, addr_b = _addresses(subnet or pools[kind].next())
        links.append(
            Link(
                name=name,
                kind=kind,
                a=Endpoint(node=na, interface=ia, address=addr_a),
                b=Endpoint(node=nb, interface=ib, address=addr_b),
            )
        )
    return links


def parse_topology(text: str, *, source: str = "topology", name: str | None = None) -> Topology:
    """Parse and check a topology document; ``name`` overrides the file's lab name."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or "syntax error"
        raise TopologyError(f"{source}: malformed YAML{where}: {reason}") from None
    if not isinstance(data, Mapping):
        raise TopologyError(f"{source}: a topology is a mapping with 'nodes' and 'links'")
    problems: list[str] = []
    unknown = sorted(set(data) - {"name", "nodes", "links"})
    if unknown:
        problems.append(f"unknown top-level key(s) {', '.join(map(str, unknown))}")
    lab_name = name or str(data.get("name", "netsla"))
    if not LAB_NAME.fullmatch(lab_name):
        problems.append(f"lab name {lab_name!r} must match {LAB_NAME.pattern}")
    nodes = _parse_nodes(data.get("nodes"), problems)
    links = _parse_links(data.get("links"), nodes, problems)
    if problems:
        raise TopologyError(f"{source}: {'; '.join(problems)}")
    return Topology(name=lab_name, nodes=tuple(nodes.values()), links=tuple(links))


def load_topology(path: Path | str | None = None, *, name: str | None = None) -> Topology:
    """Read and check a topology file (the default topology when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_TOPOLOGY
    try:
        text = path.read_text()
    except OSError as exc:
        raise TopologyError(f"{path}: {exc.strerror}") from None
    return parse_topology(text, source=str(path), name=name)
