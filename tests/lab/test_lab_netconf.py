"""The lab's routers speak real NETCONF: capabilities, edit/commit/read back, interface state."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from ncclient.transport.errors import SSHError

from lab import api
from lab.agents import Agent, Daemon
from lab.state import LabState
from southbound.inventory import load_inventory

pytestmark = pytest.mark.lab

NATIVE_NS = "urn:netsla:yang:netsla-router"
IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
Connect = Callable[..., Any]

REQUIRED_CAPABILITIES = (
    "urn:ietf:params:netconf:capability:candidate:1.0",
    "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
    "urn:ietf:params:netconf:capability:validate:1.1",
    "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
)


def _vrf_config(name: str, rd: str) -> str:
    config = etree.Element("config", nsmap={None: "urn:ietf:params:xml:ns:netconf:base:1.0"})
    native = etree.SubElement(config, f"{{{NATIVE_NS}}}native", nsmap={None: NATIVE_NS})
    vrf = etree.SubElement(etree.SubElement(native, f"{{{NATIVE_NS}}}vrfs"), f"{{{NATIVE_NS}}}vrf")
    etree.SubElement(vrf, f"{{{NATIVE_NS}}}name").text = name
    etree.SubElement(vrf, f"{{{NATIVE_NS}}}rd").text = rd
    return etree.tostring(config).decode()


def _vrf_rds(reply_xml: str) -> dict[str, str]:
    root = etree.fromstring(reply_xml.encode())
    ns = {"n": NATIVE_NS}
    return {
        str(v.findtext("n:name", namespaces=ns)): str(v.findtext("n:rd", namespaces=ns))
        for v in root.iterfind(".//n:vrf", namespaces=ns)
    }


VRF_FILTER = f'<native xmlns="{NATIVE_NS}"><vrfs/></native>'


def test_every_router_verifies_its_host_key_and_offers_the_capabilities(
    lab: LabState, netconf: Connect
) -> None:
    for router in lab.routers:
        with netconf(lab, router) as session:
            capabilities = set(session.server_capabilities)
            missing = [c for c in REQUIRED_CAPABILITIES if c not in capabilities]
            assert not missing, f"{router.name} lacks {missing}"
            assert any(NATIVE_NS in c for c in capabilities)
            assert any(IF_NS in c for c in capabilities)


def test_edit_commit_and_read_back_native_config(lab: LabState, netconf: Connect) -> None:
    router = lab.routers[0]
    name = f"t-{uuid.uuid4().hex[:8]}"
    with netconf(lab, router) as session:
        session.lock(target="candidate")
        try:
            session.edit_config(target="candidate", config=_vrf_config(name, "65000:41"))
            session.commit()
        finally:
            session.unlock(target="candidate")
        reply = session.get_config(source="running", filter=("subtree", VRF_FILTER))
    assert _vrf_rds(reply.xml)[name] == "65000:41"


def test_wrong_host_key_is_refused(lab: LabState, tmp_path: Path, netconf: Connect) -> None:
    router = lab.routers[0]
    other = lab.routers[1]
    # Pretend router 0's port has router 1's key.
    line = next(
        ln
        for ln in lab.known_hosts.read_text().splitlines()
        if ln.startswith(f"[127.0.0.1]:{other.netconf_port} ")
    )
    wrong = tmp_path / "known_hosts"
    wrong.write_text(line.replace(f":{other.netconf_port} ", f":{router.netconf_port} ") + "\n")
    config = tmp_path / "ssh_config"
    config.write_text(f"Host *\n    UserKnownHostsFile {wrong}\n")
    with pytest.raises(SSHError, match="Unknown host key"):
        netconf(lab, router, ssh_config=config)


def _counters(session: object, interface: str) -> dict[str, int]:
    flt = (
        f'<interfaces-state xmlns="{IF_NS}"><interface><name>{interface}</name>'
        "<statistics/></interface></interfaces-state>"
    )
    reply = session.get(filter=("subtree", flt))  # type: ignore[attr-defined]
    root = etree.fromstring(reply.xml.encode())
    stats = root.find(f".//{{{IF_NS}}}statistics")
    assert stats is not None, reply.xml
    return {etree.QName(c).localname: int(str(c.text)) for c in stats}


def test_interface_state_counters_move_with_a_ping(lab: LabState, netconf: Connect) -> None:
    inventory = load_inventory(lab.inventory)
    pe1, pe2 = inventory.devices["pe1"], inventory.devices["pe2"]
    core = next(i for i in pe1.interfaces if i.peer == "pe2")
    target = str(core.address).split("/")[0]
    with netconf(lab, lab.router("pe1")) as session:
        before = _counters(session, core.name)
        subprocess.run(
            ["ip", "netns", "exec", str(pe2.namespace), "ping", "-q", "-c", "20", "-i", "0.01",
             target],
            check=True, capture_output=True,
        )  # fmt: skip
        # netconfd refreshes interface state on a timer (about once a second).
        deadline = time.monotonic() + 5
        after = _counters(session, core.name)
        while after["in-unicast-pkts"] - before["in-unicast-pkts"] < 20:
            assert time.monotonic() < deadline, f"counters did not move: {before} -> {after}"
            time.sleep(0.2)
            after = _counters(session, core.name)
    assert after["out-octets"] - before["out-octets"] >= 20 * 84


def test_config_survives_a_netconfd_restart(lab: LabState, netconf: Connect) -> None:
    router = lab.router("pe3")
    name = f"keep-{uuid.uuid4().hex[:6]}"
    with netconf(lab, router) as session:
        session.edit_config(target="candidate", config=_vrf_config(name, "65000:77"))
        session.commit()
    api.stop_agent(lab.name, router.name, Agent.NETCONF)
    statuses = {s.name: s for s in api.status(lab.name)}
    assert not statuses[router.name].daemons["netconfd"]
    assert not statuses[router.name].netconf_answers
    assert [(r, d) for r, d, _log in api.stopped_daemons(lab.name)] == [
        (router.name, Daemon.NETCONFD)
    ]
    with pytest.raises(Exception):  # noqa: B017 - sshd accepts, the subsystem has no server
        netconf(lab, router).close_session()
    started = time.monotonic()
    api.start_agent(lab.name, router.name, Agent.NETCONF)
    assert time.monotonic() - started < 10
    with netconf(lab, router) as session:
        reply = session.get_config(source="running", filter=("subtree", VRF_FILTER))
    assert _vrf_rds(reply.xml)[name] == "65000:77"
