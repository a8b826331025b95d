"""Sequencing of network-wide transactions against a recording device double.

The double models a NETCONF server's datastores (candidate, running, a
pending confirmed commit, the lock) closely enough that "every device is
put back" can be checked as a state, for a failure at every step on
every device.  The real servers are exercised by the lab tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from controller.transaction import (
    QUIRKS,
    DeviceChange,
    DeviceResult,
    Outcome,
    Phase,
    Quirks,
    Step,
    Transaction,
    TransactionFailed,
)
from southbound import workers
from southbound.errors import SouthboundError
from southbound.netconf import (
    Capabilities,
    Datastore,
    DeviceTimeout,
    DeviceUnreachable,
    EditTestOption,
    RpcErrorInfo,
    RpcFailed,
)

DEVICES = ("r1", "r2", "r3")
FULL = Capabilities(candidate=True, confirmed_commit=True, validate=True, rollback_on_error=True)
OPERATIONS = {
    Step.CONNECT: "connect",
    Step.LOCK: "lock",
    Step.DISCARD: "discard-changes",
    Step.EDIT: "edit-config",
    Step.COMMIT: "confirmed-commit",
    Step.CONFIRM: "confirm",
}


@dataclass
class Device:
    """A NETCONF server's state as far as a transaction can change it."""

    name: str
    fail: str | None = None  # operation that fails
    error: type[Exception] = RpcFailed
    running: str = "old"
    candidate: str = "old"
    saved: str | None = None  # running before a pending confirmed commit
    locked: bool = False
    dead: bool = False  # after an unreachable error every call fails
    capabilities: Capabilities = FULL
    calls: list[str] = field(default_factory=list)
    test_options: list[EditTestOption | None] = field(default_factory=list)

    def _call(self, operation: str) -> None:
        self.calls.append(operation)
        if operation == self.fail and self.error is RpcFailed:
            info = RpcErrorInfo("invalid-value", "application", "error", "bad", "/x")
            raise RpcFailed(self.name, operation, (info,))
        if operation == self.fail or self.dead:
            self.dead, self.locked = True, False  # the lock dies with the session
            raise DeviceUnreachable(self.name, f"{operation}: session lost", operation=operation)

    def eventually(self) -> tuple[str, bool]:
        """Running config once a pending confirmed commit timed out; locked."""
        return (self.running if self.saved is None else self.saved), self.locked

    async def connect(self) -> Capabilities:
        self._call("connect")
        return self.capabilities

    async def lock(self, datastore: Datastore) -> None:
        self._call("lock")
        assert not self.locked
        self.locked = True

    async def unlock(self, datastore: Datastore) -> None:
        self._call("unlock")
        self.locked = False

    async def discard_changes(self) -> None:
        self._call("discard-changes")
        self.candidate = self.running

    async def lock_and_discard(self, datastore: Datastore) -> None:
        # pipelined: a refused or lost lock takes the discard with it
        await self.lock(datastore)
        await self.discard_changes()

    async def edit_config(
        self,
        config: str,
        *,
        target: Datastore,
        rollback_on_error: bool = False,
        test_option: EditTestOption | None = None,
    ) -> None:
        self._call("edit-config")
        self.test_options.append(test_option)
        self.candidate = config

    async def commit(
        self,
        *,
        confirmed: bool = False,
        timeout: int | None = None,
        persist: str | None = None,
        persist_id: str | None = None,
    ) -> None:
        if confirmed:
            self._call("confirmed-commit")
            self.saved, self.running = self.running, self.candidate
        elif persist_id is not None:
            self._call("confirm")
            assert self.saved is not None
            self.saved = None
        else:
            self._call("commit")
            self.running = self.candidate

    async def commit_and_unlock(
        self, datastore: Datastore, *, persist_id: str | None = None
    ) -> None:
        try:
            await self.commit(persist_id=persist_id)
        finally:  # the server takes the pipelined unlock after the commit, whatever it said
            with contextlib.suppress(SouthboundError):
                await self.unlock(datastore)

    async def cancel_commit(self, *, persist_id: str | None = None) -> None:
        self._call("cancel-commit")
        assert self.saved is not None
        self.running, self.candidate, self.saved = self.saved, self.saved, None


def run(
    devices: Sequence[Device], quirks: Quirks | None = None, **kwargs: object
) -> list[DeviceResult]:
    changes = [DeviceChange(d.name, d, "new", "old") for d in devices]
    if quirks is not None:
        for change in changes:
            change.quirks = quirks
    return asyncio.run(Transaction(changes, persist_id="t1", **kwargs).run())  # type: ignore[arg-type]


