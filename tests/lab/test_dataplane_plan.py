"""The dataplane's planner and its diff against the kernel (pure: no namespace is touched)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

import pytest

from lab.dataplane import naming
from lab.dataplane.config import Policy, RouterConfig, StaticRoute, SubInterface, Vrf
from lab.dataplane.kernel import changes
from lab.dataplane.model import (
    Link,
    LinkType,
    Namespace,
    Observed,
    ObservedLink,
    Plan,
    Role,
    Route,
)
from lab.dataplane.plan import build_plan, customer_addresses
from lab.state import site_namespace, vrf_namespace
from lab.topology import Topology, load_topology, parse_topology

LAB = "t"
VPN = "65000:1"
HUB, SPOKE = "65000:102", "65000:101"
net = ipaddress.IPv4Network
addr = ipaddress.IPv4Address


@pytest.fixture(scope="module")
def topology() -> Topology:
    return load_topology(name=LAB)


def sub(port: str, vlan: int, vrf: str, address: str) -> SubInterface:
    return SubInterface(port=port, vlan=vlan, vrf=vrf, address=ipaddress.IPv4Interface(address))


def vrf(
    name: str,
    imports: str,
    exports: str,
    *,
    static_routes: tuple[StaticRoute, ...] = (),
    bgp_neighbors: tuple[ipaddress.IPv4Address, ...] = (),
) -> Vrf:
    return Vrf(
        name=name,
        imports=frozenset({imports}),
        exports=frozenset({exports}),
        static_routes=static_routes,
        bgp_neighbors=bgp_neighbors,
    )


def route(prefix: str, next_hop: str) -> StaticRoute:
    return StaticRoute(prefix=net(prefix), next_hop=addr(next_hop))


def any_to_any() -> dict[str, RouterConfig]:
    """acme over three PEs: static LAN at pe1 and pe3, a BGP site at pe2."""
    return {
        "pe1": RouterConfig(
            vrfs=(vrf("acme", VPN, VPN, static_routes=(route("172.16.1.0/24", "10.1.1.2"),)),),
            subinterfaces=(sub("eth1", 100, "acme", "10.1.1.1/30"),),
        ),
        "pe2": RouterConfig(
            vrfs=(vrf("acme", VPN, VPN, bgp_neighbors=(addr("10.1.2.2"),)),),
            subinterfaces=(sub("eth1", 100, "acme", "10.1.2.1/30"),),
        ),
        "pe3": RouterConfig(
            vrfs=(vrf("acme", VPN, VPN, static_routes=(route("172.16.3.0/24", "10.1.3.2"),)),),
            subinterfaces=(sub("eth1", 100, "acme", "10.1.3.1/30"),),
        ),
    }


def routes_of(ns: Namespace) -> dict[str, str]:
    return {str(r.prefix): r.dev for r in ns.routes}


def link(ns: Namespace, name: str) -> Link:
    return next(x for x in ns.links if x.name == name)


def observed_of(plan: Plan) -> dict[str, Observed]:
    """The kernel as it is once ``plan`` is applied."""
    result = {}
    for ns in plan.namespaces.values():
        links = {
            x.name: ObservedLink(
                name=x.name,
                type=str(x.type),
                mac=x.mac,
                mtu=x.mtu,
                up=True,
                noarp=True,
                vni=x.vni,
                local=x.local,
                remote=x.remote,
                shaper=x.shaper,
            )
            for x in ns.links
        }
        links["lo"] = ObservedLink(name="lo", type="", mac="", mtu=65536, up=True, noarp=True)
        result[ns.name] = Observed(
            links=links, addresses=ns.addresses, neighbours=ns.neighbours, routes=ns.routes
        )
    return result


def test_any_to_any_over_three_pes(topology: Topology) -> None:
    plan = build_plan(lab=LAB, topology=topology, configs=any_to_any())
    pe1 = plan.namespaces[vrf_namespace(LAB, "pe1", "acme")]
    assert pe1.role is Role.VRF and pe1.owner == "pe1"
    routes = routes_of(pe1)
    assert routes["172.16.1.0/24"] == "eth1.100"
    tunnels = {routes["10.1.2.0/30"], routes["10.1.3.0/30"]}
    assert routes["172.16.3.0/24"] == routes["10.1.3.0/30"] and len(tunnels) == 2
    assert "10.1.1.0/30" not in routes  # connected, not a static route
    pe2 = plan.namespaces[vrf_namespace(LAB, "pe2", "acme")]
    to_pe2 = link(pe1, routes["10.1.2.0/30"])
    back = link(pe2, routes_of(pe2)["10.1.1.0/30"])
    assert to_pe2.type is LinkType.VXLAN and to_pe2.name == back.name
    assert to_pe2.vni == back.vni and to_pe2.vni is not None
    assert (to_pe2.local, to_pe2.remote) == (back.remote, back.local)
    assert (to_pe2.maker, to_pe2.parent) == ("t-pe1", "eth12")  # pe1's core port to pe2
    assert (to_pe2.local, to_pe2.remote) == ("10.0.0.1", "10.0.0.2")
    assert to_pe2.mtu == 1500  # core links carry 1550
    via = next(r.via for r in pe1.routes if str(r.prefix) == "10.1.2.0/30")
    assert any(a.dev == back.name and a.address.ip == via for a in pe2.addresses)
    assert any(n.address == via and n.mac == back.mac for n in pe1.neighbours)
    site = plan.namespaces[site_namespace(LAB, "ce1a", 100)]
    assert site.role is Role.SITE and site.owner == "ce1a"
    assert {str(a.address) for a in site.addresses} == {"10.1.1.2/30", "172.16.1.1/32"}
    assert site.routes == {Route(prefix=net("0.0.0.0/0"), via=addr("10.1.1.1"), dev="eth0.100")}
    pe_dev, site_dev = link(pe1, "eth1.100"), link(site, "eth0.100")
    assert (pe_dev.maker, pe_dev.parent, site_dev.maker) == ("t-pe1", "eth1", "t-ce1a")
    assert {(n.address, n.mac) for n in pe1.neighbours if n.dev == "eth1.100"} == {
        (addr("10.1.1.2"), site_dev.mac)
    }
    assert {(n.address, n.mac) for n in site.neighbours} == {(addr("10.1.1.1"), pe_dev.mac)}
    assert len(plan.namespaces) == 6 and plan.notes == ()


def hub_and_spoke() -> dict[str, RouterConfig]:
    """The renderer's hub-and-spoke: hub imports the VPN RT, exports the hub RT."""
    configs = any_to_any()
    configs["pe1"] = RouterConfig(
        vrfs=(vrf("acme-hub", SPOKE, HUB, static_routes=(route("172.16.1.0/24", "10.1.1.2"),)),),
        subinterfaces=(sub("eth1", 101, "acme-hub", "10.1.1.1/30"),),
    )
    for pe, address in (("pe2", "10.1.2.1/30"), ("pe3", "10.1.3.1/30")):
        old = configs[pe].vrfs[0]
        spoke = Vrf(
            name="acme-spoke",
            imports=frozenset({HUB}),
            exports=frozenset({SPOKE}),
            static_routes=old.static_routes,
            bgp_neighbors=old.bgp_neighbors,
        )
        configs[pe] = RouterConfig(
            vrfs=(spoke,), subinterfaces=(sub("eth1", 102, "acme-spoke", address),)
        )
    return configs


