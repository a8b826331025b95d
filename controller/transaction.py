"""Network-wide transactions over a small :class:`DeviceDriver` Protocol.

For every device a change touches, in parallel (RFC 6241, Sections 7.5,
8.3 and 8.4): lock the candidate and discard stale candidate changes
(the two pipelined: one round trip), edit-config, and commit with
``<confirmed/>``, a timeout and a ``persist`` id.  Only when every
device has done so, the confirming commit on all.  When any device fails
at any step, every device is put back: cancel-commit where the confirmed
commit happened, discard-changes where only the candidate was edited,
and the locks released.  A controller that dies leaves the
confirmed-commit timeout to roll the devices back.  No confirm races that
timeout: when the slowest device took so long that a device's timer has
less than :data:`CONFIRM_MARGIN` left, the transaction is put back instead.

Devices without :confirmed-commit:1.1 get the best safe path their
capabilities allow (candidate and commit, or running with
rollback-on-error), with the reverse edit as rollback plan; an edit of
running that got no answer, or an rpc-error from a device that cannot roll
its edits back, may have taken in whole or in part, so the plan is applied
there too.  Per-platform quirks live in :data:`QUIRKS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol

from controller.errors import ControllerError
from southbound import workers
from southbound.errors import SouthboundError
from southbound.netconf import Capabilities, Datastore, EditTestOption, RpcFailed


class DeviceDriver(Protocol):
    """What a transaction needs from a device (southbound.netconf.NetconfSession)."""

    name: str

    async def connect(self) -> Capabilities: ...
    async def lock(self, datastore: Datastore) -> None: ...
    async def unlock(self, datastore: Datastore) -> None: ...
    async def discard_changes(self) -> None: ...
    async def lock_and_discard(self, datastore: Datastore) -> None: ...
    async def edit_config(
        self,
        config: str,
        *,
        target: Datastore,
        rollback_on_error: bool = False,
        test_option: EditTestOption | None = None,
    ) -> None: ...
    async def commit(
        self,
        *,
        confirmed: bool = False,
        timeout: int | None = None,
        persist: str | None = None,
        persist_id: str | None = None,
    ) -> None: ...
    async def commit_and_unlock(
        self, datastore: Datastore, *, persist_id: str | None = None
    ) -> None: ...
    async def cancel_commit(self, *, persist_id: str | None = None) -> None: ...


@dataclass(frozen=True, slots=True)
class Quirks:
    """Known peculiarities of one platform's NETCONF server."""

    # yuma123 netconfd 2.13: <validate source=candidate> then <commit> loses
    # the candidate's edits (LAB-NOTES); commit validates anyway.
    validate_loses_candidate: bool = False
    # Every <commit> validates the whole candidate (yuma123 netconfd: the
    # same rpc-errors as at edit-config), so an edit to the candidate is sent
    # with test-option "set" and validated once, by the confirmed commit,
    # instead of twice.  Needs :validate; otherwise the server's default.
    commit_validates: bool = False
    confirm_timeout: int = 60  # seconds, the confirmed commit's rollback timer


QUIRKS = MappingProxyType(
    {"netsla-router": Quirks(validate_loses_candidate=True, commit_validates=True)}
)
DEFAULT_QUIRKS = Quirks()


# Seconds a confirm must have left before its device's confirmed commit times
# out (a quarter of the timeout at most): less, and the transaction is put back.
CONFIRM_MARGIN = 5.0


class Strategy(StrEnum):
    CONFIRMED_COMMIT = "confirmed-commit"
    CANDIDATE = "candidate"
    RUNNING = "running"


class Step(StrEnum):
    CONNECT = "connect"
    LOCK = "lock"
    DISCARD = "discard-changes"
    EDIT = "edit-config"
    VALIDATE = "validate"
    COMMIT = "commit"
    CONFIRM = "confirm"


class Outcome(StrEnum):
    COMMITTED = "committed"
    ROLLED_BACK = "rolled-back"
    FAILED = "failed"  # this device's error caused the transaction to fail
    # Unreachable while its confirmed commit was pending: the commit's
    # timeout (or the server's restart from startup) puts it back.
    ROLLBACK_PENDING = "rollback-pending"
    ROLLBACK_FAILED = "rollback-failed"


