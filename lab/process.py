"""Processes the lab starts: spawn detached, remember by PID file, stop by PID.

A PID is trusted only while ``/proc/<pid>/cmdline`` still contains the
lab's own marker (its state folder), so a PID reused by another program is
never signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from lab.errors import LabError

IP = "/usr/sbin/ip"
STOP_TIMEOUT = 8.0


class ProcessError(LabError):
    """A lab process could not be started or stopped."""


def spawn(
    argv: Sequence[str],
    *,
    netns: str | None,
    log: Path,
    pidfile: Path,
    env: Mapping[str, str] | None = None,
) -> int:
    """Start ``argv`` (inside ``netns``) in its own session; write and return its PID.

    ``ip netns exec`` execs the command in place, so the PID is the agent's.
    """
    full = [IP, "netns", "exec", netns, *argv] if netns else list(argv)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            full,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            close_fds=True,
        )
    pidfile.write_text(f"{proc.pid}\n")
    return proc.pid


PF_KTHREAD = 0x00200000  # include/linux/sched.h


def _state(pid: int) -> tuple[str, int] | None:
    """(state letter, flags) of ``pid`` from /proc/<pid>/stat, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[0], int(fields[6])


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def is_ours(pid: int, marker: str) -> bool:
    """Whether ``pid`` is a live process whose command line contains ``marker``.

    A process shows an empty command line while it execs or exits; it is
    counted as ours then (unless it is a kernel thread), so that a start is
    not mistaken for a crash and a stop waits until the process is gone.
    """
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    state = _state(pid)
    if state is None:
        return False
    if state[0] == "Z":
        _reap(pid)
        return False
    if not cmdline:
        return not state[1] & PF_KTHREAD
    return marker.encode() in cmdline


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def running(pidfile: Path, marker: str) -> int | None:
    """The PID recorded in ``pidfile`` if that process is still ours and alive."""
    pid = read_pid(pidfile)
    return pid if pid is not None and is_ours(pid, marker) else None


def signal_pid(pid: int, marker: str, sig: signal.Signals = signal.SIGTERM) -> bool:
    if not is_ours(pid, marker):
        return False
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pids: Sequence[int], marker: str, *, timeout: float) -> list[int]:
    """Wait until none of ``pids`` is alive; return those still alive at the deadline."""
    deadline = time.monotonic() + timeout
    left = list(pids)
    while left and time.monotonic() < deadline:
        left = [p for p in left if is_ours(p, marker)]
        if left:
            time.sleep(0.01)
    return left


def stop_pids(pids: Sequence[int], marker: str, *, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM each of ``pids``, wait, then SIGKILL what is left and wait again."""
    targets = [p for p in pids if signal_pid(p, marker)]
    left = wait_gone(targets, marker, timeout=timeout)
    for pid in left:
        signal_pid(pid, marker, signal.SIGKILL)
    if wait_gone(left, marker, timeout=2.0):
        raise ProcessError(f"processes {left} did not exit")


def stop_pidfiles(pidfiles: Sequence[Path], marker: str, *, timeout: float = STOP_TIMEOUT) -> None:
    """Stop the processes recorded in ``pidfiles`` and remove the files."""
    pids = [pid for f in pidfiles if (pid := read_pid(f)) is not None]
    stop_pids(pids, marker, timeout=timeout)
    for pidfile in pidfiles:
        pidfile.unlink(missing_ok=True)
