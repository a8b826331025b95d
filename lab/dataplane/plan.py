"""The planner: routers' configurations and the topology in, the desired dataplane out (pure).

- Each VRF of each router is a namespace (:func:`lab.state.vrf_namespace`).
- A sub-interface (port, VLAN) in a VRF is a macvlan on the port, made in the
  router's namespace and placed in the VRF's, with the provider address; its
  twin is a macvlan on the CE host's port placed in the site namespace
  (:func:`lab.state.site_namespace`) with the customer address(es) and a
  default route via the provider address.  ARP is off on both; permanent
  neighbour entries name the peer's MAC, so the MAC pair keeps two VPNs on
  one port apart as a VLAN tag would, even with overlapping addresses.
- Customer addresses: the peer address of a /30 or /31, else the static
  routes' next-hops and BGP neighbours inside the subnet.  A static route's
  prefix gets its first host address on the site's loopback (so pings and
  probes to the customer's LAN are answered).
- Route exchange between VRFs (MP-BGP's job) is done here from all routers'
  configurations: VRF A gets a route to every prefix VRF B exports (its
  connected sub-interface subnets and static-route prefixes) when A's import
  route targets meet B's export targets (RFC 4364, section 4.3.1).  Two VRFs
  on different routers are joined by a vxlan over the core link between the
  routers; on the same router by a veth pair.
- What cannot be realised is said in :attr:`Plan.notes` and left out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations

from lab.dataplane import naming
from lab.dataplane.config import Policy, RouterConfig, SubInterface, Vrf
from lab.dataplane.model import (
    Address,
    Link,
    LinkType,
    Namespace,
    Neighbour,
    Plan,
    Role,
    Route,
    Shaper,
)
from lab.netns import CORE_MTU
from lab.state import namespace, site_namespace, vrf_namespace
from lab.topology import Link as TopologyLink
from lab.topology import LinkKind, Topology

ACCESS_MTU = 1500
VXLAN_OVERHEAD = 50  # outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 (RFC 7348)
DEFAULT = ipaddress.IPv4Network("0.0.0.0/0")


@dataclass
class _Draft:
    role: Role
    owner: str
    label: str
    links: list[Link] = field(default_factory=list)
    addresses: set[Address] = field(default_factory=set)
    neighbours: set[Neighbour] = field(default_factory=set)
    routes: dict[ipaddress.IPv4Network, Route] = field(default_factory=dict)
    origin: dict[ipaddress.IPv4Network, str] = field(default_factory=dict)


@dataclass
class _Vpn:
    """One VRF of one router as route exchange sees it."""

    router: str
    vrf: Vrf
    namespace: str
    exports: set[ipaddress.IPv4Network] = field(default_factory=set)

    @property
    def key(self) -> naming.VrfKey:
        return (self.router, self.vrf.name)


class _Planner:
    def __init__(self, lab: str, topology: Topology) -> None:
        self.lab = lab
        self.topology = topology
        self.drafts: dict[str, _Draft] = {}
        self.vpns: dict[naming.VrfKey, _Vpn] = {}
        self.notes: list[str] = []

    def draft(self, name: str, *, role: Role, owner: str, label: str) -> _Draft:
        return self.drafts.setdefault(name, _Draft(role=role, owner=owner, label=label))

    def router(self, router: str, config: RouterConfig) -> None:
        for vrf in config.vrfs:
            ns = vrf_namespace(self.lab, router, vrf.name)
            self.draft(ns, role=Role.VRF, owner=router, label=vrf.name)
            vpn = _Vpn(router=router, vrf=vrf, namespace=ns)
            vpn.exports.update(r.prefix for r in vrf.static_routes)
            self.vpns[vpn.key] = vpn
        for sub in config.subinterfaces:
            where = f"{router} {sub.port} vlan {sub.vlan}"
            owner = config.vrf(sub.vrf) if sub.vrf else None
            if owner is None or sub.address is None:
                self.notes.append(f"{where}: no VRF or no IPv4 address; not realised")
                continue
            access = self._access_link(router, sub.port)
            if access is None:
                self.notes.append(f"{where}: {sub.port} is not an access port; not realised")
                continue
            self.subinterface(router, owner, sub, access)

    def _access_link(self, router: str, port: str) -> TopologyLink | None:
        for link in self.topology.links_of(router):
            end = link.a if link.a.node == router else link.b
            if link.kind is LinkKind.ACCESS and end.interface == port:
                return link
        return None

    def subinterface(self, router: str, vrf: Vrf, sub: SubInterface, access: TopologyLink) -> None:
        assert sub.address is not None
        host = access.far_end(router)
        vpn = self.vpns[(router, vrf.name)]
        vpn.exports.add(sub.address.network)
        pe_mac = naming.mac("pe", router, sub.port, sub.vlan)
        ce_mac = naming.mac("ce", router, sub.port, sub.vlan)
        pe_dev = naming.device_name(sub.port, sub.vlan)
        pe = self.drafts[vpn.namespace]
        pe.links.append(
            Link(
                name=pe_dev,
                type=LinkType.MACVLAN,
                mac=pe_mac,
                mtu=min(sub.mtu or ACCESS_MTU, ACCESS_MTU),
                maker=namespace(self.lab, router),
                parent=sub.port,
                shaper=_shaper(sub.qos_output),
            )
        )
        pe.addresses.add(Address(dev=pe_dev, address=sub.address))
        customers = customer_addresses(sub, vrf)
        pe.neighbours.update(Neighbour(dev=pe_dev, address=c, mac=ce_mac) for c in customers)
        for route in vrf.static_routes:
            if route.next_hop in sub.address.network:
                pe.routes[route.prefix] = Route(prefix=route.prefix, via=route.next_hop, dev=pe_dev)
        if not customers:
            self.notes.append(f"{router} {pe_dev}: no customer address in {sub.address.network}")
            return
        self._site(
            host=host.node,
            port=host.interface,
            sub=sub,
            vrf=vrf,
            customers=customers,
            macs=(pe_mac, ce_mac),
        )

    def _site(
        self,
        *,
        host: str,
        port: str,
        sub: SubInterface,
        vrf: Vrf,
        customers: tuple[ipaddress.IPv4Address, ...],
        macs: tuple[str, str],
    ) -> None:
        """The site namespace behind ``host``'s ``port`` on the sub-interface's VLAN."""
        assert sub.address is not None
        pe_mac, ce_mac = macs
        site = self.draft(
            site_namespace(self.lab, host, sub.vlan),
            role=Role.SITE,
            owner=host,
            label=str(sub.vlan),
        )
        dev = naming.device_name(port, sub.vlan)
        site.links.append(
            Link(
                name=dev,
                type=LinkType.MACVLAN,
                mac=ce_mac,
                mtu=ACCESS_MTU,
                maker=namespace(self.lab, host),
                parent=port,
                shaper=_shaper(sub.qos_input),
            )
        )
        length = sub.address.network.prefixlen
        site.addresses.update(
            Address(dev=dev, address=ipaddress.IPv4Interface(f"{c}/{length}")) for c in customers
        )
        site.neighbours.add(Neighbour(dev=dev, address=sub.address.ip, mac=pe_mac))
        site.routes[DEFAULT] = Route(prefix=DEFAULT, via=sub.address.ip, dev=dev)
        for route in vrf.static_routes:
            if route.next_hop in customers:
                first = next(iter(route.prefix.hosts()), route.prefix.network_address)
                site.addresses.add(Address(dev="lo", address=ipaddress.IPv4Interface(first)))

    def interconnect(self) -> None:
        """Join every pair of VRFs whose route targets meet, and install their routes."""
        pairs = []
        for a, b in combinations(sorted(self.vpns.values(), key=lambda v: v.key), 2):
            if a.vrf.imports & b.vrf.exports or b.vrf.imports & a.vrf.exports:
                pairs.append((a, b))
        indexes = naming.allocate(naming.pair_key(a.key, b.key) for a, b in pairs)
        for a, b in pairs:
            index = indexes[naming.pair_key(a.key, b.key)]
            dev = self._join(a, b, index)
            if dev is not None:
                self._import(a, b, dev=dev, via=naming.transit(index, second=True).ip)
                self._import(b, a, dev=dev, via=naming.transit(index, second=False).ip)

    def _join(self, a: _Vpn, b: _Vpn, index: int) -> str | None:
        """Make the vxlan or veth between ``a`` and ``b`` (its name at both ends), if possible."""
        a_mac, b_mac = naming.mac("transit", index, 0), naming.mac("transit", index, 1)
        ends = ((a, a_mac, b, b_mac, False), (b, b_mac, a, a_mac, True))
        if a.router == b.router:
            dev = f"vt{index}"
            for own, own_mac, other, other_mac, second in ends:
                link = Link(
                    name=dev,
                    type=LinkType.VETH,
                    mac=own_mac,
                    mtu=ACCESS_MTU,
                    maker=namespace(self.lab, a.router),
                    peer=dev,
                    peer_namespace=other.namespace,
                    peer_mac=other_mac,
                    makes=not second,
                )
                self._tunnel_end(own, link, other_mac, index, second=second)
            return dev
        core = self._core_link(a.router, b.router)
        if core is None:
            self.notes.append(
                f"{a.router}/{a.vrf.name} and {b.router}/{b.vrf.name}: no core link between "
                f"{a.router} and {b.router}; skipped"
            )
            return None
        for own, own_mac, _other, other_mac, second in ends:
            near, far = (core.a, core.b) if core.a.node == own.router else (core.b, core.a)
            link = Link(
                name=f"vx{index}",
                type=LinkType.VXLAN,
                mac=own_mac,
                mtu=CORE_MTU - VXLAN_OVERHEAD,
                maker=namespace(self.lab, own.router),
                parent=near.interface,
                vni=index,
                local=str(near.address.ip),
                remote=str(far.address.ip),
            )
            self._tunnel_end(own, link, other_mac, index, second=second)
        return f"vx{index}"

    def _tunnel_end(
        self, own: _Vpn, link: Link, peer_mac: str, index: int, *, second: bool
    ) -> None:
        draft = self.drafts[own.namespace]
        draft.links.append(link)
        draft.addresses.add(Address(dev=link.name, address=naming.transit(index, second=second)))
        peer = naming.transit(index, second=not second).ip
        draft.neighbours.add(Neighbour(dev=link.name, address=peer, mac=peer_mac))

    def _core_link(self, a: str, b: str) -> TopologyLink | None:
        found = [
            link
            for link in self.topology.links_of(a)
            if link.kind is LinkKind.CORE and link.far_end(a).node == b
        ]
        return min(found, key=lambda link: link.name, default=None)

    def _import(self, into: _Vpn, source: _Vpn, *, dev: str, via: ipaddress.IPv4Address) -> None:
        """Routes in ``into`` to what ``source`` exports, if ``into`` imports it."""
        if not into.vrf.imports & source.vrf.exports:
            return
        draft = self.drafts[into.namespace]
        origin = f"{source.router}/{source.vrf.name}"
        for prefix in sorted(source.exports):
            if prefix in into.exports:
                continue  # the VRF's own connected or static route wins
            if prefix in draft.origin:
                self.notes.append(
                    f"{into.router}/{into.vrf.name}: {prefix} exported by {draft.origin[prefix]} "
                    f"and {origin}; kept the first"
                )
                continue
            draft.origin[prefix] = origin
            draft.routes[prefix] = Route(prefix=prefix, via=via, dev=dev)

    def result(self) -> Plan:
        namespaces = {
            name: Namespace(
                name=name,
                role=d.role,
                owner=d.owner,
                label=d.label,
                links=tuple(sorted(d.links, key=lambda link: link.name)),
                addresses=frozenset(d.addresses),
                neighbours=frozenset(d.neighbours),
                routes=frozenset(d.routes.values()),
            )
            for name, d in sorted(self.drafts.items())
        }
        return Plan(namespaces=namespaces, notes=tuple(self.notes))


def _shaper(policy: Policy | None) -> Shaper | None:
    if policy is None:
        return None
    return Shaper(rate_kbps=policy.rate_kbps, burst_kbytes=policy.burst_kbytes)


def customer_addresses(sub: SubInterface, vrf: Vrf) -> tuple[ipaddress.IPv4Address, ...]:
    """The CE's address(es) on a sub-interface's subnet (see the module's text)."""
    if sub.address is None:
        return ()
    network, own = sub.address.network, sub.address.ip
    if network.prefixlen >= 30:
        return tuple(h for h in network.hosts() if h != own)[:1]
    found = {r.next_hop for r in vrf.static_routes} | set(vrf.bgp_neighbors)
    return tuple(sorted(a for a in found if a in network and a != own))


def build_plan(*, lab: str, topology: Topology, configs: Mapping[str, RouterConfig]) -> Plan:
    """The desired dataplane of lab ``lab`` for the routers' configurations (pure)."""
    planner = _Planner(lab, topology)
    for router in sorted(configs):
        planner.router(router, configs[router])
    planner.interconnect()
    return planner.result()