def test_hub_and_spoke_has_no_spoke_to_spoke_route(topology: Topology) -> None:
    plan = build_plan(lab=LAB, topology=topology, configs=hub_and_spoke())
    hub = routes_of(plan.namespaces[vrf_namespace(LAB, "pe1", "acme-hub")])
    spoke2 = routes_of(plan.namespaces[vrf_namespace(LAB, "pe2", "acme-spoke")])
    spoke3 = routes_of(plan.namespaces[vrf_namespace(LAB, "pe3", "acme-spoke")])
    assert {"10.1.2.0/30", "10.1.3.0/30", "172.16.3.0/24"} <= set(hub)
    assert set(spoke2) == {"10.1.1.0/30", "172.16.1.0/24"}
    assert set(spoke3) == {"10.1.1.0/30", "172.16.1.0/24", "172.16.3.0/24"}
    assert spoke3["172.16.3.0/24"] == "eth1.102"  # its own LAN, towards its CE
    vxlans = {(ns.owner, x.vni) for ns in plan.namespaces.values() for x in ns.links if x.vni}
    assert {owner for owner, _ in vxlans} == {"pe1", "pe2", "pe3"}
    spoke_vnis = [{v for o, v in vxlans if o == pe} for pe in ("pe2", "pe3")]
    assert not spoke_vnis[0] & spoke_vnis[1]  # no tunnel between the spokes


