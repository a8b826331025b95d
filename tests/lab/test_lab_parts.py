"""Pure parts of the lab: inventory format, secrets, agent configuration, batches, SNMP probe."""

from __future__ import annotations

import random
import stat
from pathlib import Path

import pytest
from pyasn1.codec.ber import decoder
from pysnmp.proto import api as snmp_api

from lab import agents, netns, snmpprobe, state
from lab.agents import RouterFiles, SnmpSecrets
from lab.errors import LabError
from lab.inventory import build_inventory, router_facts
from lab.shuttle import Impairment
from lab.state import (
    PORT_BASE_MIN,
    PORTS_PER_LAB,
    LabPaths,
    default_port_base,
    ephemeral_ports,
    next_port_base,
)
from lab.topology import load_topology
from southbound.inventory import (
    CommunitySecret,
    InventoryError,
    SshKeySecret,
    UsmAuthProtocol,
    UsmPrivProtocol,
    UsmSecret,
    inventory_from_dict,
    inventory_to_dict,
    load_inventory,
    load_secrets,
    write_secrets,
)


@pytest.fixture
def lab_paths(tmp_path: Path) -> LabPaths:
    (tmp_path / "t9").mkdir()
    return LabPaths(lab="t9", root=tmp_path)


def test_inventory_round_trips_through_its_document(lab_paths: LabPaths) -> None:
    topology = load_topology(name="t9")
    routers = router_facts(topology, port_base=30000)
    inventory = build_inventory(topology, routers=routers, lab=lab_paths)
    doc = inventory_to_dict(inventory, base=lab_paths.dir)
    assert doc["known_hosts"] == "known_hosts" and doc["secrets"] == "secrets.yaml"
    again = inventory_from_dict(doc, base=lab_paths.dir)
    assert again.devices == inventory.devices and again.hosts == inventory.hosts
    pe2 = again.devices["pe2"]
    assert (pe2.netconf.port, pe2.snmp and pe2.snmp.port) == (30002, 30003)
    assert {i.name for i in pe2.interfaces} == {"eth1", "eth2", "eth11", "eth13"}
    assert again.hosts["ce2a"].interfaces[0].peer == "pe2"


def test_inventory_rejects_missing_fields_and_duplicates(lab_paths: LabPaths) -> None:
    device = {"name": "r1", "platform": "x", "netconf": {"host": "h", "port": 1, "username": "u"}}
    with pytest.raises(InventoryError, match="credential"):
        inventory_from_dict({"devices": [device]}, base=lab_paths.dir)
    device["netconf"]["credential"] = "c"  # type: ignore[index]
    with pytest.raises(InventoryError, match="duplicate device 'r1'"):
        inventory_from_dict({"devices": [device, device]}, base=lab_paths.dir)


def test_secrets_file_is_private_and_round_trips(lab_paths: LabPaths) -> None:
    secrets = {
        "nc": SshKeySecret(private_key_file=lab_paths.client_key),
        "comm": CommunitySecret(community="c0mm"),
        "v3": UsmSecret(
            auth_protocol=UsmAuthProtocol.SHA,
            auth_key="auth-key-1",
            priv_protocol=UsmPrivProtocol.AES,
            priv_key="priv-key-1",
        ),
    }
    write_secrets(lab_paths.secrets, secrets)
    assert stat.S_IMODE(lab_paths.secrets.stat().st_mode) == 0o600
    assert load_secrets(lab_paths.secrets) == secrets
    lab_paths.secrets.chmod(0o644)
    with pytest.raises(InventoryError, match="readable by others"):
        load_secrets(lab_paths.secrets)


def test_agent_configuration(tmp_path: Path) -> None:
    files = RouterFiles(dir=tmp_path / "pe1")
    config = agents.sshd_config(files, authorized_keys=tmp_path / "authorized_keys")
    assert f"--ncxserver-sockname=830@{files.socket}" in config
    assert "PasswordAuthentication no" in config and "AllowUsers netsla-lab" in config
    snmp = agents.snmpd_conf(
        files,
        router="pe1",
        lab="t9",
        secrets=SnmpSecrets(community="c", auth_key="a" * 8, priv_key="p" * 8),
    )
    assert 'createUser netsla SHA "aaaaaaaa" AES "pppppppp"' in snmp
    assert "rouser netsla priv" in snmp and "rocommunity c default" in snmp
    argv = agents.netconfd_argv(files)
    assert "--with-startup=false" in argv and f"--startup={files.startup}" in argv


def test_sshd_start_makes_its_privilege_separation_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    privsep = tmp_path / "run-sshd"
    spawned: list[list[str]] = []
    monkeypatch.setattr(agents, "SSHD_PRIVSEP_DIR", privsep)
    monkeypatch.setattr(agents.process, "spawn", lambda argv, **_: spawned.append(argv))
    agents.start(RouterFiles(dir=tmp_path / "pe1"), [agents.Daemon.SSHD], netns="t9-pe1")
    assert privsep.is_dir() and not privsep.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    assert spawned and spawned[0][0] == agents.SSHD


