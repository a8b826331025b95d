"""The dataplane's parsers: a router's committed configuration, the kernel's JSON (pure)."""

from __future__ import annotations

import ipaddress

import pytest

from lab import netns
from lab.dataplane.config import Policy, RouterConfig, StaticRoute, parse_router
from lab.dataplane.kernel import parse_observed
from lab.dataplane.model import Route
from lab.state import vrf_namespace

net = ipaddress.IPv4Network
addr = ipaddress.IPv4Address


def route(prefix: str, next_hop: str) -> StaticRoute:
    return StaticRoute(prefix=net(prefix), next_hop=addr(next_hop))


NATIVE = """<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
 <native xmlns="urn:netsla:yang:netsla-router">
  <qos><policy><name>cir-10000k</name><rate-kbps>10000</rate-kbps></policy></qos>
  <vrfs><vrf><name>acme</name><rd>65000:1</rd>
   <route-targets><import>65000:1</import><export>65000:1</export><export>65000:7</export>
   </route-targets>
   <static-routes><route><prefix>172.16.1.0/24</prefix><next-hop>10.1.1.2</next-hop></route>
   </static-routes>
   <bgp><neighbor><address>10.1.1.6</address><remote-as>64601</remote-as></neighbor></bgp>
  </vrf></vrfs>
  <interfaces><interface><name>eth1</name>
   <subinterface><index>100</index><vlan-id>100</vlan-id><vrf>acme</vrf>
    <ipv4><address>10.1.1.1</address><prefix-length>30</prefix-length></ipv4>
    <mtu>1400</mtu><qos-output>cir-10000k</qos-output></subinterface>
   <subinterface><index>7</index><vlan-id>bad</vlan-id></subinterface>
  </interface></interfaces>
 </native>
</config>"""


def test_the_committed_configuration_is_read() -> None:
    config = parse_router(NATIVE.encode())
    (acme,) = config.vrfs
    assert acme.imports == {"65000:1"} and acme.exports == {"65000:1", "65000:7"}
    assert acme.static_routes == (route("172.16.1.0/24", "10.1.1.2"),)
    assert acme.bgp_neighbors == (addr("10.1.1.6"),)
    (eth1,) = config.subinterfaces
    assert (eth1.port, eth1.vlan, eth1.vrf, eth1.mtu) == ("eth1", 100, "acme", 1400)
    assert eth1.qos_output == Policy(name="cir-10000k", rate_kbps=10000, burst_kbytes=64)
    assert eth1.qos_input is None
    empty = '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>'
    assert parse_router(empty.encode()) == RouterConfig()
    with pytest.raises(ValueError):
        parse_router(b"<config")


IP_JSON = (
    '[{"ifname":"lo","flags":["LOOPBACK","UP"],"mtu":65536,"address":"00:00:00:00:00:00",'
    '"addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8},'
    '{"family":"inet","local":"172.16.1.1","prefixlen":32}]},'
    '{"ifname":"vx5","flags":["BROADCAST","NOARP","UP","LOWER_UP"],"mtu":1500,'
    '"address":"02:00:00:00:05:01","linkinfo":{"info_kind":"vxlan","info_data":{"id":5,'
    '"remote":"10.0.0.2","local":"10.0.0.1","port":4789}},'
    '"addr_info":[{"family":"inet","local":"100.64.0.10","prefixlen":31},'
    '{"family":"inet6","local":"fe80::1","prefixlen":64}]}]\n'
    '[{"type":"unicast","dst":"10.1.1.0/30","gateway":"100.64.0.10","dev":"vx5",'
    '"protocol":"static"},{"dst":"100.64.0.10/31","dev":"vx5","protocol":"kernel"}]\n'
    '[{"dst":"100.64.0.11","dev":"vx5","lladdr":"02:00:00:00:05:02","state":["PERMANENT"]}]\n'
)
TC_JSON = (
    '[{"kind":"noqueue","dev":"lo","root":true,"options":{}},'
    '{"kind":"tbf","dev":"vx5","root":true,"options":{"rate":1250000,"burst":65535}}]'
)


def test_the_kernels_json_is_read() -> None:
    observed = parse_observed(IP_JSON, TC_JSON)
    vx5 = observed.links["vx5"]
    assert (vx5.type, vx5.vni, vx5.local, vx5.remote, vx5.noarp) == (
        "vxlan", 5, "10.0.0.1", "10.0.0.2", True
    )  # fmt: skip
    assert vx5.shaper is not None and (vx5.shaper.rate_kbps, vx5.shaper.burst_kbytes) == (
        10000, 64
    )  # fmt: skip
    assert {(a.dev, str(a.address)) for a in observed.addresses} == {
        ("lo", "172.16.1.1/32"), ("vx5", "100.64.0.10/31")
    }  # fmt: skip
    assert observed.routes == {Route(prefix=net("10.1.1.0/30"), via=addr("100.64.0.10"), dev="vx5")}
    assert [n.mac for n in observed.neighbours] == ["02:00:00:00:05:02"]


def test_a_failed_batch_names_its_failing_line() -> None:
    stderr = 'Error: "nosuchdev" does not exist.\nCommand failed -:2\n'
    lines = ["link set dev lo up", "link set dev nosuchdev up"]
    assert netns.batch_failure(stderr, lines) == (
        'Error: "nosuchdev" does not exist. (batch line 2: link set dev nosuchdev up)'
    )
    assert netns.batch_failure("RTNETLINK answers: File exists\n", lines) == (
        "RTNETLINK answers: File exists"
    )


def test_vrf_names_become_namespace_names() -> None:
    assert vrf_namespace("t", "pe1", "acme-hub") == "t-pe1-vrf-acme-hub"
    assert vrf_namespace("t", "pe1", "a/b:c") == "t-pe1-vrf-a%2Fb%3Ac"