class Phase(StrEnum):
    """Points of a transaction an observer is told about."""

    PREPARED = "prepared"  # every device holds the change, not yet confirmed
    CONFIRMED = "confirmed"  # every device confirmed (and unlocked, but a running-only one)


@dataclass(slots=True)
class DeviceChange:
    """One device's part of a transaction."""

    device: str
    driver: DeviceDriver
    # The edit's <config> as XML text, or what builds it: built in a worker
    # thread while the device locks, one device after another, so that the
    # first device edits while the next one's payload is being built.
    payload: str | Callable[[], str]
    # The rollback plan, or what builds it: called only when a device that
    # already committed must be put back (most transactions never need it).
    reverse: str | Callable[[], str]
    quirks: Quirks = DEFAULT_QUIRKS

    def reverse_payload(self) -> str:
        return self.reverse() if callable(self.reverse) else self.reverse


@dataclass(slots=True)
class DeviceResult:
    """Per-device outcome, like nornir's per-host results."""

    device: str
    outcome: Outcome | None = None
    done: list[Step] = field(default_factory=list)
    strategy: Strategy | None = None
    error: str | None = None
    failed_step: Step | None = None
    refused: bool = False  # the device refused the data itself (an rpc-error on edit or commit)
    # Its confirmed commit was sent but no answer came (a timeout, the session
    # lost): it may be pending on the device all the same.
    maybe_committed: bool = False
    # Its edit of running failed in a way that may have left all or part of
    # it in place (no answer; an rpc-error from a device without
    # rollback-on-error): its rollback plan is applied all the same (the
    # plan restores what was there, so it is harmless where nothing changed).
    maybe_edited: bool = False
    # When its confirmed commit was answered (time.monotonic()), and when that
    # commit's timer runs out on the device: a confirm must come before.
    commit_expires: float | None = None


class TransactionFailed(ControllerError):
    """At least one device failed; every device was put back (see ``results``)."""

    def __init__(self, results: Sequence[DeviceResult]) -> None:
        self.results = list(results)
        failed = [r for r in self.results if r.error]
        parts = [f"{r.device} ({r.failed_step}): {r.error}" for r in failed]
        bad = [r.device for r in self.results if r.outcome == Outcome.ROLLBACK_FAILED]
        pending = [r.device for r in self.results if r.outcome == Outcome.ROLLBACK_PENDING]
        tail = f"; NOT rolled back on: {', '.join(bad)}" if bad else ""
        if pending:
            tail += f"; rolled back by the confirmed-commit timeout on: {', '.join(pending)}"
        super().__init__("transaction failed: " + "; ".join(parts) + tail)

    @property
    def refused(self) -> bool:
        """Every failure is a device refusing the data (not a lock, session or timeout)."""
        failed = [r for r in self.results if r.error]
        return bool(failed) and all(r.refused for r in failed)


def _rolled_back(result: DeviceResult) -> None:
    if result.outcome != Outcome.FAILED:  # the failing device's outcome stays failed
        result.outcome = Outcome.ROLLED_BACK


class _ReverseNotBuilt(Exception):
    """A device's rollback plan could not be made into its payload."""


def _refuses_data(exc: SouthboundError) -> bool:
    """An rpc-error about the data sent (RFC 6241, Appendix A), not about locks or access."""
    if not isinstance(exc, RpcFailed):
        return False
    return all(e.tag not in _NOT_DATA for e in exc.errors)


def _edit_test(quirks: Quirks, capabilities: Capabilities) -> EditTestOption | None:
    """The candidate edit's test-option: "set" where the commit validates anyway."""
    if quirks.commit_validates and capabilities.validate:
        return EditTestOption.SET
    return None


def strategy_for(capabilities: Capabilities) -> Strategy:
    if capabilities.candidate and capabilities.confirmed_commit:
        return Strategy.CONFIRMED_COMMIT
    if capabilities.candidate:
        return Strategy.CANDIDATE
    return Strategy.RUNNING