def test_namespace_batches_place_each_end_in_its_namespace() -> None:
    topology = load_topology(name="t9")
    lines = netns.root_batch(topology)
    assert "netns add t9-pe1" in lines and "netns add t9-pe1-pe2" in lines
    assert "link add name eth12 netns t9-pe1 type veth peer name pe1 netns t9-pe1-pe2" in lines
    assert "link add name eth1 netns t9-pe1 type veth peer name eth0 netns t9-ce1a" in lines
    assert "addr add 10.1.0.1/30 dev eth1" in netns.node_batch(topology, "pe1")
    core = topology.link("pe1-pe2")
    assert any("mirred egress redirect dev pe2" in line for line in netns.bridge_tc_batch(core))


def test_impairing_swaps_only_filters_never_the_qdiscs() -> None:
    """Adding or removing a qdisc deactivates the device for a moment (frames sent
    meanwhile are dropped), so only the lab's build adds the clsact qdiscs."""
    core = load_topology(name="t9").link("pe1-pe2")
    built = netns.bridge_tc_batch(core)
    assert [line for line in built if line.startswith("qdisc")] == [
        "qdisc replace dev pe1 clsact",
        "qdisc replace dev pe2 clsact",
    ]
    taken, restored = netns.unbridge_tc_batch(core), netns.redirect_tc_batch(core)
    assert all(line.startswith("filter ") for line in taken + restored)
    assert [line for line in built if line.startswith("filter")] == restored
    # the filter removed is the one put back (same priority and handle)
    assert all(f"ingress {netns.REDIRECT_FILTER}" in line for line in taken + restored)


def test_port_bases_stay_in_range_and_ports_follow_router_order() -> None:
    low, high = ephemeral_ports()
    for name in ("netsla", "nstest", "t1", "t2", "zz"):
        for base in (default_port_base(name), next_port_base(default_port_base(name), 2)):
            assert base >= PORT_BASE_MIN and base % PORTS_PER_LAB == 0
            assert base + PORTS_PER_LAB < 65536
            # no published port is one an outgoing connection may hold as its local port
            assert base + PORTS_PER_LAB <= low or base > high
    facts = router_facts(load_topology(), port_base=40000)
    assert [(r.netconf_port, r.snmp_port) for r in facts] == [
        (40000, 40001),
        (40002, 40003),
        (40004, 40005),
    ]


def test_snmp_probe_request_decodes_as_a_v2c_get() -> None:
    packet = snmpprobe.get_request(community="s3cret", request_id=123456)
    message, rest = decoder.decode(
        packet, asn1Spec=snmp_api.PROTOCOL_MODULES[snmp_api.SNMP_VERSION_2C].Message()
    )
    assert rest == b""
    proto = snmp_api.PROTOCOL_MODULES[snmp_api.SNMP_VERSION_2C]
    assert str(proto.apiMessage.get_community(message)) == "s3cret"
    pdu = proto.apiMessage.get_pdu(message)
    assert int(proto.apiPDU.get_request_id(pdu)) == 123456
    ((oid, _value),) = proto.apiPDU.get_varbinds(pdu)
    assert tuple(oid) == snmpprobe.SYS_UPTIME_0


def test_impairment_draws_delay_and_loss() -> None:
    rng = random.Random(7)
    holds = [
        Impairment(delay_ms=10, jitter_ms=2, loss_percent=25).draw_delay(rng) for _ in range(4000)
    ]
    kept = [h for h in holds if h is not None]
    assert 0.22 < 1 - len(kept) / len(holds) < 0.28
    assert min(kept) >= 0.008 and max(kept) <= 0.012
    assert Impairment().draw_delay(rng) == 0.0


def test_containerlab_inventory_is_readable() -> None:
    path = Path(__file__).resolve().parents[2] / "lab" / "containerlab" / "inventory.yaml"
    inventory = load_inventory(path)
    assert sorted(inventory.devices) == ["pe1", "pe2", "pe3"]
    assert {d.platform for d in inventory.devices.values()} == {"nokia-srlinux"}
    assert [d.netconf.port for d in inventory.devices.values()] == [18300, 18302, 18304]


def test_port_bases_avoid_the_ephemeral_ports_the_kernel_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ranges = tmp_path / "ip_local_port_range"
    monkeypatch.setattr(state, "EPHEMERAL_PORTS", ranges)
    ranges.write_text("20050\t65000\n")  # all but 20000-20049 (half a block) and 65001 up
    assert state.port_bases() == [65100, 65200, 65300, 65400]
    assert next_port_base(65400) == 65100  # wraps
    ranges.write_text("20000 65535\n")
    with pytest.raises(LabError, match="choose a port base"):
        default_port_base("nstest")
    ranges.unlink()  # unreadable: Linux's default range
    assert ephemeral_ports() == state.LINUX_EPHEMERAL_PORTS
