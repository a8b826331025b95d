"""Against the lab: services applied through the controller carry traffic, and probes measure it.

Three services at once: ``acme`` any-to-any on the eth1 ports of pe1, pe2 and
pe3; ``beta`` on the same pe1 and pe2 ports with acme's very addresses; and
``hubco`` hub-and-spoke on the eth2 ports (hub at pe1).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from controller.store import open_store
from lab import api, process
from lab.dataplane import agent as dataplane
from lab.dataplane.config import parse_router
from lab.dataplane.kernel import changes
from lab.dataplane.plan import build_plan
from lab.netns import existing_namespaces, lab_namespaces
from lab.state import LabState, next_port_base, paths, vrf_namespace
from lab.topology import load_topology
from tests.lab.conftest import NATIVE_NS, commit_config
from tests.lab.vpnlab import (
    ROUTERS,
    Deployment,
    acme,
    beta,
    echoes_answered,
    hubco,
    ping,
    site,
    wait_converged,
)

pytestmark = pytest.mark.lab
SERVICES = ("acme", "beta", "hubco")
STATE_FILTER = f'<native-state xmlns="{NATIVE_NS}"/>'


@pytest.fixture(scope="module")
def vpns(lab: LabState, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('dataplane') / 'netsla.db'}")
    deployment = Deployment(lab, store)
    deployment.apply(acme(), beta(), hubco())
    try:
        yield deployment
    finally:
        deployment.delete(*SERVICES)
        deployment.close()
        store.close()


def test_sites_of_a_vpn_reach_each_other_across_pes(lab: LabState, vpns: Deployment) -> None:
    paris = site(lab, router="pe1", port="eth1", vrf="acme")
    nice = site(lab, router="pe3", port="eth1", vrf="acme")
    assert ping(paris, "10.1.2.2")  # lyon's CE, behind pe2 (a BGP site)
    assert ping(paris, "172.16.3.1")  # nice's LAN, behind pe3
    assert ping(nice, "172.16.1.1")  # paris's LAN, behind pe1
    assert ping(paris, "10.1.1.1")  # its own PE


def test_spokes_reach_the_hub_but_not_each_other(lab: LabState, vpns: Deployment) -> None:
    spoke2 = site(lab, router="pe2", port="eth2", vrf="hubco-spoke")
    spoke3 = site(lab, router="pe3", port="eth2", vrf="hubco-spoke")
    hub = site(lab, router="pe1", port="eth2", vrf="hubco-hub")
    assert ping(spoke2, "10.2.1.2") and ping(spoke3, "172.17.1.1")
    assert ping(hub, "10.2.2.2") and ping(hub, "10.2.3.2")
    assert not ping(spoke2, "10.2.3.2", count=2)
    assert not ping(spoke3, "10.2.2.2", count=2)


def test_a_second_vpn_with_the_same_addresses_stays_apart(lab: LabState, vpns: Deployment) -> None:
    beta_paris = site(lab, router="pe1", port="eth1", vrf="beta")
    beta_lyon = site(lab, router="pe2", port="eth1", vrf="beta")
    acme_lyon = site(lab, router="pe2", port="eth1", vrf="acme")
    assert beta_paris != site(lab, router="pe1", port="eth1", vrf="acme")
    before = echoes_answered(beta_lyon), echoes_answered(acme_lyon)
    assert ping(beta_paris, "10.1.2.2", count=30, interval=0.01)
    after = echoes_answered(beta_lyon), echoes_answered(acme_lyon)
    assert after[0] - before[0] >= 30  # beta's own lyon answered
    assert after[1] - before[1] < 30  # acme's lyon saw only acme's probes meanwhile
    assert not ping(beta_paris, "10.1.3.2", count=2)  # acme's nice is not in beta


def _native_probes(lab: LabState, router: str, netconf: Callable[..., Any]) -> dict[str, Any]:
    """The router's probes as its ``<get>`` of native-state shows them, by target."""
    with netconf(lab, lab.router(router)) as session:
        reply = etree.fromstring(session.get(filter=("subtree", STATE_FILTER)).xml.encode())
    return {
        str(p.findtext(f"{{{NATIVE_NS}}}target-address")): {
            etree.QName(leaf).localname: str(leaf.text) for leaf in p
        }
        for p in reply.iter(f"{{{NATIVE_NS}}}probe")
    }


def _wait_probe(
    lab: LabState, netconf: Callable[..., Any], target: str, done: Callable[[dict[str, str]], bool]
) -> dict[str, str]:
    deadline = time.monotonic() + 20
    while True:
        probe = _native_probes(lab, "pe1", netconf).get(target, {})
        if ("sent-probes" in probe and done(probe)) or time.monotonic() > deadline:
            return probe
        time.sleep(0.5)


def test_probes_in_the_vrf_are_answered_and_see_the_impairment(
    lab: LabState, vpns: Deployment, netconf: Callable[..., Any]
) -> None:
    answered = _wait_probe(lab, netconf, "10.1.2.2", lambda p: p["probe-responses"] == "4")
    assert answered["sent-probes"] == answered["probe-responses"] == "4"
    assert int(answered["average-rtt-us"]) < 10_000
    api.impair(lab.name, "pe1-pe2", delay_ms=20)
    try:
        slow = _wait_probe(lab, netconf, "10.1.2.2", lambda p: int(p["min-rtt-us"]) > 40_000)
        other = _native_probes(lab, "pe1", netconf)["10.1.3.2"]  # over pe1-pe3
    finally:
        api.impair(lab.name, "pe1-pe2", clear=True)
    assert slow["probe-responses"] == "4" and int(slow["min-rtt-us"]) > 40_000
    assert other["probe-responses"] == "4" and int(other["max-rtt-us"]) < 20_000


