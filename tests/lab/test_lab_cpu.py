"""The benchmarks' CPU meter counts the work of a router's processes and of its caller; the
routers can be given a core of their own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from typing import cast

import pytest

from lab.cpu import CpuMeter, cores, idle_seconds, processes_in, separate_cores, threads
from lab.netns import NETNS_DIR
from lab.state import LabState, namespace

BURN = 0.3  # CPU seconds each burner spends
LONG_BURN = 1.0  # for the idle counters, which are only as exact as one idle period
BURNER = """
import sys, time
end = time.process_time() + {seconds}
while time.process_time() < end:
    pass
print("done", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def burners() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:  # only what this test started, by its PID
        process.kill()
        process.wait()


def burn(
    started: list[subprocess.Popen[str]], prefix: Sequence[str], seconds: float = BURN
) -> None:
    """Spend ``seconds`` of CPU in a process that stays alive until the test ends."""
    process = subprocess.Popen(
        [*prefix, sys.executable, "-c", BURNER.format(seconds=seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    assert process.stdout is not None
    assert process.stdout.readline() == "done\n"


@pytest.mark.lab
def test_cpu_meter_counts_a_routers_namespace_and_its_caller_and_nothing_else(
    lab: LabState, burners: list[subprocess.Popen[str]]
) -> None:
    router = lab.routers[0].name
    meter = CpuMeter(lab.name, [router])
    before = meter.reading()
    burn(burners, ["ip", "netns", "exec", namespace(lab.name, router)])
    burn(burners, [])  # in the root namespace: not the router's
    end = time.process_time() + 0.2
    while time.process_time() < end:
        pass
    used = meter.since(before)
    assert used.own >= 0.2
    # The router's own agents run meanwhile, a little; the other burner is not counted.
    assert BURN <= used.routers < BURN + 0.2
    assert used.total == pytest.approx(used.own + used.routers)


def test_idle_time_counts_cores_left_idle_and_not_those_at_work(
    burners: list[subprocess.Popen[str]],
) -> None:
    if idle_seconds() is None:
        pytest.skip("this kernel reports no cpuidle states")
    n = cores()
    start, before = time.perf_counter(), idle_seconds()
    time.sleep(0.3)
    slept = time.perf_counter() - start
    resting = cast(float, idle_seconds()) - cast(float, before)
    assert 0 < resting <= n * slept + 0.01
    start, before = time.perf_counter(), idle_seconds()
    for _ in range(n):  # every core busy for LONG_BURN seconds, one after the other
        burn(burners, [], LONG_BURN)
    worked = time.perf_counter() - start
    busy = cast(float, idle_seconds()) - cast(float, before)
    # At most the time not spent burning.  A core's idle period is counted
    # when it ends, whole, so one that began before the first reading can add
    # up to its length (a tickless core rests for tenths of a second): a
    # margin of 0.3 s per core, well under the n * LONG_BURN it must not count.
    assert busy <= n * worked - n * LONG_BURN + 0.3 * n


@pytest.mark.lab
def test_separate_cores_place_the_routers_and_this_process_apart_then_put_them_back(
    lab: LabState,
) -> None:
    if cores() < 2:
        pytest.skip("one core: nothing to separate")
    router = lab.routers[0].name
    own, available = str(os.getpid()), os.sched_getaffinity(0)
    pids = list(processes_in({(NETNS_DIR / namespace(lab.name, router)).stat().st_ino}))
    assert pids  # netconfd, sshd, snmpd at least
    with separate_cores(lab.name, [router]) as (theirs, ours):
        assert theirs == {max(available)} and ours == available - theirs
        for pid in pids:
            assert all(os.sched_getaffinity(t) == theirs for t in threads(pid))
        assert all(os.sched_getaffinity(t) == ours for t in threads(own))
    for pid in (*pids, own):
        assert all(os.sched_getaffinity(t) == available for t in threads(pid))


def test_separate_cores_need_two_cores() -> None:
    available = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(available)})  # this thread only
    try:
        with pytest.raises(ValueError, match="two cores"), separate_cores("none", []):
            pass
    finally:
        os.sched_setaffinity(0, available)
