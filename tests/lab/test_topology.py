"""Topology files: the default topology, and bad input rejected with one line, creating nothing."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.errors import TopologyError
from lab.topology import LinkKind, NodeKind, load_topology, parse_topology

NETSLA = str(Path(sys.executable).parent / "netsla")

GOOD = """
name: lab1
nodes:
  - {name: pe1, kind: router}
  - {name: pe2, kind: router}
  - {name: ce1, kind: host}
links:
  - endpoints: [pe1:eth12, pe2:eth11]
  - endpoints: [pe1:eth1, ce1:eth0]
    subnet: 10.9.9.0/30
"""


def test_default_topology_is_a_triangle_with_two_ces_per_pe() -> None:
    topology = load_topology()
    assert [n.name for n in topology.routers] == ["pe1", "pe2", "pe3"]
    assert len(topology.hosts) == 6
    core = [link for link in topology.links if link.kind is LinkKind.CORE]
    assert {frozenset((link.a.node, link.b.node)) for link in core} == {
        frozenset(p) for p in (("pe1", "pe2"), ("pe1", "pe3"), ("pe2", "pe3"))
    }
    for pe in ("pe1", "pe2", "pe3"):
        access = {
            (link.far_end(pe).node, link.a.interface if link.a.node == pe else link.b.interface)
            for link in topology.links_of(pe)
            if link.kind is LinkKind.ACCESS
        }
        assert {iface for _, iface in access} == {"eth1", "eth2"}
        assert {node for node, _ in access} == {f"ce{pe[-1]}a", f"ce{pe[-1]}b"}


def test_addresses_are_assigned_per_link_or_taken_from_the_file() -> None:
    topology = parse_topology(GOOD)
    core, access = topology.links
    assert core.a.address.network == core.b.address.network
    assert core.a.address != core.b.address
    assert access.a.address == ipaddress.IPv4Interface("10.9.9.1/30")
    assert access.b.address == ipaddress.IPv4Interface("10.9.9.2/30")
    assert topology.nodes[2].kind is NodeKind.HOST


def test_name_override() -> None:
    assert parse_topology(GOOD, name="other").name == "other"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD.replace("pe2:eth11", "pe9:eth11"), "unknown node 'pe9'"),
        (
            GOOD.replace("{name: ce1, kind: host}", "{name: pe1, kind: host}"),
            "duplicate node name 'pe1'",
        ),
        (GOOD.replace("pe2:eth11", "nowhere"), "is not NODE:INTERFACE"),
        (
            GOOD.replace("pe1:eth1, ce1:eth0", "pe1:eth12, ce1:eth0"),
            "pe1:eth12 is used by two links",
        ),
        (GOOD.replace("kind: host", "kind: switch"), "unknown kind 'switch'"),
        (GOOD.replace("nodes:", "nodes: [\n"), "malformed YAML at line"),
        ("- just\n- a list\n", "a topology is a mapping"),
    ],
)
def test_bad_topology_names_the_problem(text: str, problem: str) -> None:
    with pytest.raises(TopologyError, match=problem.replace("(", r"\(").replace("[", r"\[")):
        parse_topology(text)


def test_all_problems_are_reported_at_once() -> None:
    text = GOOD.replace("pe2:eth11", "pe9:eth11").replace("kind: host", "kind: switch")
    with pytest.raises(TopologyError) as info:
        parse_topology(text)
    assert "pe9" in str(info.value) and "switch" in str(info.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD.replace("pe2:eth11", "pe9:eth11"), "unknown node 'pe9'"),
        (GOOD.replace("{name: ce1, kind: host}", "{name: pe1, kind: host}"), "duplicate node"),
        (GOOD.replace("pe2:eth11", "nowhere:"), "is not NODE:INTERFACE"),
        ("nodes: [\n  {name: pe1\n", "malformed YAML"),
    ],
)
def test_cli_rejects_bad_topology_with_one_line_and_creates_nothing(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    env = {**os.environ, "NETSLA_LAB_ROOT": str(tmp_path / "root")}
    result = subprocess.run(
        [NETSLA, "lab", "up", "--topology", str(path), "--name", "tbad", "--port-base", "39000"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and problem in lines[0] and str(path) in lines[0]
    assert not (tmp_path / "root").exists()
    netns = Path("/run/netns")
    assert not (netns.exists() and any(p.name.startswith("tbad-") for p in netns.iterdir()))
