"""What the dataplane reads of a router's committed native configuration (pure).

netconfd writes the running configuration to the router's startup file on
every commit; :func:`parse_router` reads the parts of netsla-router
(``yang/netsla-router.yang``) that shape the dataplane: VRFs with their route
targets, static routes and BGP neighbours, sub-interfaces with their port,
VLAN, VRF, address, MTU and QoS policies.  Entries the model would refuse
(missing keys, bad numbers or addresses) are skipped, as the prober does
with probes (:func:`lab.probes.parse_probes`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from lxml import etree

from lab.errors import LabError
from lab.probes import NATIVE_NS

_NS = f"{{{NATIVE_NS}}}"


class ConfigError(LabError, ValueError):
    """A router's startup file is not an XML document (for example while it is written)."""


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A ``/native/qos/policy``: committed rate and burst."""

    name: str
    rate_kbps: int
    burst_kbytes: int = 64


@dataclass(frozen=True, kw_only=True)
class StaticRoute:
    prefix: ipaddress.IPv4Network
    next_hop: ipaddress.IPv4Address


@dataclass(frozen=True, kw_only=True)
class Vrf:
    name: str
    imports: frozenset[str] = frozenset()
    exports: frozenset[str] = frozenset()
    static_routes: tuple[StaticRoute, ...] = ()
    bgp_neighbors: tuple[ipaddress.IPv4Address, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SubInterface:
    port: str
    vlan: int
    vrf: str | None
    address: ipaddress.IPv4Interface | None
    mtu: int | None = None
    qos_input: Policy | None = None  # traffic received from the customer
    qos_output: Policy | None = None  # traffic sent to the customer


@dataclass(frozen=True, kw_only=True)
class RouterConfig:
    """The dataplane's view of one router's configuration (sorted, so comparable)."""

    vrfs: tuple[Vrf, ...] = ()
    subinterfaces: tuple[SubInterface, ...] = ()

    def vrf(self, name: str) -> Vrf | None:
        return next((v for v in self.vrfs if v.name == name), None)


def _text(entry: etree._Element, path: str) -> str | None:
    node = entry.find("/".join(f"{_NS}{step}" for step in path.split("/")))
    return node.text.strip() if node is not None and node.text else None


def _texts(entry: etree._Element, path: str) -> frozenset[str]:
    found = entry.iterfind("/".join(f"{_NS}{step}" for step in path.split("/")))
    return frozenset(n.text.strip() for n in found if n.text)


def _policies(root: etree._Element) -> dict[str, Policy]:
    policies = {}
    for entry in root.iterfind(f"{_NS}qos/{_NS}policy"):
        name, rate = _text(entry, "name"), _text(entry, "rate-kbps")
        try:
            if name and rate:
                burst = int(_text(entry, "burst-kbytes") or 64)
                policies[name] = Policy(name=name, rate_kbps=int(rate), burst_kbytes=burst)
        except ValueError:
            continue
    return policies


def _static_routes(entry: etree._Element) -> tuple[StaticRoute, ...]:
    routes = []
    for route in entry.iterfind(f"{_NS}static-routes/{_NS}route"):
        try:
            prefix = ipaddress.IPv4Network(_text(route, "prefix") or "", strict=False)
            next_hop = ipaddress.IPv4Address(_text(route, "next-hop") or "")
        except ValueError:
            continue
        routes.append(StaticRoute(prefix=prefix, next_hop=next_hop))
    return tuple(sorted(routes, key=lambda r: (r.prefix, r.next_hop)))


def _neighbors(entry: etree._Element) -> tuple[ipaddress.IPv4Address, ...]:
    found = []
    for neighbor in entry.iterfind(f"{_NS}bgp/{_NS}neighbor"):
        try:
            found.append(ipaddress.IPv4Address(_text(neighbor, "address") or ""))
        except ValueError:
            continue
    return tuple(sorted(found))


def _vrfs(root: etree._Element) -> tuple[Vrf, ...]:
    vrfs = []
    for entry in root.iterfind(f"{_NS}vrfs/{_NS}vrf"):
        name = _text(entry, "name")
        if not name:
            continue
        vrfs.append(
            Vrf(
                name=name,
                imports=_texts(entry, "route-targets/import"),
                exports=_texts(entry, "route-targets/export"),
                static_routes=_static_routes(entry),
                bgp_neighbors=_neighbors(entry),
            )
        )
    return tuple(sorted(vrfs, key=lambda v: v.name))


def _address(entry: etree._Element) -> ipaddress.IPv4Interface | None:
    address, length = _text(entry, "ipv4/address"), _text(entry, "ipv4/prefix-length")
    if address is None or length is None:
        return None
    try:
        return ipaddress.IPv4Interface(f"{address}/{int(length)}")
    except ValueError:
        return None


def _subinterfaces(root: etree._Element, policies: dict[str, Policy]) -> tuple[SubInterface, ...]:
    subs = []
    for interface in root.iterfind(f"{_NS}interfaces/{_NS}interface"):
        port = _text(interface, "name")
        for entry in interface.iterfind(f"{_NS}subinterface"):
            try:
                vlan = int(_text(entry, "vlan-id") or "")
                mtu_text = _text(entry, "mtu")
                mtu = int(mtu_text) if mtu_text else None
            except ValueError:
                continue
            if port is None:
                continue
            subs.append(
                SubInterface(
                    port=port,
                    vlan=vlan,
                    vrf=_text(entry, "vrf"),
                    address=_address(entry),
                    mtu=mtu,
                    qos_input=policies.get(_text(entry, "qos-input") or ""),
                    qos_output=policies.get(_text(entry, "qos-output") or ""),
                )
            )
    return tuple(sorted(subs, key=lambda s: (s.port, s.vlan)))


def parse_router(xml: bytes) -> RouterConfig:
    """The dataplane's view of a committed configuration (netconfd's startup file).

    Raises :class:`ConfigError` when the document is not XML.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        document = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"not an XML document: {exc}") from None
    root = document.find(f"{_NS}native")
    if root is None:
        return RouterConfig()
    return RouterConfig(vrfs=_vrfs(root), subinterfaces=_subinterfaces(root, _policies(root)))
