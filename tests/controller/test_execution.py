"""Execution helpers: the GIL switch interval and the collector while transactions run."""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from controller import execution
from controller.diff import Edit, Operation
from controller.execution import (
    SWITCH_INTERVAL,
    NotRecorded,
    PendingEntry,
    Push,
    RunOptions,
    collector_paused,
    execute,
    new_unit,
    open_transaction,
    prompt_replies,
)
from controller.journal import Journal, TxState
from controller.render.tree import NodeId
from controller.store import Store, open_store
from controller.store.footprints import ServiceRepository, now
from controller.store.services import DeviceRow
from controller.transaction import DeviceResult, Outcome, Phase, TransactionFailed
from southbound.netconf import Datastore
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


class _Made:
    """A container object the collector tracks."""


def test_what_survives_the_pause_is_moved_to_the_oldest_generation_unscanned() -> None:
    with collector_paused():
        made = [_Made() for _ in range(1000)]
    young = gc.get_objects(generation=0)
    oldest = gc.get_objects(generation=2)
    assert not any(o is made[0] for o in young)
    assert any(o is made[0] for o in oldest)
    assert gc.get_count()[0] < 700  # no young collection due for the pause's allocations


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


class _SlowConfirm(Device):
    """Confirms 50 ms after being asked: the success record is written meanwhile."""

    async def commit_and_unlock(
        self, datastore: Datastore, *, persist_id: str | None = None
    ) -> None:
        await asyncio.sleep(0.05)
        await super().commit_and_unlock(datastore, persist_id=persist_id)


def _two_devices(tmp_path: Path) -> tuple[Store, dict[str, Push], PendingEntry]:
    """A store knowing r1 and r2, a one-edit push for each, and their journal entry."""
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    with store.session() as session:
        for name in ("r1", "r2"):
            ServiceRepository(session).replace_device_config(name, "netsla-router", {})
    node = NodeId("vrf", ("a",))
    pushes = {d: Push(d, "netsla-router", [Edit(node, Operation.DELETE)], []) for d in ("r1", "r2")}
    return (
        store,
        pushes,
        open_transaction(new_unit(store), command="test", pushes=pushes, services={}),
    )


def test_the_journal_ends_with_the_record_and_is_stamped_after_the_last_confirm(
    tmp_path: Path,
) -> None:
    store, pushes, entry = _two_devices(tmp_path)
    confirmed: list[datetime] = []

    async def observer(phase: Phase, results: Sequence[DeviceResult]) -> None:
        if phase == Phase.CONFIRMED:
            confirmed.append(now())

    asyncio.run(
        execute(
            store=store,
            entry=entry,
            pushes=pushes,
            driver=_SlowConfirm,
            options=RunOptions(observer=observer),
        )
    )
    with store.session() as session:
        journal = Journal(session)
        row = journal.transaction(entry.tx)
        assert row is not None and row.finished_at is not None
        finished = row.finished_at.replace(tzinfo=row.finished_at.tzinfo or UTC)
        assert row.state == TxState.COMMITTED.value
        assert finished >= confirmed[0]  # stamped at the commit, not when the record was written
        assert {d.device: d.outcome for d in journal.devices(entry.tx)} == {
            "r1": "committed",
            "r2": "committed",
        }
        assert not session.scalars(
            select(DeviceRow.name).where(DeviceRow.busy_transaction.is_not(None))
        ).all()
    store.close()


class _SlowCommit(Device):
    """r2's confirmed commit takes 50 ms (and fails if told to)."""

    committed_at: float | None = None

    async def commit(self, *, confirmed: bool = False, **rest: Any) -> None:
        if confirmed and self.name == "r2":
            await asyncio.sleep(0.05)
        try:
            await super().commit(confirmed=confirmed, **rest)
        finally:
            if confirmed:
                self.committed_at = time.monotonic()


@pytest.mark.parametrize("last_fails", [False, True])
def test_the_record_is_written_while_the_last_device_commits_and_kept_only_if_it_does(
    tmp_path: Path, last_fails: bool
) -> None:
    store, pushes, entry = _two_devices(tmp_path)
    devices: dict[str, _SlowCommit] = {}
    recorded: list[float] = []

    def driver(name: str) -> _SlowCommit:
        fail = "confirmed-commit" if last_fails and name == "r2" else None
        devices[name] = _SlowCommit(name, fail=fail)
        return devices[name]

    def on_success(session: Session) -> None:
        recorded.append(time.monotonic())
        ServiceRepository(session).replace_device_config("marker", "netsla-router", {})

    run = execute(store=store, entry=entry, pushes=pushes, driver=driver, on_success=on_success)
    if last_fails:
        with pytest.raises(TransactionFailed):
            asyncio.run(run)
    else:
        asyncio.run(run)
    r2_committed = devices["r2"].committed_at
    assert recorded and r2_committed is not None and recorded[0] < r2_committed
    with store.session() as session:
        kept = ServiceRepository(session).device("marker") is not None
        row = Journal(session).transaction(entry.tx)
        assert row is not None
        assert (kept, row.state) == (
            (False, TxState.FAILED.value) if last_fails else (True, TxState.COMMITTED.value)
        )
    store.close()