def test_success_commits_everywhere_and_unlocks() -> None:
    devices = [Device(n) for n in DEVICES]
    results = run(devices)
    assert [r.outcome for r in results] == [Outcome.COMMITTED] * 3
    for d in devices:
        assert (d.running, d.saved, d.locked) == ("new", None, False)
        assert d.calls == [
            "connect",
            "lock",
            "discard-changes",
            "edit-config",
            "confirmed-commit",
            "confirm",
            "unlock",
        ]


@pytest.mark.parametrize("error", [RpcFailed, DeviceUnreachable])
@pytest.mark.parametrize("failing", DEVICES)
@pytest.mark.parametrize("step", list(OPERATIONS))
def test_failure_at_any_step_puts_every_device_back(
    step: Step, failing: str, error: type[Exception]
) -> None:
    devices = [
        Device(n, fail=OPERATIONS[step] if n == failing else None, error=error) for n in DEVICES
    ]
    with pytest.raises(TransactionFailed) as failure:
        run(devices)
    results = {r.device: r for r in failure.value.results}
    assert results[failing].failed_step == step
    assert results[failing].refused == (error is RpcFailed and step in (Step.EDIT, Step.COMMIT))
    for d in devices:
        assert d.eventually() == ("old", False), (d.name, d.calls)
        if d.saved is not None:  # unreachable with its confirmed commit pending
            assert results[d.name].outcome == Outcome.ROLLBACK_PENDING
        elif d.name != failing:
            assert results[d.name].outcome in (Outcome.ROLLED_BACK, None)
            assert d.saved is None


@dataclass
class _Unanswered(Device):
    """Its confirmed commit times out: taken by the server (``taken``) or not, no answer."""

    taken: bool = True

    async def commit(self, *, confirmed: bool = False, **rest: Any) -> None:
        if confirmed and self.taken:
            await super().commit(confirmed=True, **rest)
        if confirmed:
            raise DeviceTimeout(self.name, "commit: no reply in 60 s", operation="commit")
        await super().commit(**rest)

    async def cancel_commit(self, *, persist_id: str | None = None) -> None:
        if self.saved is None:  # none pending: the server's rpc-error
            self._call("cancel-commit")
            info = RpcErrorInfo("invalid-value", "protocol", "error", "no commit pending", "")
            raise RpcFailed(self.name, "cancel-commit", (info,))
        await super().cancel_commit(persist_id=persist_id)


@pytest.mark.parametrize("taken", [True, False])
def test_a_confirmed_commit_left_unanswered_is_cancelled_by_its_persist_id(taken: bool) -> None:
    """No answer to r2's confirmed commit: whether the server took it or not, r2 ends with
    nothing pending (cancel-commit, or discard-changes where none was pending)."""
    devices = [Device("r1"), _Unanswered("r2", taken=taken), Device("r3")]
    with pytest.raises(TransactionFailed, match=r"r2 \(commit\)") as failure:
        run(devices)
    results = {r.device: r for r in failure.value.results}
    assert (results["r2"].maybe_committed, results["r2"].outcome) == (True, Outcome.FAILED)
    for d in devices:
        assert (d.running, d.saved, d.locked) == ("old", None, False), (d.name, d.calls)
    tail = ["cancel-commit"] if taken else ["cancel-commit", "discard-changes"]
    assert devices[1].calls[-len(tail) - 1 : -1] == tail  # then the unlock


@dataclass
class _SlowEdit(Device):
    """Its edit takes ``delay`` seconds (a large configuration, a slow server)."""

    delay: float = 0.0

    async def edit_config(self, config: str, **options: Any) -> None:
        await asyncio.sleep(self.delay)
        await super().edit_config(config, **options)


@dataclass
class _Timer(Device):
    """Its confirmed commit's timer runs: past it, the server has rolled back by itself
    and refuses a cancel-commit (none pending)."""

    expires: float | None = None

    async def commit(self, *, confirmed: bool = False, **rest: Any) -> None:
        await super().commit(confirmed=confirmed, **rest)
        if confirmed:
            self.expires = time.monotonic() + float(rest["timeout"])

    async def cancel_commit(self, *, persist_id: str | None = None) -> None:
        if self.expires is not None and time.monotonic() >= self.expires:
            self.running, self.candidate, self.saved = self.saved or self.running, "old", None
            self._call("cancel-commit")
            info = RpcErrorInfo("invalid-value", "protocol", "error", "no commit pending", "")
            raise RpcFailed(self.name, "cancel-commit", (info,))
        await super().cancel_commit(persist_id=persist_id)


