"""CPU time spent during a measured run: by this process and by a lab's routers.

Used by the benchmarks (``tests/benchmarks/``).  The lab's routers run on
the same cores as the controller, so a run's wall time can be no lower than
all the CPU time spent in it divided by the cores.  A benchmark that prints
both shows how much of a gap to a target is CPU the run needs and how much
is cores left idle (work that waits on other work).

A router's processes are every process in its network namespace: netconfd,
its sshd and the per-session sshd and netconf-subsystem, snmpd, the prober.
Their CPU time is read from ``/proc/PID/task/*/schedstat`` (nanoseconds).
The cores' idle time comes from the kernel's cpuidle residency counters
(:func:`idle_seconds`), where the kernel has them.

:func:`separate_cores` puts the routers on a core of their own and this
process on the others for a while, so that what this process does never
takes CPU time from the routers: a run's time over the routers' own is
then its own latency, not contention.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lab.netns import NETNS_DIR
from lab.state import namespace


@dataclass(frozen=True, slots=True)
class CpuUse:
    """CPU seconds spent between two readings."""

    own: float  # this process, every thread
    routers: float  # the routers' processes

    @property
    def total(self) -> float:
        return self.own + self.routers


def cores() -> int:
    return len(os.sched_getaffinity(0))


CPUIDLE = Path("/sys/devices/system/cpu")


def idle_seconds() -> float | None:
    """Time every core spent idle so far, summed (cpuidle's residency of each idle state).

    None where the kernel reports no cpuidle states.  Unlike the CPU time
    of known processes, it also sees what no process is charged with.
    """
    states = _idle_states()
    if not states:
        return None
    return sum(int(state.read_text()) for state in states) / 1e6  # microseconds each


@functools.cache
def _idle_states() -> tuple[Path, ...]:
    return tuple(CPUIDLE.glob("cpu[0-9]*/cpuidle/state[0-9]*/time"))


def threads(pid: int | str) -> list[int]:
    """The thread ids of process ``pid`` (OSError if it has ended)."""
    return [int(task.name) for task in Path(f"/proc/{pid}/task").iterdir()]


def process_cpu(pid: int | str) -> float:
    """CPU seconds process ``pid`` has spent so far, in all its threads."""
    total = 0
    for thread in threads(pid):
        try:
            stat = Path(f"/proc/{pid}/task/{thread}/schedstat").read_text()
            total += int(stat.split()[0])
        except (OSError, ValueError, IndexError):  # the thread ended meanwhile
            continue
    return total / 1e9


def _namespaces(lab: str, routers: Iterable[str]) -> set[int]:
    return {(NETNS_DIR / namespace(lab, r)).stat().st_ino for r in routers}


def processes_in(namespaces: set[int]) -> Iterator[str]:
    """PIDs of the processes in the network namespaces whose inodes are ``namespaces``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "ns" / "net").stat().st_ino in namespaces:
                yield entry.name
        except OSError:  # the process ended meanwhile
            continue


class CpuMeter:
    """Reads the CPU time of this process and of ``routers`` of lab ``lab``."""

    def __init__(self, lab: str, routers: Iterable[str]) -> None:
        self._namespaces = _namespaces(lab, routers)

    def _routers(self) -> float:
        total = 0.0
        for pid in processes_in(self._namespaces):
            try:
                total += process_cpu(pid)
            except OSError:  # the process ended meanwhile
                continue
        return total

    def reading(self) -> tuple[float, float]:
        """Take before a run: the routers first, so that reading them is not counted."""
        routers = self._routers()
        return time.process_time(), routers

    def since(self, before: tuple[float, float]) -> CpuUse:
        """Take right after the run: this process first, for the same reason."""
        own = time.process_time()
        return CpuUse(own=own - before[0], routers=self._routers() - before[1])


def _place(pids: Iterable[str], cpus: set[int]) -> None:
    """Let every thread of processes ``pids`` run on ``cpus`` only."""
    for pid in pids:
        try:
            ids = threads(pid)
        except OSError:  # the process ended meanwhile
            continue
        for thread in ids:
            with contextlib.suppress(ProcessLookupError):  # the thread ended meanwhile
                os.sched_setaffinity(thread, cpus)


@contextlib.contextmanager
def separate_cores(lab: str, routers: Iterable[str]) -> Iterator[tuple[set[int], set[int]]]:
    """Run ``routers`` of lab ``lab`` on the last of this process's cores, this process
    on the others, until the block ends; yields (the routers' cores, this process's).

    Every thread of every process in the routers' namespaces gets the new
    placement, and every thread of this process; processes and threads
    started meanwhile inherit it.  At the end all of them may run on every
    core this process had at the start again.  Needs two cores at least
    (ValueError) and the right to place the routers' processes (root).
    """
    available = os.sched_getaffinity(0)
    if len(available) < 2:
        raise ValueError(f"separate cores need two cores at least, not {len(available)}")
    last = max(available)
    theirs, ours = {last}, available - {last}
    namespaces = _namespaces(lab, routers)
    try:
        _place(processes_in(namespaces), theirs)
        _place([str(os.getpid())], ours)
        yield theirs, ours
    finally:
        _place([str(os.getpid())], available)
        _place(processes_in(namespaces), available)
