"""netsla's worker threads: started ahead, sized for the devices, used like asyncio.to_thread."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from pathlib import Path

import pytest

from southbound import workers
from southbound.inventory import Device, Inventory, NetconfTarget
from southbound.netconf import NetconfPool


def _workers_alive() -> int:
    return sum(t.name.startswith(workers.THREAD_PREFIX) for t in threading.enumerate())


def test_prestart_starts_the_threads_before_any_work_comes() -> None:
    workers.prestart(6)
    assert _workers_alive() >= 6
    before = _workers_alive()
    workers.prestart(3)  # as many were started already: nothing to do
    assert _workers_alive() == before


def test_run_returns_raises_and_keeps_the_callers_context() -> None:
    who: contextvars.ContextVar[str] = contextvars.ContextVar("who")

    def call(x: int, *, y: int) -> tuple[int, str, str]:
        return x + y, who.get(), threading.current_thread().name

    async def main() -> tuple[int, str, str]:
        who.set("transaction 7")
        return await workers.run(call, 1, y=2)

    total, seen, thread = asyncio.run(main())
    assert (total, seen) == (3, "transaction 7")
    assert thread.startswith(workers.THREAD_PREFIX)

    def broken() -> None:
        raise ValueError("no reply")

    with pytest.raises(ValueError, match="no reply"):
        asyncio.run(workers.run(broken))


def test_a_netconf_pool_starts_a_thread_per_device_and_a_transactions_own(
    tmp_path: Path,
) -> None:
    count = workers.MAX_WORKERS - workers.PER_TRANSACTION  # more than any test before
    devices = {
        f"pe{i}": Device(
            name=f"pe{i}",
            platform="netsla-router",
            netconf=NetconfTarget(host="127.0.0.1", port=830, username="u", credential="k"),
        )
        for i in range(count)
    }
    inventory = Inventory(
        devices=devices, known_hosts=tmp_path / "known_hosts", secrets_path=tmp_path / "s"
    )
    NetconfPool(inventory)  # connects nothing
    assert _workers_alive() >= workers.for_devices(count) == workers.MAX_WORKERS


def test_a_forked_child_makes_its_own_threads() -> None:
    workers.prestart(4)  # the parent's threads, which a child does not get
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit code
        try:
            answer = asyncio.run(asyncio.wait_for(workers.run(lambda: 42), timeout=5))
            os._exit(0 if answer == 42 else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