@pytest.mark.parametrize("delay", [0.9, 1.2])
def test_no_confirm_races_a_confirmed_commit_timer_about_to_run_out(delay: float) -> None:
    """r1's confirmed commit (1 s timer) is in at once, r2's edit takes ``delay``: then too
    little time is left for r1's confirm (or its timer ran out: r1 rolled itself back),
    and the transaction is put back instead, each device reported for what it is."""
    devices = [_Timer("r1"), _SlowEdit("r2", delay=delay)]
    with pytest.raises(TransactionFailed, match=r"r1 \(confirm\): no time left") as failure:
        run(devices, quirks=Quirks(confirm_timeout=1))
    results = {r.device: r for r in failure.value.results}
    assert (results["r1"].outcome, results["r2"].outcome) == (
        Outcome.FAILED,
        Outcome.ROLLED_BACK,
    )
    assert "confirm" not in devices[0].calls + devices[1].calls
    for d in devices:
        assert d.eventually() == ("old", False), (d.name, d.calls)


def test_the_candidate_is_locked_and_discarded_in_one_pipelined_call() -> None:
    class Pipelined(Device):
        pipelined = 0

        async def lock_and_discard(self, datastore: Datastore) -> None:
            self.pipelined += 1
            await super().lock_and_discard(datastore)

    devices = [Pipelined(n) for n in DEVICES]
    run(devices)
    assert [d.pipelined for d in devices] == [1, 1, 1]
    # a refused discard leaves the lock taken: released with the rest
    devices = [Pipelined("r1", fail="discard-changes"), Pipelined("r2")]
    with pytest.raises(TransactionFailed) as failure:
        run(devices)
    r1 = failure.value.results[0]
    assert (r1.failed_step, r1.done) == (Step.DISCARD, [Step.CONNECT, Step.LOCK])
    assert devices[0].calls[-1] == "unlock" and not devices[0].locked


def test_waiting_is_told_how_many_devices_are_still_to_prepare() -> None:
    left: list[int] = []
    run([Device(n) for n in DEVICES], waiting=left.append)
    assert left == [2, 1, 0]
    left.clear()
    with pytest.raises(TransactionFailed):  # once a device failed, nothing is told
        run([Device("r1", fail="lock"), Device("r2")], waiting=left.append)
    assert left == []


def test_confirmed_devices_are_compensated_when_another_fails_to_confirm() -> None:
    devices = [Device("r1"), Device("r2", fail="confirm")]
    with pytest.raises(TransactionFailed):
        run(devices)
    # r1 had confirmed (and unlocked with it): locked again, the reverse edit, committed,
    # is its rollback plan.
    assert devices[0].calls[-7:] == [
        "confirm",
        "unlock",
        "lock",
        "discard-changes",
        "edit-config",
        "commit",
        "unlock",
    ]
    assert (devices[0].running, devices[0].locked) == ("old", False)
    # r2's confirm was refused: its pipelined unlock still released the lock
    assert devices[1].calls[-3:] == ["confirm", "unlock", "cancel-commit"]
    assert (devices[1].running, devices[1].locked) == ("old", False)


def test_a_rollback_plan_that_cannot_be_built_is_reported_and_every_device_unlocked() -> None:
    devices = [Device("r1"), Device("r2", fail="confirm")]

    def broken() -> str:
        raise ValueError("no such node")

    changes = [
        DeviceChange("r1", devices[0], "new", broken),
        DeviceChange("r2", devices[1], "new", "old"),
    ]
    with pytest.raises(TransactionFailed, match="NOT rolled back on: r1") as failure:
        asyncio.run(Transaction(changes, persist_id="t1").run())  # type: ignore[arg-type]
    results = {r.device: r for r in failure.value.results}
    assert results["r1"].outcome == Outcome.ROLLBACK_FAILED
    assert results["r1"].error == "rollback failed: reverse edit not built: no such node"
    assert (devices[0].running, devices[0].locked) == ("new", False)  # kept, but not locked
    assert (devices[1].running, devices[1].locked) == ("old", False)


def test_a_device_that_cannot_be_locked_again_for_its_rollback_plan_is_reported() -> None:
    class Relocked(Device):
        async def lock(self, datastore: Datastore) -> None:
            if "confirm" in self.calls:  # another session took the lock meanwhile
                info = RpcErrorInfo("lock-denied", "protocol", "error", "locked", "")
                raise RpcFailed(self.name, "lock", (info,))
            await super().lock(datastore)

    devices = [Relocked("r1"), Device("r2", fail="confirm")]
    with pytest.raises(TransactionFailed) as failure:
        run(devices)
    r1 = failure.value.results[0]
    assert r1.outcome == Outcome.ROLLBACK_FAILED
    assert "lock-denied" in str(r1.error)
    assert devices[0].calls[-2:] == ["confirm", "unlock"]  # nothing sent unlocked