def test_a_transaction_runs_to_its_end_when_its_caller_is_cancelled(tmp_path: Path) -> None:
    """Cancelled with every device holding the change under its confirmed commit (a gRPC
    client past its deadline, a first Ctrl-C), the caller gets its cancellation only
    once the transaction is confirmed, recorded and unlocked everywhere."""
    store, pushes, entry = _two_devices(tmp_path)
    devices: dict[str, Device] = {}

    def driver(name: str) -> Device:
        return devices.setdefault(name, _SlowConfirm(name))

    async def scenario() -> None:
        caller: asyncio.Task[list[DeviceResult]] | None = None

        async def give_up(phase: Phase, results: Sequence[DeviceResult]) -> None:
            if phase == Phase.PREPARED:
                assert caller is not None
                caller.cancel()

        caller = asyncio.create_task(
            execute(
                store=store,
                entry=entry,
                pushes=pushes,
                driver=driver,
                options=RunOptions(observer=give_up),
            )
        )
        with pytest.raises(asyncio.CancelledError):
            await caller

    asyncio.run(scenario())
    # Confirmed (no commit left pending) and unlocked on both.
    assert {n: (d.running != "old", d.saved, d.locked) for n, d in devices.items()} == {
        "r1": (True, None, False),
        "r2": (True, None, False),
    }
    with store.session() as session:
        row = Journal(session).transaction(entry.tx)
        assert row is not None and row.state == TxState.COMMITTED.value
        assert not session.scalars(
            select(DeviceRow.name).where(DeviceRow.busy_transaction.is_not(None))
        ).all()
    store.close()


def test_a_change_every_device_confirmed_but_the_store_cannot_record_is_put_back(
    tmp_path: Path,
) -> None:
    store, pushes, entry = _two_devices(tmp_path)
    devices: dict[str, Device] = {}
    failed_sessions: list[Session] = []

    def driver(name: str) -> Device:
        return devices.setdefault(name, _SlowConfirm(name))

    def on_success(session: Session) -> None:
        ServiceRepository(session).replace_device_config("marker", "netsla-router", {})
        raise RuntimeError("disk full")

    run = execute(
        store=store,
        entry=entry,
        pushes=pushes,
        driver=driver,
        on_success=on_success,
        on_failure=failed_sessions.append,
    )
    with pytest.raises(NotRecorded, match=r"not recorded \(disk full\); put back on every device"):
        asyncio.run(run)
    # Each device confirmed the change, then committed its reverse edit anew and unlocked.
    for name, device in devices.items():
        assert device.running == pushes[name].reverse_payload()
        assert (device.saved, device.locked) == (None, False)
        assert device.calls[-5:] == ["lock", "discard-changes", "edit-config", "commit", "unlock"]
    with store.session() as session:
        journal = Journal(session)
        row = journal.transaction(entry.tx)
        assert row is not None and row.state == TxState.FAILED.value
        assert {d.device: d.outcome for d in journal.devices(entry.tx)} == {
            "r1": "rolled-back",
            "r2": "rolled-back",
        }
        assert ServiceRepository(session).device("marker") is None
        assert not session.scalars(
            select(DeviceRow.name).where(DeviceRow.busy_transaction.is_not(None))
        ).all()
    assert len(failed_sessions) == 1  # the caller's own failure bookkeeping ran
    store.close()


def test_a_transaction_that_outlasts_its_lease_keeps_its_devices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """r1's confirmed commit takes longer than a lease: the lease is renewed meanwhile,
    so another controller still finds r1 taken."""
    monkeypatch.setattr(execution, "LEASE", timedelta(milliseconds=300))
    monkeypatch.setattr(execution, "RECORD_WHILE_WAITING_FOR", 0)
    store, pushes, entry = _two_devices(tmp_path)
    other = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    leased: list[datetime] = []

    class _SlowCommit(Device):
        async def commit(self, *, confirmed: bool = False, **rest: Any) -> None:
            if confirmed and self.name == "r1":
                await asyncio.sleep(0.6)  # two leases
                with other.session() as session:
                    until = session.scalar(
                        select(DeviceRow.busy_until).where(DeviceRow.name == "r1")
                    )
                assert until is not None
                leased.append(until if until.tzinfo else until.replace(tzinfo=UTC))
            await super().commit(confirmed=confirmed, **rest)

    started = now()
    results = asyncio.run(execute(store=store, entry=entry, pushes=pushes, driver=_SlowCommit))
    assert [r.outcome for r in results] == [Outcome.COMMITTED] * 2
    assert leased and leased[0] > started + timedelta(milliseconds=600)
    other.close()
    store.close()
