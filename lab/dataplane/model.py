"""The objects of the dataplane: what the planner wants and what the kernel has (plain data)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum


class LinkType(StrEnum):
    """The kinds of network device the dataplane makes (iproute2's ``type``)."""

    MACVLAN = "macvlan"
    VXLAN = "vxlan"
    VETH = "veth"


class Role(StrEnum):
    """What a dataplane namespace stands for."""

    VRF = "vrf"  # a VRF of a PE router
    SITE = "site"  # a customer site behind a CE host, on one VLAN


@dataclass(frozen=True, kw_only=True)
class Shaper:
    """Egress rate limit of a device (tc ``tbf``): rate in kbit/s, burst in KiB."""

    rate_kbps: int
    burst_kbytes: int


@dataclass(frozen=True, kw_only=True)
class Link:
    """A device the dataplane wants in a namespace.

    ``maker`` is the namespace where ``ip link add`` runs: the router's for a
    sub-interface's macvlan (parent = the port), a vxlan (underlay device and
    socket stay there) and a veth pair; the CE host's for a site's macvlan.
    A veth pair is made by one end only (``makes``); the other end names it
    as its ``peer`` too.
    """

    name: str
    type: LinkType
    mac: str
    mtu: int
    maker: str
    parent: str = ""
    vni: int | None = None
    local: str = ""
    remote: str = ""
    peer: str = ""
    peer_namespace: str = ""
    peer_mac: str = ""
    makes: bool = True
    shaper: Shaper | None = None

    def signature(self) -> tuple[str, str, int | None, str, str]:
        """What must match an existing device for it to be kept (else it is made again)."""
        return (str(self.type), self.mac, self.vni, self.local, self.remote)


@dataclass(frozen=True, kw_only=True, order=True)
class Address:
    dev: str
    address: ipaddress.IPv4Interface


@dataclass(frozen=True, kw_only=True, order=True)
class Neighbour:
    """A permanent neighbour entry (ARP is off on every dataplane device)."""

    dev: str
    address: ipaddress.IPv4Address
    mac: str


@dataclass(frozen=True, kw_only=True, order=True)
class Route:
    prefix: ipaddress.IPv4Network
    via: ipaddress.IPv4Address
    dev: str


@dataclass(frozen=True, kw_only=True)
class Namespace:
    """One dataplane namespace as wanted: a VRF of ``owner`` (a router) or a site of a host."""

    name: str
    role: Role
    owner: str
    label: str  # the VRF name, or the site's VLAN
    links: tuple[Link, ...] = ()
    addresses: frozenset[Address] = frozenset()
    neighbours: frozenset[Neighbour] = frozenset()
    routes: frozenset[Route] = frozenset()


@dataclass(frozen=True, kw_only=True)
class Plan:
    """The whole desired dataplane of a lab, and what the planner could not realise."""

    namespaces: dict[str, Namespace] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ObservedLink:
    name: str
    type: str  # "" for devices without link info (lo)
    mac: str
    mtu: int
    up: bool
    noarp: bool
    vni: int | None = None
    local: str = ""
    remote: str = ""
    shaper: Shaper | None = None

    def signature(self) -> tuple[str, str, int | None, str, str]:
        return (self.type, self.mac, self.vni, self.local, self.remote)


@dataclass(frozen=True, kw_only=True)
class Observed:
    """What one namespace holds (static routes and permanent neighbours only)."""

    links: dict[str, ObservedLink] = field(default_factory=dict)
    addresses: frozenset[Address] = frozenset()
    neighbours: frozenset[Neighbour] = frozenset()
    routes: frozenset[Route] = frozenset()