def test_a_vrf_namespace_removed_by_hand_is_made_again_and_probed(
    lab: LabState, vpns: Deployment, netconf: Callable[..., Any]
) -> None:
    namespace = vrf_namespace(lab.name, "pe1", "acme")
    subprocess.run(["ip", "netns", "delete", namespace], check=True)
    gone = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    os.utime(lab.dir / "pe1" / "startup.xml")  # as a commit would: the agent looks again
    wait_converged(lab)
    assert namespace in existing_namespaces(f"{lab.name}-")
    probe = _wait_probe(lab, netconf, "10.1.2.2", lambda p: p["last-good-probe"] > gone)
    assert probe["last-good-probe"] > gone  # the prober's socket lives in the new namespace


def test_status_shows_the_agent_and_the_vrfs(lab: LabState, vpns: Deployment) -> None:
    statuses = {s.name: s for s in api.status(lab.name)}
    assert all(s.daemons["dataplane"] for s in statuses.values())
    assert set(statuses["pe1"].vrfs) == {"acme", "beta", "hubco-hub"}
    assert set(statuses["pe3"].vrfs) == {"acme", "hubco-spoke"}


def test_the_kernel_holds_exactly_the_plan(lab: LabState, vpns: Deployment) -> None:
    topology = load_topology(paths(lab.name).topology)
    configs = {r: parse_router((lab.dir / r / "startup.xml").read_bytes()) for r in ROUTERS}
    plan = build_plan(lab=lab.name, topology=topology, configs=configs)
    names = dataplane.dataplane_namespaces(topology)
    observed = {n: o for n in names if (o := dataplane.observe(n)) is not None}
    assert sorted(observed) == sorted(plan.namespaces)
    assert changes(plan, observed).empty()


def test_deleting_a_service_removes_its_namespaces(lab: LabState, vpns: Deployment) -> None:
    vpns.delete("hubco")
    left = set(existing_namespaces(f"{lab.name}-"))
    assert vrf_namespace(lab.name, "pe1", "hubco-hub") not in left
    assert not [n for n in left if "hubco" in n]
    assert not [n for n in left if n.startswith(f"{lab.name}-ce2b-")]  # the spoke's site
    assert vrf_namespace(lab.name, "pe1", "acme") in left
    vpns.delete("acme", "beta")
    topology = load_topology(paths(lab.name).topology)
    assert dataplane.dataplane_namespaces(topology) == []
    assert set(existing_namespaces(f"{lab.name}-")) == set(lab_namespaces(topology))


def _vrf_config() -> str:
    """A VRF with a sub-interface on pe1's eth1, as native config."""
    config = etree.Element("config", nsmap={None: "urn:ietf:params:xml:ns:netconf:base:1.0"})
    native = etree.SubElement(config, f"{{{NATIVE_NS}}}native", nsmap={None: NATIVE_NS})
    vrf = etree.SubElement(etree.SubElement(native, f"{{{NATIVE_NS}}}vrfs"), f"{{{NATIVE_NS}}}vrf")
    etree.SubElement(vrf, f"{{{NATIVE_NS}}}name").text = "down"
    etree.SubElement(vrf, f"{{{NATIVE_NS}}}rd").text = "65000:999"
    interfaces = etree.SubElement(native, f"{{{NATIVE_NS}}}interfaces")
    interface = etree.SubElement(interfaces, f"{{{NATIVE_NS}}}interface")
    etree.SubElement(interface, f"{{{NATIVE_NS}}}name").text = "eth1"
    sub = etree.SubElement(interface, f"{{{NATIVE_NS}}}subinterface")
    for leaf, value in (("index", "7"), ("vlan-id", "7"), ("vrf", "down")):
        etree.SubElement(sub, f"{{{NATIVE_NS}}}{leaf}").text = value
    ipv4 = etree.SubElement(sub, f"{{{NATIVE_NS}}}ipv4")
    etree.SubElement(ipv4, f"{{{NATIVE_NS}}}address").text = "10.9.0.1"
    etree.SubElement(ipv4, f"{{{NATIVE_NS}}}prefix-length").text = "30"
    return etree.tostring(config).decode()


def test_lab_down_removes_the_dataplane(lab: LabState) -> None:
    # The lifecycle tests' second lab (name and ports), brought up and down in turn.
    name = f"{lab.name[:6]}u"
    state = api.up(None, name=name, port_base=next_port_base(lab.port_base))
    try:
        commit_config(state, state.router("pe1"), _vrf_config())
        wait_converged(state)
        assert vrf_namespace(name, "pe1", "down") in existing_namespaces(f"{name}-")
        assert ping(f"{name}-ce1a-7", "10.9.0.1")
        pid = process.read_pid(Path(state.dir) / "dataplane.pid")
    finally:
        api.down(name)
    assert existing_namespaces(f"{name}-") == []
    assert pid is not None and not os.path.exists(f"/proc/{pid}")
