"""What the kernel holds, and the iproute2/tc commands that make it what the plan wants (pure).

:func:`parse_observed` reads one namespace from ``ip -json -details`` (``addr
show``, ``route show table main``, ``neigh show nud permanent`` in one batch)
and ``tc -json qdisc show``.  :func:`changes` compares a :class:`Plan` with
every existing dataplane namespace and returns the batches, in the order the
agent runs them: removals inside live namespaces, deletion of unwanted
namespaces (their macvlans and vxlans deleted first, so a namespace kept
alive by an open socket holds no MAC or VNI), new namespaces, devices made
in their maker namespaces, then devices, addresses, neighbours and routes
configured, then shapers.  A device whose identity (type, MAC, VNI,
underlay) differs is made again; everything else is changed in place.
Applied twice, the second time finds nothing to do.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lab.dataplane.model import (
    Address,
    Link,
    LinkType,
    Namespace,
    Neighbour,
    Observed,
    ObservedLink,
    Plan,
    Route,
    Shaper,
)

OBSERVE_BATCH = ("addr show", "route show table main", "neigh show nud permanent")
STATIC = "static"
VXLAN_PORT = 4789  # RFC 7348, section 5
TBF_LATENCY = "50ms"
LOOPBACK = ipaddress.IPv4Interface("127.0.0.1/8")


def _json_documents(text: str) -> list[Any]:
    decoder, documents, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        document, index = decoder.raw_decode(text, index)
        documents.append(document)
    return documents


def _link(entry: Mapping[str, Any], shapers: Mapping[str, Shaper]) -> ObservedLink:
    info = entry.get("linkinfo", {})
    data = info.get("info_data", {}) if isinstance(info, dict) else {}
    flags = entry.get("flags", [])
    vxlan = info.get("info_kind") == LinkType.VXLAN
    return ObservedLink(
        name=entry["ifname"],
        type=str(info.get("info_kind", "")),
        mac=str(entry.get("address", "")),
        mtu=int(entry.get("mtu", 0)),
        up="UP" in flags,
        noarp="NOARP" in flags,
        vni=int(data["id"]) if vxlan and "id" in data else None,
        local=str(data.get("local", "")) if vxlan else "",
        remote=str(data.get("remote", "")) if vxlan else "",
        shaper=shapers.get(entry["ifname"]),
    )


def _shapers(qdiscs: list[Mapping[str, Any]]) -> dict[str, Shaper]:
    found = {}
    for qdisc in qdiscs:
        if qdisc.get("kind") == "tbf" and qdisc.get("root"):
            options = qdisc.get("options", {})
            found[str(qdisc["dev"])] = Shaper(
                rate_kbps=round(int(options["rate"]) * 8 / 1000),
                burst_kbytes=round(int(options["burst"]) / 1024),
            )
    return found


def parse_observed(ip_output: str, tc_output: str) -> Observed:
    """One namespace's devices, addresses, static routes and permanent neighbours."""
    links_json, routes_json, neighbours_json = _json_documents(ip_output)
    shapers = _shapers(_json_documents(tc_output)[0] if tc_output.strip() else [])
    links, addresses = {}, set()
    for entry in links_json:
        link = _link(entry, shapers)
        links[link.name] = link
        for info in entry.get("addr_info", []):
            if info.get("family") != "inet":
                continue
            address = ipaddress.IPv4Interface(f"{info['local']}/{info['prefixlen']}")
            if not (link.name == "lo" and address == LOOPBACK):
                addresses.add(Address(dev=link.name, address=address))
    routes = {
        Route(
            prefix=ipaddress.IPv4Network("0.0.0.0/0" if r["dst"] == "default" else r["dst"]),
            via=ipaddress.IPv4Address(r["gateway"]),
            dev=r["dev"],
        )
        for r in routes_json
        if r.get("protocol") == STATIC and "gateway" in r and "dev" in r
    }
    neighbours = {
        Neighbour(dev=n["dev"], address=ipaddress.IPv4Address(n["dst"]), mac=n["lladdr"])
        for n in neighbours_json
        if "PERMANENT" in n.get("state", []) and "lladdr" in n and ":" not in n["dst"]
    }
    return Observed(
        links=links,
        addresses=frozenset(addresses),
        neighbours=frozenset(neighbours),
        routes=frozenset(routes),
    )


