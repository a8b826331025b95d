"""Execution helpers: the GIL switch interval and the collector while transactions run."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from controller.diff import Edit, Operation
from controller.execution import (
    SWITCH_INTERVAL,
    Push,
    RunOptions,
    collector_paused,
    execute,
    new_unit,
    open_transaction,
    prompt_replies,
)
from controller.render.tree import NodeId
from controller.store import open_store
from controller.store.footprints import ServiceRepository
from controller.transaction import DeviceResult, Outcome, Phase
from tests.controller.test_transaction import Device


def test_the_switch_interval_is_short_while_transactions_run_and_put_back_after() -> None:
    before = sys.getswitchinterval()
    assert before > SWITCH_INTERVAL
    with prompt_replies():
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
        with prompt_replies():  # a second transaction at the same time
            assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
    assert sys.getswitchinterval() == before


def test_the_switch_interval_is_put_back_when_a_transaction_raises() -> None:
    before = sys.getswitchinterval()
    with pytest.raises(RuntimeError), prompt_replies():
        raise RuntimeError("device gone")
    assert sys.getswitchinterval() == before


def test_the_collector_is_paused_while_transactions_run_and_put_back_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # a second transaction at the same time
            assert not gc.isenabled()
        assert not gc.isenabled()  # the first one still runs
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # disabled by someone else: left so
    finally:
        gc.enable()


def test_execute_runs_with_the_collector_paused(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    with store.session() as session:
        ServiceRepository(session).replace_device_config("r1", "netsla-router", {})
    node = NodeId("vrf", ("a",))
    push = Push("r1", "netsla-router", [Edit(node, Operation.DELETE)], [])
    entry = open_transaction(new_unit(store), command="test", pushes={"r1": push}, services={})
    seen: list[bool] = []

    async def observer(phase: Phase, results: Sequence[DeviceResult]) -> None:
        seen.append(gc.isenabled())

    results = asyncio.run(
        execute(
            store=store,
            entry=entry,
            pushes={"r1": push},
            driver=Device,
            options=RunOptions(observer=observer),
        )
    )
    store.close()
    assert [r.outcome for r in results] == [Outcome.COMMITTED]
    assert seen == [False, False]  # prepared, confirmed
    assert gc.isenabled()
