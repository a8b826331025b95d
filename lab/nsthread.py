"""Run a function inside a network namespace, on a thread of its own.

``setns(2)`` moves only the calling thread; Python 3.11 has no
``os.setns``, so libc's is called through ctypes (:func:`lab.forwarder.setns`).
A socket keeps the namespace it was created in, and ``/proc/sys/net`` shows
the namespace of the thread that opens it, so a short-lived thread is enough
to make a socket or write a sysctl there; the caller's threads never move.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from lab.forwarder import setns
from lab.netns import NETNS_DIR

T = TypeVar("T")


def namespace_id(name: str) -> int | None:
    """The inode of namespace ``name`` (changes when it is deleted and made again), or None."""
    try:
        return os.stat(NETNS_DIR / name).st_ino
    except OSError:
        return None


def run_inside(name: str, action: Callable[[], T]) -> T:
    """``action()`` on a new thread inside namespace ``name``; its result or its exception.

    Raises ``OSError`` when the namespace does not exist.
    """
    fd = os.open(NETNS_DIR / name, os.O_RDONLY)

    def inside() -> T:
        setns(fd)
        return action()

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(inside).result()
    finally:
        os.close(fd)
