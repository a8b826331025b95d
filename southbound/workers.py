"""netsla's worker threads: blocking calls made for the event loop, started ahead.

Opening NETCONF sessions and most RPCs (ncclient is blocking; a
transaction's own RPCs on open sessions are the exception, see
:mod:`southbound.netconf`), payload building and the store writes of a
transaction run in threads so that one event loop drives many devices.
asyncio's default executor would do, but for two things:

- it holds at most ``min(32, cores + 4)`` threads, six on a 2-core machine,
  fewer than a transaction can keep busy at once: a session being opened,
  or a rollback's RPC, on each device, plus the payload being built, the
  journal and the record;
- it starts a thread only when work finds none idle, and that start holds
  the event loop until the new thread runs: 0.2 to 3.7 ms each in the
  middle of a 200-service transaction on the lab, where every other thread
  wants the GIL too.

So netsla keeps one process-wide pool of :data:`MAX_WORKERS` threads, and
:func:`prestart` starts as many as a set of devices needs before any
transaction runs (:class:`southbound.netconf.NetconfPool` does, for its
inventory).  Idle threads wait on the pool's queue and cost nothing; the
pool lives as long as the process, across event loops (a forked child
makes its own).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

MAX_WORKERS = 64
THREAD_PREFIX = "netsla-worker"
PER_TRANSACTION = 4  # besides one per device: payloads, journal, record, its commit
START_WAIT_S = 5.0

P = ParamSpec("P")
T = TypeVar("T")


class _Pool:
    """The process's worker pool, made on first use, and how many of its threads started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._started = 0  # threads known to be started (by prestart)

    def executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix=THREAD_PREFIX)
            return self._executor

    def prestart(self, count: int) -> None:
        count = min(count, MAX_WORKERS)
        with self._lock:
            if count <= self._started:
                return
        executor = self.executor()
        meeting = threading.Barrier(count + 1, timeout=START_WAIT_S)
        waits = [executor.submit(meeting.wait) for _ in range(count)]
        try:
            meeting.wait()
        except threading.BrokenBarrierError:  # threads slow to start: they still will
            return
        for done in waits:
            done.result()
        with self._lock:
            self._started = max(self._started, count)

    def forget(self) -> None:
        """In a forked child: the parent's threads are not there; start anew on first use."""
        self._lock = threading.Lock()
        self._executor = None
        self._started = 0


_POOL = _Pool()
os.register_at_fork(after_in_child=_POOL.forget)


async def run(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(*args, **kwargs)`` in a worker thread (as :func:`asyncio.to_thread`)."""
    context = contextvars.copy_context()
    bound = functools.partial(context.run, call, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_POOL.executor(), bound)


def submit(call: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> None:
    """Run ``call(*args, **kwargs)`` in a worker thread; nobody waits for it.

    For work whose outcome nobody needs (closing a dead session), so that
    the event loop's thread does not block on it; ``call`` handles its own
    errors.
    """
    _POOL.executor().submit(call, *args, **kwargs)


def prestart(count: int) -> None:
    """Have at least ``count`` worker threads started (at most :data:`MAX_WORKERS`).

    Blocks until they run (a few ms for tens of threads); a no-op once as
    many were started.  ``count`` tasks are made to wait for each other, so
    that the pool must run them all at once.
    """
    _POOL.prestart(count)


def for_devices(devices: int) -> int:
    """Worker threads a transaction over ``devices`` devices keeps busy at once."""
    return devices + PER_TRANSACTION