def test_two_vpns_with_overlapping_addresses_on_one_port_stay_apart(topology: Topology) -> None:
    configs = any_to_any()
    other = "65000:2"
    configs["pe1"] = RouterConfig(
        vrfs=(*configs["pe1"].vrfs, vrf("beta", other, other)),
        subinterfaces=(
            *configs["pe1"].subinterfaces,
            sub("eth1", 200, "beta", "10.1.1.1/30"),
        ),
    )
    configs["pe2"] = RouterConfig(
        vrfs=(*configs["pe2"].vrfs, vrf("beta", other, other)),
        subinterfaces=(*configs["pe2"].subinterfaces, sub("eth2", 200, "beta", "10.1.2.1/30")),
    )
    plan = build_plan(lab=LAB, topology=topology, configs=configs)
    acme = plan.namespaces[vrf_namespace(LAB, "pe1", "acme")]
    beta = plan.namespaces[vrf_namespace(LAB, "pe1", "beta")]
    site_a = plan.namespaces[site_namespace(LAB, "ce1a", 100)]
    site_b = plan.namespaces[site_namespace(LAB, "ce1a", 200)]
    macs = {link(acme, "eth1.100").mac, link(beta, "eth1.200").mac}
    macs |= {link(site_a, "eth0.100").mac, link(site_b, "eth0.200").mac}
    assert len(macs) == 4
    assert {n.mac for n in acme.neighbours if n.dev == "eth1.100"} == {link(site_a, "eth0.100").mac}
    assert {n.mac for n in beta.neighbours if n.dev == "eth1.200"} == {link(site_b, "eth0.200").mac}
    assert set(routes_of(beta)) == {"10.1.2.0/30"}  # beta's remote site only
    beta_vnis = {x.vni for x in beta.links if x.vni}
    assert beta_vnis and not beta_vnis & {x.vni for x in acme.links if x.vni}


def test_vrfs_of_one_router_are_joined_by_a_veth_pair(topology: Topology) -> None:
    configs = {
        "pe1": RouterConfig(
            vrfs=(vrf("a", VPN, VPN), vrf("b", VPN, VPN)),
            subinterfaces=(
                sub("eth1", 10, "a", "10.9.1.1/30"),
                sub("eth2", 10, "b", "10.9.2.1/30"),
            ),
        )
    }
    plan = build_plan(lab=LAB, topology=topology, configs=configs)
    a = plan.namespaces[vrf_namespace(LAB, "pe1", "a")]
    b = plan.namespaces[vrf_namespace(LAB, "pe1", "b")]
    end_a, end_b = link(a, routes_of(a)["10.9.2.0/30"]), link(b, routes_of(b)["10.9.1.0/30"])
    assert end_a.type is LinkType.VETH and end_a.name == end_b.name
    assert [end_a.makes, end_b.makes].count(True) == 1
    maker = end_a if end_a.makes else end_b
    assert maker.peer_namespace == (b.name if maker is end_a else a.name)


def test_routers_without_a_core_link_are_noted_and_skipped() -> None:
    lines = ["name: t", "nodes:"]
    lines += [f"  - {{name: {n}, kind: router}}" for n in ("pe1", "pe2", "pe3")]
    lines += ["  - {name: ce1a, kind: host}", "  - {name: ce3a, kind: host}", "links:"]
    lines += ["  - endpoints: [pe1:eth12, pe2:eth11]", "  - endpoints: [pe1:eth1, ce1a:eth0]"]
    lines += ["  - endpoints: [pe3:eth1, ce3a:eth0]"]
    topology = parse_topology("\n".join(lines))  # no pe1-pe3 link
    configs = {k: v for k, v in any_to_any().items() if k != "pe2"}
    plan = build_plan(lab=LAB, topology=topology, configs=configs)
    assert routes_of(plan.namespaces[vrf_namespace(LAB, "pe1", "acme")]) == {
        "172.16.1.0/24": "eth1.100"
    }
    assert any("no core link between pe1 and pe3" in note for note in plan.notes)


def test_applied_plan_needs_nothing_and_removal_deletes_what_went(topology: Topology) -> None:
    full = build_plan(lab=LAB, topology=topology, configs=any_to_any())
    assert changes(full, observed_of(full)).empty()
    fresh = changes(full, {})
    assert sorted(fresh.add_namespaces) == sorted(full.namespaces)
    assert "link add link eth1 name eth1.100 netns t-pe1-vrf-acme" in fresh.create["t-pe1"][0]
    without_pe3 = {k: v for k, v in any_to_any().items() if k != "pe3"}
    smaller = build_plan(lab=LAB, topology=topology, configs=without_pe3)
    todo = changes(smaller, observed_of(full))
    assert sorted(todo.delete_namespaces) == ["t-ce3a-100", "t-pe3-vrf-acme"]
    assert all(line.startswith("link del dev ") for line in todo.remove["t-pe3-vrf-acme"])
    pe1_removals = todo.remove["t-pe1-vrf-acme"]
    assert any(line.startswith("link del dev vx") for line in pe1_removals)
    assert not todo.add_namespaces and not todo.create and not todo.configure
    nothing = changes(build_plan(lab=LAB, topology=topology, configs={}), observed_of(full))
    assert sorted(nothing.delete_namespaces) == sorted(full.namespaces)


