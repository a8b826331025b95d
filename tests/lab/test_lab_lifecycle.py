"""Lab lifecycle through the CLI: status, impairment measured with ping, up twice, down twice."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lab import api
from lab.state import LabState, next_port_base, paths
from southbound.inventory import load_inventory

pytestmark = pytest.mark.lab

NETSLA = [str(Path(sys.executable).parent / "netsla")]
PING = re.compile(
    r"(\d+) packets transmitted, (\d+) received.*?rtt min/avg/max/mdev = ([\d.]+)/([\d.]+)/", re.S
)


def netsla(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NETSLA, *args], capture_output=True, text=True, check=False)


def ping(namespace: str, address: str, *, count: int) -> tuple[float, float]:
    """(loss fraction, minimum RTT in ms) of ``count`` pings 10 ms apart."""
    result = subprocess.run(
        ["ip", "netns", "exec", namespace, "ping", "-n", "-q", "-c", str(count), "-i", "0.01",
         "-W", "1", address],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    match = PING.search(result.stdout)
    assert match, result.stdout + result.stderr
    sent, received = int(match.group(1)), int(match.group(2))
    return 1 - received / sent, float(match.group(3))


def test_status_json_lists_every_router_with_published_ports(lab: LabState) -> None:
    result = netsla("lab", "status", "--name", lab.name, "--format", "json")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert [i["name"] for i in items] == [r.name for r in lab.routers]
    for item, router in zip(items, lab.routers, strict=True):
        assert item["netconf"] == {
            "host": "127.0.0.1",
            "port": router.netconf_port,
            "answers": True,
        }
        assert item["snmp"] == {"host": "127.0.0.1", "port": router.snmp_port, "answers": True}
        assert all(item["agents"].values())


def _pe2_to_pe3(lab: LabState) -> tuple[str, str, str]:
    """pe2's namespace, the pe2-pe3 core link and pe3's address on it."""
    inventory = load_inventory(lab.inventory)
    pe2 = inventory.devices["pe2"]
    core = next(i for i in pe2.interfaces if i.peer == "pe3")
    far = next(i for i in inventory.devices["pe3"].interfaces if i.peer == "pe2")
    assert pe2.namespace is not None and core.link is not None
    return pe2.namespace, core.link, str(far.address).split("/")[0]


def test_impairment_shows_in_ping_and_clears(lab: LabState) -> None:
    namespace, link, address = _pe2_to_pe3(lab)
    clean_loss, clean_rtt = ping(namespace, address, count=20)
    assert clean_loss == 0 and clean_rtt < 5
    result = netsla(
        "lab", "impair", link, "--name", lab.name,
        "--delay-ms", "15", "--jitter-ms", "1", "--loss-percent", "10",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    try:
        loss, rtt = ping(namespace, address, count=200)
    finally:
        cleared = netsla("lab", "impair", link, "--name", lab.name, "--clear")
    # 15 +- 1 ms each way; 10 % each way loses 19 % of round trips.
    assert 28 <= rtt <= 40
    assert 0.05 <= loss <= 0.40
    assert cleared.returncode == 0, cleared.stderr
    loss, rtt = ping(namespace, address, count=20)
    assert loss == 0 and rtt < 5


def test_impairing_and_clearing_a_link_loses_no_frame_in_flight(lab: LabState) -> None:
    namespace, link, address = _pe2_to_pe3(lab)
    # pings every 10 ms for 8 s while the link is impaired (40 ms each way) and cleared twice
    pinger = subprocess.Popen(
        ["ip", "netns", "exec", namespace, "ping", "-n", "-q", "-i", "0.01", "-c", "800",
         "-W", "2", address],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for _ in range(2):
            impaired = netsla("lab", "impair", link, "--name", lab.name, "--delay-ms", "40")
            assert impaired.returncode == 0, impaired.stderr
            cleared = netsla("lab", "impair", link, "--name", lab.name, "--clear")
            assert cleared.returncode == 0, cleared.stderr
        out, _ = pinger.communicate(timeout=30)
    finally:
        if pinger.poll() is None:
            pinger.kill()
        netsla("lab", "impair", link, "--name", lab.name, "--clear")
    sent, received = re.search(r"(\d+) packets transmitted, (\d+) received", out).groups()  # type: ignore[union-attr]
    assert int(sent) == 800
    assert int(received) == 800  # duplicates are counted apart by ping ("+N duplicates")


def test_impairing_an_access_link_is_refused(lab: LabState) -> None:
    result = netsla("lab", "impair", "pe1-ce1a", "--name", lab.name, "--delay-ms", "5")
    assert result.returncode == 2
    assert "access link" in result.stderr and len(result.stderr.splitlines()) == 1


def test_up_on_a_running_lab_and_down_twice_succeed(lab: LabState) -> None:
    name = f"{lab.name[:6]}u"
    base = next_port_base(lab.port_base)
    try:
        first = netsla("lab", "up", "--name", name, "--port-base", str(base), "--format", "json")
        assert first.returncode == 0, first.stderr
        pid = (paths(name).dir / "pe1" / "netconfd.pid").read_text()
        again = netsla("lab", "up", "--name", name, "--port-base", str(base), "--format", "json")
        assert again.returncode == 0, again.stderr
        # A healthy lab is left alone: same agent processes, same inventory.
        assert (paths(name).dir / "pe1" / "netconfd.pid").read_text() == pid
        assert json.loads(again.stdout)["inventory"] == json.loads(first.stdout)["inventory"]
    finally:
        for _ in range(2):
            down = netsla("lab", "down", "--name", name)
            assert down.returncode == 0, down.stderr
    assert not paths(name).dir.exists()
    assert not [n for n in os.listdir("/run/netns") if n.startswith(f"{name}-")]


def test_up_recovers_from_a_half_finished_up(lab: LabState) -> None:
    name = f"{lab.name[:6]}r"
    base = next_port_base(lab.port_base, 2)
    try:
        state = api.up(None, name=name, port_base=base)
        # Simulate a crash: a router's agents die, a stale socket and namespace stay.
        subprocess.run(["kill", "-9", (state.dir / "pe2" / "netconfd.pid").read_text().strip()],
                       check=True)  # fmt: skip
        subprocess.run(["ip", "netns", "add", f"{name}-stale"], check=True)
        (state.dir / "state.json").unlink()
        again = api.up(None, name=name, port_base=base)
        statuses = api.status(name)
        assert all(s.netconf_answers and s.snmp_answers for s in statuses)
        assert f"{name}-stale" not in os.listdir("/run/netns")
        assert again.inventory.exists()
    finally:
        api.down(name)