Progress = Callable[[int, int], None]
# Awaited before any device changes what it runs (its confirmed commit, or
# its edit of the running datastore): the controller's journal entry is
# written meanwhile.  Started once every payload is built (or when a device
# first needs it); an error in it fails the transaction before any commit.
Gate = Callable[[], Awaitable[None]]
# Told, each time a device is prepared (holds the change, not yet
# confirmed), how many devices the transaction still waits for; no longer
# once a device failed.
Waiting = Callable[[int], None]
# Told of each :class:`Phase` with the per-device results so far.  An
# observer that raises at PREPARED makes the transaction roll back.
Observer = Callable[[Phase, Sequence[DeviceResult]], Awaitable[None]]
_NOT_DATA = frozenset({"lock-denied", "in-use", "resource-denied", "access-denied"})


class Transaction:
    """One network-wide transaction; ``persist_id`` names its confirmed commits."""

    def __init__(
        self,
        changes: Sequence[DeviceChange],
        *,
        persist_id: str,
        progress: Progress | None = None,
        observer: Observer | None = None,
        gate: Gate | None = None,
        waiting: Waiting | None = None,
    ) -> None:
        self.changes = list(changes)
        self.persist_id = persist_id
        self.results = {c.device: DeviceResult(c.device) for c in self.changes}
        self._progress = progress
        self._observer = observer
        self._done = 0
        self._building = asyncio.Lock()  # payloads are built one at a time
        self._payloads: dict[str, str] = {}
        self._gate = gate
        self._gate_task: asyncio.Future[None] | None = None
        self._unlocked: set[str] = set()  # unlocked with their final commit
        self._atomic_edits: set[str] = set()  # running edited with rollback-on-error
        self._waiting = waiting
        self._preparing = len(self.changes)
        self._none_failed = True

    async def run(self) -> list[DeviceResult]:
        """Commit on all devices or on none; raises :class:`TransactionFailed`."""
        prepared = await asyncio.gather(*(self._prepared(c) for c in self.changes))
        if all(prepared):
            try:
                await self._observe(Phase.PREPARED)
            except BaseException:
                await self._put_back()
                raise
            if not self._too_late():
                await asyncio.gather(*(self._confirm(c) for c in self.changes))
        if not all(r.error is None for r in self.results.values()):
            await self._put_back()
            raise TransactionFailed([self.results[c.device] for c in self.changes])
        try:
            await self._observe(Phase.CONFIRMED)  # before a running-only device unlocks
        finally:
            await asyncio.gather(*(self._unlock(c) for c in self.changes))
        return [self.results[c.device] for c in self.changes]

    async def revert(self) -> list[DeviceResult]:
        """Put every device back after :meth:`run` committed on all: each one's reverse
        edit, committed anew (outcome rolled-back, or rollback-failed with the error).

        For a controller that cannot record a change every device confirmed."""
        await self._put_back()
        return [self.results[c.device] for c in self.changes]

    def _too_late(self) -> bool:
        """Whether a device's confirmed commit may time out before its confirm arrives
        (the other devices took about as long as its timer): those devices fail, and
        the transaction is put back rather than confirmed in a race with the timers."""
        late = False
        now = time.monotonic()
        for change in self.changes:
            result = self.results[change.device]
            if result.commit_expires is None:
                continue
            timeout = change.quirks.confirm_timeout
            if now > result.commit_expires - min(CONFIRM_MARGIN, timeout / 4):
                result.error = (
                    f"no time left to confirm: its confirmed commit times out in {timeout} s"
                )
                result.failed_step, result.outcome, late = Step.CONFIRM, Outcome.FAILED, True
        return late

    async def _observe(self, phase: Phase) -> None:
        if self._observer is not None:
            await self._observer(phase, [self.results[c.device] for c in self.changes])

    async def _put_back(self) -> None:
        await asyncio.gather(*(self._undo(c) for c in self.changes))
        await asyncio.gather(*(self._unlock(c) for c in self.changes))

    async def _step(
        self, change: DeviceChange, step: Step, call: Callable[[], Awaitable[object]]
    ) -> bool:
        """Run one step; a failure is recorded on the device's result.

        :attr:`Step.DISCARD` is the lock and the discard, pipelined
        (:meth:`DeviceDriver.lock_and_discard`): the error's ``operation``
        tells which of them failed (the lock, unless it names the discard).
        """
        result = self.results[change.device]
        try:
            await call()
        except SouthboundError as exc:
            if step == Step.DISCARD:
                if getattr(exc, "operation", None) == "discard-changes":
                    result.done.append(Step.LOCK)
                else:
                    step = Step.LOCK
            result.error, result.failed_step = str(exc), step
            result.outcome = Outcome.FAILED
            result.refused = step in (Step.EDIT, Step.COMMIT) and _refuses_data(exc)
            unanswered = isinstance(exc, (TimeoutError, ConnectionError))
            result.maybe_committed = step == Step.COMMIT and unanswered
            result.maybe_edited = (
                step == Step.EDIT
                and result.strategy == Strategy.RUNNING
                and (unanswered or change.device not in self._atomic_edits)
            )
            return False
        if step == Step.DISCARD:
            result.done.append(Step.LOCK)
        result.done.append(step)
        return True

    async def _prepared(self, change: DeviceChange) -> bool:
        ok = await self._prepare(change)
        self._preparing -= 1
        self._none_failed = self._none_failed and ok
        if self._none_failed and self._waiting is not None:
            self._waiting(self._preparing)
        return ok

    async def _prepare(self, change: DeviceChange) -> bool:
        d, result = change.driver, self.results[change.device]
        caps: list[Capabilities] = []

        async def connect() -> None:
            caps.append(await d.connect())

        if not await self._step(change, Step.CONNECT, connect):
            return False
        strategy = result.strategy = strategy_for(caps[0])
        store = Datastore.RUNNING if strategy == Strategy.RUNNING else Datastore.CANDIDATE
        steps: list[tuple[Step, Callable[[], Awaitable[object]]]] = []
        if strategy == Strategy.RUNNING:
            if caps[0].rollback_on_error:
                self._atomic_edits.add(change.device)
            steps.append((Step.LOCK, lambda: d.lock(store)))
            steps.append(
                (
                    Step.EDIT,
                    lambda: d.edit_config(
                        self._payloads[change.device],
                        target=store,
                        rollback_on_error=caps[0].rollback_on_error,
                    ),
                )
            )
        else:
            test = _edit_test(change.quirks, caps[0])
            steps.append((Step.DISCARD, lambda: d.lock_and_discard(store)))
            steps.append(
                (
                    Step.EDIT,
                    lambda: d.edit_config(
                        self._payloads[change.device], target=store, test_option=test
                    ),
                )
            )
        if strategy == Strategy.CONFIRMED_COMMIT:
            timeout = change.quirks.confirm_timeout
            steps.append(
                (
                    Step.COMMIT,
                    lambda: d.commit(confirmed=True, timeout=timeout, persist=self.persist_id),
                )
            )
        # The payload is built while the device locks and discards (one round trip).
        build = asyncio.create_task(self._build(change))
        try:
            for step, call in steps:
                if step == Step.EDIT and not await build:
                    return False
                changes_running = step == Step.COMMIT or (
                    step == Step.EDIT and strategy == Strategy.RUNNING
                )
                if changes_running and not await self._through_gate(change):
                    return False
                if not await self._step(change, step, call):
                    return False
                if step == Step.COMMIT:
                    expires = time.monotonic() + change.quirks.confirm_timeout
                    result.commit_expires = expires
        finally:
            build.cancel()  # a device that failed before its edit needs no payload
        return await self._through_gate(change)

    def _open_gate(self) -> asyncio.Future[None] | None:
        if self._gate_task is None and self._gate is not None:
            self._gate_task = asyncio.ensure_future(self._gate())
        return self._gate_task

    async def _through_gate(self, change: DeviceChange) -> bool:
        """Wait for the gate (see :data:`Gate`); its error fails ``change`` before its commit."""
        gate = self._open_gate()
        if gate is None:
            return True
        try:
            await asyncio.shield(gate)
        except Exception as exc:
            result = self.results[change.device]
            result.error, result.failed_step = f"not committed: {exc}", Step.COMMIT
            result.outcome = Outcome.FAILED
            return False
        return True

    async def _build(self, change: DeviceChange) -> bool:
        """The device's payload, built now if it is a builder (a failure fails the edit)."""
        built = change.payload
        if callable(built):
            builder = built
            try:
                async with self._building:
                    built = await workers.run(builder)
            except Exception as exc:  # a payload that cannot be built: nothing was sent
                result = self.results[change.device]
                result.error, result.failed_step = f"payload not built: {exc}", Step.EDIT
                result.outcome = Outcome.FAILED
                return False
        self._payloads[change.device] = built
        if len(self._payloads) == len(self.changes):  # the last payload: the gate's turn
            self._open_gate()
        return True

    async def _confirm(self, change: DeviceChange) -> None:
        d, result = change.driver, self.results[change.device]
        if result.strategy == Strategy.RUNNING:
            ok = True
        else:  # the unlock goes right behind the commit: released whatever its outcome
            persist_id = self.persist_id if result.strategy == Strategy.CONFIRMED_COMMIT else None
            ok = await self._step(
                change,
                Step.CONFIRM,
                lambda: d.commit_and_unlock(Datastore.CANDIDATE, persist_id=persist_id),
            )
            self._unlocked.add(change.device)
        if ok:
            result.outcome = Outcome.COMMITTED
        self._done += 1
        if self._progress is not None:
            self._progress(self._done, len(self.changes))

    async def _undo(self, change: DeviceChange) -> None:
        d, result = change.driver, self.results[change.device]
        try:
            if result.outcome == Outcome.COMMITTED or (
                result.strategy == Strategy.RUNNING
                and (Step.EDIT in result.done or result.maybe_edited)
            ):
                await self._compensate(change)
            elif Step.CONFIRM not in result.done and (
                Step.COMMIT in result.done or result.maybe_committed
            ):
                try:  # by its persist-id: from a new session if the one that sent it is lost
                    await d.cancel_commit(persist_id=self.persist_id)
                except (ConnectionError, TimeoutError):
                    result.outcome = Outcome.ROLLBACK_PENDING
                    return
                except RpcFailed:
                    if (
                        result.commit_expires is not None
                        and time.monotonic() >= result.commit_expires
                    ):
                        _rolled_back(result)  # by its own timer, before the cancel came
                        return
                    if not result.maybe_committed:
                        raise
                    await d.discard_changes()  # none was pending: the commit never took
            elif Step.EDIT in result.done or Step.DISCARD in result.done:
                await d.discard_changes()
            else:
                return
        except (SouthboundError, _ReverseNotBuilt) as exc:
            if result.error is None:
                result.error, result.failed_step = f"rollback failed: {exc}", Step.COMMIT
            result.outcome = Outcome.ROLLBACK_FAILED
            return
        _rolled_back(result)

    async def _compensate(self, change: DeviceChange) -> None:
        """Apply the reverse edit: the rollback plan of a device already changed."""
        d, result = change.driver, self.results[change.device]
        try:
            reverse = change.reverse_payload()
        except Exception as exc:  # nothing sent: the device keeps the change
            raise _ReverseNotBuilt(f"reverse edit not built: {exc}") from exc
        if result.strategy == Strategy.RUNNING:
            await d.edit_config(reverse, target=Datastore.RUNNING)
            return
        if change.device in self._unlocked:  # released with its commit: lock it again
            await d.lock(Datastore.CANDIDATE)
            self._unlocked.discard(change.device)  # unlocked by _put_back if what follows fails
        await d.discard_changes()
        await d.edit_config(reverse, target=Datastore.CANDIDATE)
        await d.commit_and_unlock(Datastore.CANDIDATE)
        self._unlocked.add(change.device)

    async def _unlock(self, change: DeviceChange) -> None:
        d, result = change.driver, self.results[change.device]
        if Step.LOCK not in result.done or change.device in self._unlocked:
            return
        store = Datastore.RUNNING if result.strategy == Strategy.RUNNING else Datastore.CANDIDATE
        with contextlib.suppress(SouthboundError):  # a dead session's lock died with it
            await d.unlock(store)
        self._unlocked.add(change.device)