def test_a_changed_device_is_made_again_and_a_changed_route_replaced(topology: Topology) -> None:
    plan = build_plan(lab=LAB, topology=topology, configs=any_to_any())
    observed = observed_of(plan)
    pe1 = observed["t-pe1-vrf-acme"]
    wrong = dict(pe1.links)
    wrong["eth1.100"] = ObservedLink(
        name="eth1.100", type="macvlan", mac="02:00:00:00:00:01", mtu=1500, up=True, noarp=True
    )
    stale = Route(prefix=net("172.16.9.0/24"), via=addr("10.1.1.2"), dev="eth1.100")
    observed["t-pe1-vrf-acme"] = Observed(
        links=wrong, addresses=pe1.addresses, neighbours=pe1.neighbours,
        routes=pe1.routes | {stale},
    )  # fmt: skip
    todo = changes(plan, observed)
    assert todo.remove["t-pe1-vrf-acme"] == ["link del dev eth1.100"]  # its routes go with it
    assert todo.create == {"t-pe1": [todo.create["t-pe1"][0]]}
    configured = todo.configure["t-pe1-vrf-acme"]
    assert "addr add 10.1.1.2/30" not in " ".join(configured)
    assert "route replace 172.16.1.0/24 via 10.1.1.2 dev eth1.100 proto static" in configured


def test_names_vnis_and_macs_are_deterministic(topology: Topology) -> None:
    configs = any_to_any()
    first = build_plan(lab=LAB, topology=topology, configs=configs)
    again = build_plan(lab=LAB, topology=topology, configs=dict(reversed(list(configs.items()))))
    assert first == again
    links = [x for ns in first.namespaces.values() for x in ns.links]
    assert all(len(x.name) <= naming.IFNAMSIZ for x in links)
    assert all(x.mac.startswith("02:") and len(x.mac) == 17 for x in links)
    vnis = {x.vni for x in links if x.vni is not None}
    assert len(vnis) == 3 and all(1 <= v <= naming.INDEX_MAX for v in vnis)
    index = naming.allocate([(("pe1", "acme"), ("pe2", "acme"))])
    assert index == naming.allocate([(("pe1", "acme"), ("pe2", "acme"))])
    assert naming.device_name("averyverylongport", 4094).startswith("v")
    assert str(naming.transit(1, second=True)) == "100.64.0.3/31"
    assert str(naming.transit(naming.INDEX_MAX, second=True)) == "100.127.255.255/31"


def test_colliding_pair_hashes_are_probed_to_distinct_indexes() -> None:
    pairs = [(("r", str(i)), ("s", str(i))) for i in range(3000)]
    indexes = naming.allocate(pairs)
    assert len(set(indexes.values())) == len(pairs)


def test_customer_addresses_come_from_the_subnet() -> None:
    thirty = sub("eth1", 1, "v", "10.0.9.1/30")
    assert customer_addresses(thirty, vrf("v", VPN, VPN)) == (addr("10.0.9.2"),)
    odd = sub("eth1", 1, "v", "10.0.9.5/31")
    assert customer_addresses(odd, vrf("v", VPN, VPN)) == (addr("10.0.9.4"),)
    wide = sub("eth1", 1, "v", "10.0.9.1/24")
    routed = vrf(
        "v", VPN, VPN, static_routes=(route("172.16.0.0/16", "10.0.9.7"),),
        bgp_neighbors=(addr("10.0.9.3"), addr("192.168.0.1")),
    )  # fmt: skip
    assert customer_addresses(wide, routed) == (addr("10.0.9.3"), addr("10.0.9.7"))


def _shaped(configs: Mapping[str, RouterConfig]) -> dict[str, RouterConfig]:
    result = dict(configs)
    policy = Policy(name="p", rate_kbps=2000, burst_kbytes=32)
    old = result["pe1"]
    shaped = SubInterface(
        port="eth1", vlan=100, vrf="acme", address=ipaddress.IPv4Interface("10.1.1.1/30"),
        qos_input=policy, qos_output=policy,
    )  # fmt: skip
    result["pe1"] = RouterConfig(vrfs=old.vrfs, subinterfaces=(shaped,))
    return result


def test_qos_policies_shape_both_directions_of_the_access(topology: Topology) -> None:
    plan = build_plan(lab=LAB, topology=topology, configs=_shaped(any_to_any()))
    todo = changes(plan, observed_of(build_plan(lab=LAB, topology=topology, configs=any_to_any())))
    tbf = "root tbf rate 2000kbit burst 32768 latency 50ms"
    assert todo.shape == {
        "t-pe1-vrf-acme": [f"qdisc replace dev eth1.100 {tbf}"],
        "t-ce1a-100": [f"qdisc replace dev eth0.100 {tbf}"],
    }
    assert changes(plan, observed_of(plan)).empty()
