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
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterable
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


def process_cpu(pid: int | str) -> float:
    """CPU seconds process ``pid`` has spent so far, in all its threads."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):  # the thread ended meanwhile
            continue
    return total / 1e9


class CpuMeter:
    """Reads the CPU time of this process and of ``routers`` of lab ``lab``."""

    def __init__(self, lab: str, routers: Iterable[str]) -> None:
        self._namespaces = {(NETNS_DIR / namespace(lab, r)).stat().st_ino for r in routers}

    def _routers(self) -> float:
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if (entry / "ns" / "net").stat().st_ino in self._namespaces:
                    total += process_cpu(entry.name)
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