def test_observer_sees_prepared_then_confirmed_and_can_abort() -> None:
    seen: list[tuple[Phase, list[str]]] = []

    async def observe(phase: Phase, results: Sequence[DeviceResult]) -> None:
        seen.append((phase, [d.running for d in devices]))

    devices = [Device(n) for n in DEVICES]
    run(devices, observer=observe)
    assert seen == [(Phase.PREPARED, ["new"] * 3), (Phase.CONFIRMED, ["new"] * 3)]

    async def abort(phase: Phase, results: Sequence[DeviceResult]) -> None:
        raise KeyboardInterrupt

    devices = [Device(n) for n in DEVICES]
    with pytest.raises(KeyboardInterrupt):
        run(devices, observer=abort)
    assert all((d.running, d.saved, d.locked) == ("old", None, False) for d in devices)


def test_confirmed_is_told_once_unlocked_and_before_a_running_only_device_unlocks() -> None:
    seen: list[bool] = []

    async def observe(phase: Phase, results: Sequence[DeviceResult]) -> None:
        if phase is Phase.CONFIRMED:
            assert all(r.outcome == Outcome.COMMITTED for r in results)
            seen.extend(d.locked for d in devices)
            raise RuntimeError("observer failed")

    running_only = Capabilities(rollback_on_error=True)
    devices = [Device("r1"), Device("r2"), Device("r3", capabilities=running_only)]
    with pytest.raises(RuntimeError, match="observer failed"):
        run(devices, observer=observe)
    # the unlock went with the confirming commit; the running-only device still held its lock
    assert seen == [False, False, True]
    assert not any(d.locked for d in devices)
    assert [d.calls[-2:] for d in devices] == [["confirm", "unlock"]] * 2 + [
        ["edit-config", "unlock"]
    ]


@dataclass
class _RunningOnly(Device):
    """No candidate: edit-config changes running.  Its edit fails as ``how`` says:

    ``unanswered``: applied, then no answer; ``partial``: half applied, then an
    rpc-error (no rollback-on-error); ``refused``: an rpc-error, nothing applied
    (rollback-on-error).
    """

    how: str = "unanswered"

    async def edit_config(self, config: str, *, target: Datastore, **rest: Any) -> None:
        assert target is Datastore.RUNNING
        self.calls.append("edit-config")
        if config == "new" and self.how != "ok":
            if self.how == "unanswered":
                self.running = config
                raise DeviceTimeout(self.name, "edit-config: no reply", operation="edit-config")
            if self.how == "partial":
                self.running = "half new"
            info = RpcErrorInfo("invalid-value", "application", "error", "bad", "/x")
            raise RpcFailed(self.name, "edit-config", (info,))
        self.running = config


@pytest.mark.parametrize(
    ("how", "capabilities", "compensated"),
    [
        ("unanswered", Capabilities(rollback_on_error=True), True),
        ("partial", Capabilities(), True),
        ("refused", Capabilities(rollback_on_error=True), False),
    ],
)
def test_a_running_edit_that_may_have_taken_is_put_back_by_its_rollback_plan(
    how: str, capabilities: Capabilities, compensated: bool
) -> None:
    devices: list[Device] = [
        Device("r1"),
        _RunningOnly("r2", capabilities=capabilities, how=how),
    ]
    with pytest.raises(TransactionFailed, match=r"r2 \(edit-config\)") as failure:
        run(devices)
    results = {r.device: r for r in failure.value.results}
    assert results["r2"].maybe_edited is compensated
    for d in devices:
        assert (d.running, d.saved, d.locked) == ("old", None, False), (d.name, d.calls)
    assert (devices[1].calls.count("edit-config") == 2) is compensated  # the edit, its reverse


NO_VALIDATE = Capabilities(candidate=True, confirmed_commit=True, rollback_on_error=True)