@dataclass
class Changes:
    """Batches per namespace, in the order they run (see the module's text)."""

    remove: dict[str, list[str]] = field(default_factory=dict)
    delete_namespaces: list[str] = field(default_factory=list)
    add_namespaces: list[str] = field(default_factory=list)
    create: dict[str, list[str]] = field(default_factory=dict)
    configure: dict[str, list[str]] = field(default_factory=dict)
    shape: dict[str, list[str]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (
            self.remove
            or self.delete_namespaces
            or self.add_namespaces
            or self.create
            or self.configure
            or self.shape
        )

    def count(self) -> int:
        """How many commands (namespaces added or deleted count one each)."""
        batches = (self.remove, self.create, self.configure, self.shape)
        lines = sum(len(lines) for batch in batches for lines in batch.values())
        return lines + len(self.delete_namespaces) + len(self.add_namespaces)


def create_line(link: Link, namespace: str) -> str:
    """The ``ip link add`` line, run in ``link.maker``, that puts ``link`` in ``namespace``."""
    head = f"link add name {link.name} netns {namespace} address {link.mac}"
    if link.type is LinkType.MACVLAN:
        return (
            f"link add link {link.parent} name {link.name} netns {namespace} "
            f"address {link.mac} type macvlan mode bridge"
        )
    if link.type is LinkType.VXLAN:
        # One segment per frame: the impairment shuttle relays frames through a
        # packet socket, whose virtio-net header cannot carry UDP-tunnel GSO.
        return (
            f"{head} gso_max_segs 1 type vxlan id {link.vni} local {link.local} "
            f"remote {link.remote} dev {link.parent} dstport {VXLAN_PORT} nolearning"
        )
    return (
        f"{head} type veth peer name {link.peer} netns {link.peer_namespace} "
        f"address {link.peer_mac}"
    )


def _remade(plan: Plan, observed: Mapping[str, Observed]) -> set[tuple[str, str]]:
    """(namespace, device) of every wanted device that is missing or not the one wanted."""
    wrong = set()
    for ns in plan.namespaces.values():
        seen = observed.get(ns.name, Observed()).links
        for link in ns.links:
            found = seen.get(link.name)
            if found is None or found.signature() != link.signature():
                wrong.add((ns.name, link.name))
    for ns in plan.namespaces.values():  # a veth pair is made again as a whole
        for link in ns.links:
            if link.type is LinkType.VETH and (link.peer_namespace, link.peer) in wrong:
                wrong.add((ns.name, link.name))
    return wrong


def _removals(
    ns: Namespace, seen: Observed, remade: set[tuple[str, str]], deleted_veths: set[str]
) -> list[str]:
    wanted = {link.name: link for link in ns.links}
    gone = {name for name in seen.links if name != "lo" and name not in wanted}
    gone |= {name for name in wanted if (ns.name, name) in remade and name in seen.links}
    lines = [
        f"route del {_prefix(r.prefix)} via {r.via} dev {r.dev} proto {STATIC}"
        for r in sorted(seen.routes - ns.routes)
        if r.dev not in gone
    ]
    lines += [
        f"neigh del {n.address} dev {n.dev}"
        for n in sorted(seen.neighbours - ns.neighbours)
        if n.dev not in gone
    ]
    lines += [
        f"addr del {a.address} dev {a.dev}"
        for a in sorted(seen.addresses - ns.addresses)
        if a.dev not in gone
    ]
    for name in sorted(gone):
        if seen.links[name].type == LinkType.VETH:
            if name in deleted_veths:
                continue  # the pair's other end is deleted already: this end goes with it
            deleted_veths.add(name)
        lines.append(f"link del dev {name}")
    return lines


def _configuration(ns: Namespace, seen: Observed, remade: set[tuple[str, str]]) -> list[str]:
    lines = []
    lo = seen.links.get("lo")
    if lo is None or not lo.up:
        lines.append("link set dev lo up")
    fresh = {name for ns_name, name in remade if ns_name == ns.name}
    for link in ns.links:
        found = None if link.name in fresh else seen.links.get(link.name)
        if found is None or found.mtu != link.mtu or not found.noarp or not found.up:
            lines.append(f"link set dev {link.name} mtu {link.mtu} arp off up")
    kept = {a for a in seen.addresses if a.dev not in fresh}
    lines += [f"addr add {a.address} dev {a.dev}" for a in sorted(ns.addresses - kept)]
    known = {n for n in seen.neighbours if n.dev not in fresh}
    lines += [
        f"neigh replace {n.address} lladdr {n.mac} dev {n.dev} nud permanent"
        for n in sorted(ns.neighbours - known)
    ]
    routes = {r for r in seen.routes if r.dev not in fresh}
    lines += [
        f"route replace {_prefix(r.prefix)} via {r.via} dev {r.dev} proto {STATIC}"
        for r in sorted(ns.routes - routes)
    ]
    return lines


def _shaping(ns: Namespace, seen: Observed, remade: set[tuple[str, str]]) -> list[str]:
    lines = []
    for link in ns.links:
        found = None if (ns.name, link.name) in remade else seen.links.get(link.name)
        current = found.shaper if found is not None else None
        if link.shaper == current:
            continue
        if link.shaper is None:
            lines.append(f"qdisc del dev {link.name} root")
        else:
            lines.append(
                f"qdisc replace dev {link.name} root tbf rate {link.shaper.rate_kbps}kbit "
                f"burst {link.shaper.burst_kbytes * 1024} latency {TBF_LATENCY}"
            )
    return lines


def _prefix(prefix: ipaddress.IPv4Network) -> str:
    return "default" if prefix.prefixlen == 0 else str(prefix)


def changes(plan: Plan, observed: Mapping[str, Observed]) -> Changes:
    """The batches that turn the ``observed`` dataplane namespaces into ``plan``."""
    result = Changes()
    remade = _remade(plan, observed)
    deleted_veths: set[str] = set()
    for name in sorted(set(observed) - set(plan.namespaces)):
        result.delete_namespaces.append(name)
        lines = [
            f"link del dev {link.name}"
            for link in observed[name].links.values()
            if link.type in (LinkType.MACVLAN, LinkType.VXLAN)
        ]
        if lines:
            result.remove[name] = lines
    for name, ns in plan.namespaces.items():
        seen = observed.get(name)
        if seen is None:
            result.add_namespaces.append(name)
            seen = Observed()
        elif lines := _removals(ns, seen, remade, deleted_veths):
            result.remove[name] = lines
        for link in ns.links:
            if (name, link.name) in remade and link.makes:
                result.create.setdefault(link.maker, []).append(create_line(link, name))
        if lines := _configuration(ns, seen, remade):
            result.configure[name] = lines
        if lines := _shaping(ns, seen, remade):
            result.shape[name] = lines
    return result