@pytest.mark.parametrize(
    ("quirks", "capabilities", "expected"),
    [
        (QUIRKS["netsla-router"], FULL, EditTestOption.SET),
        (QUIRKS["netsla-router"], NO_VALIDATE, None),  # test-option needs :validate
        (Quirks(), FULL, None),  # a commit that may not validate: the server's default
    ],
)
def test_the_edit_is_left_unvalidated_only_where_the_commit_validates(
    quirks: Quirks, capabilities: Capabilities, expected: EditTestOption | None
) -> None:
    devices = [Device(n, capabilities=capabilities) for n in DEVICES]
    run(devices, quirks)
    assert all(d.test_options == [expected] for d in devices)
    assert all(d.calls[-3:] == ["confirmed-commit", "confirm", "unlock"] for d in devices)


def test_payload_builders_run_one_at_a_time_once_each_device_is_locked() -> None:
    devices = [Device(n) for n in DEVICES]
    building: list[str] = []
    order: list[tuple[str, bool]] = []
    threads: set[bool] = set()  # built in netsla's worker threads

    def builder(device: Device) -> Callable[[], str]:
        def build() -> str:
            order.append((device.name, device.locked))
            threads.add(threading.current_thread().name.startswith(workers.THREAD_PREFIX))
            building.append(device.name)
            assert len(building) == 1, building  # never two at once
            building.remove(device.name)
            return "new"

        return build

    changes = [DeviceChange(d.name, d, builder(d), "old") for d in devices]
    results = asyncio.run(Transaction(changes, persist_id="t1").run())
    assert [r.outcome for r in results] == [Outcome.COMMITTED] * 3
    assert sorted(order) == [(n, True) for n in DEVICES]
    assert threads == {True}
    assert all(d.running == "new" for d in devices)


def test_a_payload_that_cannot_be_built_fails_the_edit_and_puts_every_device_back() -> None:
    devices = [Device(n) for n in DEVICES]

    def broken() -> str:
        raise ValueError("no such list kind")

    changes = [DeviceChange(d.name, d, broken if d.name == "r2" else "new", "old") for d in devices]
    with pytest.raises(TransactionFailed) as failure:
        asyncio.run(Transaction(changes, persist_id="t1").run())
    failed = {r.device: r for r in failure.value.results}["r2"]
    assert (failed.failed_step, failed.refused) == (Step.EDIT, False)
    assert "payload not built: no such list kind" in str(failure.value)
    assert all(d.eventually() == ("old", False) for d in devices)
    assert "edit-config" not in devices[1].calls


def _gated(devices: Sequence[Device], gate: Callable[[], object]) -> list[DeviceResult]:
    """Run with ``gate`` (a blocking callable, run in a worker thread as netsla's journal is)."""
    changes = [DeviceChange(d.name, d, "new", "old") for d in devices]

    async def through() -> None:
        await asyncio.to_thread(gate)

    return asyncio.run(Transaction(changes, persist_id="t1", gate=through).run())


def test_no_device_commits_before_the_gate_passed_and_the_gate_runs_once() -> None:
    devices = [Device(n) for n in DEVICES]
    seen: list[list[str]] = []

    def gate() -> None:
        seen.append([op for d in devices for op in d.calls])

    results = _gated(devices, gate)
    assert len(seen) == 1
    assert "confirmed-commit" not in seen[0]
    assert all(r.outcome == Outcome.COMMITTED for r in results)
    assert [d.running for d in devices] == ["new"] * 3


def test_running_devices_edit_only_after_the_gate_passed() -> None:
    caps = Capabilities(rollback_on_error=True)  # no candidate: the edit changes running
    devices = [Device(n, capabilities=caps) for n in DEVICES]
    seen: list[list[str]] = []
    results = _gated(devices, lambda: seen.append([op for d in devices for op in d.calls]))
    assert "edit-config" not in seen[0]
    assert all("edit-config" in d.calls for d in devices)
    assert all(r.outcome == Outcome.COMMITTED for r in results)


def test_a_gate_that_fails_puts_every_device_back_before_any_commit() -> None:
    devices = [Device(n) for n in DEVICES]

    def gate() -> None:
        raise OSError("database is locked")

    with pytest.raises(TransactionFailed, match="not committed: database is locked"):
        _gated(devices, gate)
    for device in devices:
        assert "confirmed-commit" not in device.calls
        assert device.eventually() == ("old", False)
        assert device.candidate == "old"  # discarded


def test_the_gate_opens_when_a_device_needs_it_though_another_never_built_its_payload() -> None:
    devices = [Device("r1", fail="lock"), Device("r2"), Device("r3")]
    ran: list[bool] = []
    with pytest.raises(TransactionFailed, match="r1"):
        _gated(devices, lambda: ran.append(True))
    assert ran == [True]  # r2 and r3 passed it (no deadlock) and were put back
    assert all(d.eventually() == ("old", False) for d in devices)
