"""Running planned device edits as one journaled, leased transaction.

Every operation that changes devices (service apply, re-deploy, rollback,
sync-to) goes the same way: in the unit of work that planned the change,
open the journal entry and take the devices' leases; run the
:class:`Transaction`, whose devices lock, discard and edit while a worker
thread adds the entry's edits and commits that unit of work (no device
commits before it is committed: the transaction's gate); then record the
outcome and release the leases in another.  A lease is a row update on
``netsla_device`` guarded by ``busy_transaction IS NULL OR busy_until <
now``: on PostgreSQL the row locks make a second controller's update wait
and then see the device taken; on SQLite the database's write lock
serialises them.  So two controllers never run transactions on the same
device at once.  And since the devices' rows are held (:func:`hold_devices`)
before a change is planned, none plans from state another is changing.

:func:`recover` finishes what a dead controller left ``prepared``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import sys
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from controller.diff import Edit
from controller.errors import ControllerError
from controller.journal import Document, Journal, TxState
from controller.render import platform
from controller.render.xml import edit_payload_text
from controller.store import Store, StoreError, unit_of_work
from controller.store.footprints import now
from controller.store.services import DeviceRow
from controller.transaction import (
    DEFAULT_QUIRKS,
    QUIRKS,
    DeviceChange,
    DeviceDriver,
    DeviceResult,
    Observer,
    Outcome,
    Progress,
    Transaction,
    TransactionFailed,
)
from southbound import workers

log = logging.getLogger(__name__)
T = TypeVar("T")

LEASE = timedelta(minutes=10)  # renewed every LEASE / 3 while its transaction runs
# The success record starts once the transaction waits for this many devices
# or fewer (every other one holds the change): while the slowest device
# commits, which leaves a core idle when the devices share netsla's machine.
RECORD_WHILE_WAITING_FOR = 1


class NotRecorded(TransactionFailed):
    """Every device committed, but the store could not record it: each device was put
    back (its reverse edit, committed anew), so that the network and the store agree."""

    def __init__(self, results: Sequence[DeviceResult], cause: BaseException) -> None:
        super().__init__(results)
        bad = [r.device for r in self.results if r.outcome == Outcome.ROLLBACK_FAILED]
        where = f"NOT put back on: {', '.join(bad)}" if bad else "put back on every device"
        self.args = (f"transaction failed: committed but not recorded ({cause}); {where}",)


class DeviceBusy(ControllerError):
    """Another transaction (maybe of another controller) holds one of the devices."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """How transactions run: confirm timeout override, observer, progress."""

    confirm_timeout: int | None = None  # seconds; None: the platform's (QUIRKS)
    observer: Observer | None = None
    progress: Progress | None = None


@dataclass(frozen=True, slots=True)
class Push:
    """One device's forward edits and their reverse."""

    device: str
    platform: str
    forward: list[Edit]
    reverse: list[Edit]

    def payload(self) -> str:
        return edit_payload_text(platform(self.platform).schema, self.forward)

    def reverse_payload(self) -> str:
        return edit_payload_text(platform(self.platform).schema, self.reverse)


Services = Mapping[str, tuple[Document, Document]]
OnSession = Callable[[Session], None]


def new_unit(store: Store) -> Session:
    """A session whose unit of work the caller ends (maybe in another thread)."""
    return Session(store.engine, expire_on_commit=False)


class PendingEntry:
    """A journal entry whose unit of work is still open.

    Its row and the devices' leases are written, not committed; the rest
    (each device's edits, the services' documents) is added and the unit
    committed by :meth:`write` (rolled back if that fails).  Until then the
    leases already keep other transactions off the devices: on PostgreSQL
    their row locks make another controller's lease wait; on SQLite the
    unit holds the write lock.
    """

    def __init__(self, session: Session, tx: int, rest: OnSession) -> None:
        self.session = session
        self.tx = tx
        self._rest = rest

    def write(self) -> None:
        """Add the rest and commit (a worker thread may call it); rolled back on error."""
        with unit_of_work(self.session):
            self._rest(self.session)


def hold_devices(session: Session, devices: Sequence[str]) -> None:
    """Before planning a change of ``devices``: keep other transactions off them.

    Their rows are locked (``SELECT ... FOR UPDATE``, in name order) until
    ``session``'s unit of work ends, and :class:`DeviceBusy` is raised if one
    is leased to a transaction still running.  On PostgreSQL another
    controller's lease of them then waits for this unit and finds them
    taken, and the planning reads the devices' stored state after whatever
    transaction held them last committed: a change is never planned from
    state another controller is about to change.  On SQLite, which has no
    row locks, the unit of work takes the database's write lock here (a
    write of the rows), which keeps other writers waiting the same way.
    """
    if not devices:
        return
    names = sorted(devices)
    if session.get_bind().dialect.name == "sqlite":
        # pysqlite begins a transaction only at the first write: without this
        # one, the planning reads could see a state that changes before it.
        session.execute(
            update(DeviceRow)
            .where(DeviceRow.name.in_(names))
            .values(busy_transaction=DeviceRow.busy_transaction)
        )
    taken = and_(DeviceRow.busy_transaction.is_not(None), DeviceRow.busy_until >= now())
    rows = session.execute(
        select(DeviceRow.name, taken.label("taken"))
        .where(DeviceRow.name.in_(names))
        .order_by(DeviceRow.name)
        .with_for_update()
    ).all()
    busy = [r.name for r in rows if r.taken]
    if busy:
        raise DeviceBusy(f"another transaction holds {', '.join(busy)}; try again")


def take_leases(session: Session, tx: int, devices: Sequence[str]) -> None:
    """Take ``devices`` for ``tx`` or raise :class:`DeviceBusy` (nothing taken then)."""
    if not devices:
        return
    result = session.execute(
        update(DeviceRow)
        .where(
            DeviceRow.name.in_(devices),
            or_(DeviceRow.busy_transaction.is_(None), DeviceRow.busy_until < now()),
        )
        .values(busy_transaction=tx, busy_until=now() + LEASE)
    )
    if cast("CursorResult[Any]", result).rowcount != len(devices):
        raise DeviceBusy(
            "another transaction holds some of the devices " + ", ".join(devices) + "; try again"
        )


def renew_leases(session: Session, tx: int) -> int:
    """Extend ``tx``'s leases to a full :data:`LEASE` from now; how many it holds."""
    result = session.execute(
        update(DeviceRow).where(DeviceRow.busy_transaction == tx).values(busy_until=now() + LEASE)
    )
    return int(cast("CursorResult[Any]", result).rowcount)


async def _keep_leases(store: Store, tx: int) -> None:
    """Renew ``tx``'s leases every third of :data:`LEASE` until cancelled.

    A transaction whose devices time out step after step (each RPC has
    its own timeout, and a put-back adds its own) can outlast one lease;
    another controller must not take its devices meanwhile.
    """
    while True:
        await asyncio.sleep(LEASE.total_seconds() / 3)

        def renew() -> None:
            with store.session() as session:
                renew_leases(session, tx)

        try:
            await asyncio.to_thread(renew)
        except StoreError as exc:  # tried again at the next third
            log.warning("transaction %d: its device leases were not renewed: %s", tx, exc)


def release_leases(session: Session, tx: int) -> None:
    session.execute(
        update(DeviceRow)
        .where(DeviceRow.busy_transaction == tx)
        .values(busy_transaction=None, busy_until=None)
    )


def open_transaction(
    session: Session,
    *,
    command: str,
    pushes: Mapping[str, Push],
    services: Services | Callable[[], Services],
    rollback_of: int | None = None,
    also: OnSession | None = None,
) -> PendingEntry:
    """Open the journal entry (state prepared) and lease its devices, in ``session``.

    ``session``'s unit of work is handed over: rolled back and closed here
    on error (:class:`DeviceBusy`), else completed by :func:`execute`
    (``services``, if a callable, is called then, in a worker thread, and
    so is ``also``: writes of the planning's unit that no device waits for).
    """
    journal = Journal(session)
    try:
        tx = journal.open(command=command, rollback_of=rollback_of)
        take_leases(session, tx, sorted(pushes))
    except BaseException:
        session.rollback()
        session.close()
        raise
    devices = {d: (p.forward, p.reverse) for d, p in pushes.items()}

    def rest(unit: Session) -> None:  # ``session``, in the worker thread that completes it
        if also is not None:
            also(unit)
        journal.add(tx, devices=devices, services=services() if callable(services) else services)

    return PendingEntry(session, tx, rest)


async def execute(
    *,
    store: Store,
    entry: PendingEntry,
    pushes: Mapping[str, Push],
    driver: Callable[[str], DeviceDriver],
    options: RunOptions | None = None,
    on_success: OnSession | None = None,
    on_failure: OnSession | None = None,
) -> list[DeviceResult]:
    """Run ``entry``'s transaction; record its end (``on_success``/``on_failure`` too).

    The entry is written (:meth:`PendingEntry.write`, in a worker thread)
    once every payload is built, while the devices edit; no device commits
    before it is committed.  ``on_success`` runs in a worker thread once
    the transaction waits for its last device's confirmed commit (every
    other device holds the change; :data:`RECORD_WHILE_WAITING_FOR`) and
    while the confirming commits are in flight, in a unit of work that
    commits (with the journal's ``committed`` state) only once every
    device confirmed and unlocked (each unlock is pipelined behind the
    device's final commit), releasing the devices' leases, and is rolled
    back otherwise: nothing is recorded as applied unless every device
    committed; if it cannot be written, every device is put back
    (:class:`NotRecorded`).  A transaction that fails is journaled as failed, unless
    its entry could not be written (then nothing of it was committed
    anywhere).  Python's cyclic garbage collector is paused meanwhile
    (:func:`collector_paused`).

    Once started, the transaction runs to its end even if the caller is
    cancelled (a gRPC client gone or past its deadline, a first Ctrl-C):
    dropped half-way, it would leave devices locked by the controller's
    sessions and holding a confirmed commit nobody confirms or cancels, and
    its journal entry saying otherwise.  The cancellation is raised once
    the transaction is committed on every device or put back on all.
    """
    keeping = asyncio.ensure_future(_keep_leases(store, entry.tx))
    try:
        with collector_paused():
            return await _to_the_end(
                entry.tx,
                _execute(
                    store=store,
                    entry=entry,
                    pushes=pushes,
                    driver=driver,
                    options=options or RunOptions(),
                    on_success=on_success,
                    on_failure=on_failure,
                ),
            )
    finally:
        keeping.cancel()


async def _to_the_end(tx: int, work: Coroutine[Any, Any, T]) -> T:
    """``work``'s result, awaited to its end though the caller be cancelled meanwhile
    (then the cancellation is raised after it)."""
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():  # the work itself was cancelled
                raise
            cancelled = True
        except BaseException:
            break  # the work's own error, raised below (or the cancellation)
    if cancelled:
        ended = "cancelled" if task.cancelled() else "failed" if task.exception() else "committed"
        log.warning("transaction %d: its caller was cancelled; it ran to its end: %s", tx, ended)
        raise asyncio.CancelledError
    return task.result()


async def _execute(
    *,
    store: Store,
    entry: PendingEntry,
    pushes: Mapping[str, Push],
    driver: Callable[[str], DeviceDriver],
    options: RunOptions,
    on_success: OnSession | None,
    on_failure: OnSession | None,
) -> list[DeviceResult]:
    tx = entry.tx
    journal = _Gate(entry)
    early = _Recording(store, on_success, tx, sorted(pushes))

    def waiting(devices: int) -> None:  # told 0 at the latest, before PREPARED
        if devices <= RECORD_WHILE_WAITING_FOR:
            early.start()

    try:
        changes = [_change(p, driver(d), options) for d, p in sorted(pushes.items())]
        transaction = Transaction(
            changes,
            persist_id=f"netsla-{tx}",
            progress=options.progress,
            observer=options.observer,
            gate=journal,
            waiting=waiting,
        )
        with prompt_replies():
            results = await transaction.run() if changes else []
        await journal()  # no device took part: journaled all the same
    except BaseException as exc:
        if await early.committed():  # every device confirmed; the record is in, leases released
            raise
        await early.abandon()
        if not await journal.written():  # nothing of it was committed: nothing to finish
            raise
        with store.session() as session:
            if on_failure is not None:
                on_failure(session)
            _finish(session, tx, exc)
        raise
    early.commit()  # every device confirmed and unlocked: leases released with the record
    try:
        await early.committed()
    except Exception as exc:  # every device has the change, the store cannot say so
        failed = NotRecorded(await transaction.revert(), exc)
        try:
            with store.session() as session:
                if on_failure is not None:
                    on_failure(session)
                _finish(session, tx, failed)
        except Exception:  # the store's own trouble: the next start's recovery finishes it
            log.exception("transaction %d: not journaled as failed", tx)
        raise failed from exc
    return results


class _Gate:
    """The transaction's gate (controller.transaction.Gate): the journal entry written
    once, in a worker thread."""

    def __init__(self, entry: PendingEntry) -> None:
        self._entry = entry
        self._task: asyncio.Task[None] | None = None

    def __call__(self) -> asyncio.Task[None]:
        if self._task is None:
            self._task = asyncio.ensure_future(workers.run(self._entry.write))
        return self._task

    async def written(self) -> bool:
        """Whether the entry was committed (written now if it was not yet)."""
        try:
            await self()
        except Exception:
            return False
        return True


SWITCH_INTERVAL = 0.0005  # seconds; CPython's default is 0.005


class _WhileRunning:
    """A process-wide setting held while any transaction runs.

    The first transaction to enter takes it (``take`` returns what to put
    back), the last one to leave puts back what was there.  Used from the
    event loop's thread only.
    """

    def __init__(self, take: Callable[[], Any], put_back: Callable[[Any], None]) -> None:
        self._take = take
        self._put_back = put_back
        self._running = 0
        self._before: Any = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        if self._running == 0:
            self._before = self._take()
        self._running += 1
        try:
            yield
        finally:
            self._running -= 1
            if self._running == 0:
                self._put_back(self._before)


def _shorten_switch_interval() -> float:
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(SWITCH_INTERVAL, before))
    return before


def _pause_collector() -> bool:
    enabled = gc.isenabled()
    gc.disable()
    return enabled


def _resume_collector(was_enabled: bool) -> None:
    if was_enabled:
        # Everything that survived the pause goes to the oldest generation
        # unscanned (gc.freeze() then gc.unfreeze(), as documented): resumed
        # as it was, the collector's first young collection would scan all of
        # it, 3 ms after a 200-service apply, before its caller hears back.
        gc.freeze()
        gc.unfreeze()
        gc.enable()


_SWITCH = _WhileRunning(_shorten_switch_interval, sys.setswitchinterval)
_COLLECTOR = _WhileRunning(_pause_collector, _resume_collector)


def collector_paused() -> contextlib.AbstractContextManager[None]:
    """Pause Python's cyclic garbage collector until the last apply or transaction running ends.

    Planning and recording a few hundred services allocate hundreds of
    thousands of objects, and a 200-service transaction enough more
    (payloads, journal and record rows, RPC replies) to set off a dozen
    young-generation collections, 6 to 14 ms in all on the lab, and full
    ones that scan the whole heap (SQLAlchemy, libyang, ncclient), which
    once doubled the planning time of 200 services.  Paused, reference
    counting still frees everything acyclic; what survives the pause is
    moved to the collector's oldest generation when it resumes, so that its
    cycles wait for the next full collection.  Counted, and used from the
    event loop's thread only; a worker thread an apply runs (the success
    record) runs while it is held.
    """
    return _COLLECTOR.held()


def prompt_replies() -> contextlib.AbstractContextManager[None]:
    """Hand the GIL over every 0.5 ms while transactions' RPCs are in flight.

    The success record and the payloads are built in worker threads while
    devices answer; with CPython's 5 ms switch interval, ncclient's session
    threads, which read those answers, waited up to 5 ms for the GIL each
    time.  The interval is put back when the last transaction ends.
    """
    return _SWITCH.held()


class _Recording:
    """The success record of a transaction: written while its last device commits and
    its confirms are in flight, committed once every device confirmed.

    The journal's ``committed`` state, each device's outcome (``committed``)
    and the leases' release are written with the record: they are what
    every device confirming makes them, the only way it is committed
    (:meth:`Transaction.run` raises otherwise).  So only the commit, and
    when the transaction ended, is left for after the last confirm.
    """

    def __init__(
        self, store: Store, work: OnSession | None, tx: int, devices: Sequence[str]
    ) -> None:
        self._store = store
        self._work = work
        self._tx = tx
        self._outcomes = dict.fromkeys(devices, (Outcome.COMMITTED.value, None))
        self._task: asyncio.Task[Session] | None = None
        self._commit: asyncio.Task[None] | None = None

    def start(self) -> asyncio.Task[Session]:
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        return self._task

    async def _run(self) -> Session:
        await asyncio.sleep(0)  # the transaction's own next steps go first
        return await workers.run(self._write)

    def _write(self) -> Session:
        session = Session(self._store.engine, expire_on_commit=False)
        try:
            if self._work is not None:
                self._work(session)
            Journal(session).finish(self._tx, state=TxState.COMMITTED, outcomes=self._outcomes)
            release_leases(session, self._tx)  # committed once every device unlocked
            session.flush()
        except BaseException:
            session.rollback()
            session.close()
            raise
        return session

    def commit(self) -> None:
        """Start committing the record: call only once every device confirmed."""
        if self._commit is None:
            self._commit = asyncio.create_task(self._commit_run())

    async def _commit_run(self) -> None:
        session = await self.start()
        await workers.run(_commit_record, session, self._tx)

    async def committed(self) -> bool:
        """Whether the record was committed: False if no commit was started; waits for
        one under way (its error, after every device confirmed, is raised)."""
        if self._commit is None:
            return False
        await self._commit
        return True

    async def abandon(self) -> None:
        """Roll the record back (a device did not confirm)."""
        if self._task is None:
            return
        try:
            session = await self._task
        except Exception:  # already rolled back in _write; the device failure is what counts
            return
        session.rollback()
        session.close()


def _commit_record(session: Session, tx: int) -> None:
    with unit_of_work(session):
        Journal(session).stamp_finished(tx)  # the last device confirmed


def _change(push: Push, driver: DeviceDriver, options: RunOptions) -> DeviceChange:
    quirks = QUIRKS.get(push.platform, DEFAULT_QUIRKS)
    if options.confirm_timeout is not None:
        quirks = dataclasses.replace(quirks, confirm_timeout=options.confirm_timeout)
    return DeviceChange(
        device=push.device,
        driver=driver,
        payload=push.payload,
        reverse=push.reverse_payload,
        quirks=quirks,
    )


def _finish(session: Session, tx: int, exc: BaseException) -> None:
    outcomes = {}
    if isinstance(exc, TransactionFailed):
        outcomes = {
            r.device: (r.outcome.value if r.outcome else "untouched", r.error) for r in exc.results
        }
    Journal(session).finish(
        tx, state=TxState.FAILED, error=str(exc) or type(exc).__name__, outcomes=outcomes
    )
    release_leases(session, tx)


def leased(session: Session, tx: int) -> bool:
    """Whether some device is still leased to ``tx`` (its controller may be alive)."""
    found = session.scalar(
        select(DeviceRow.name).where(
            DeviceRow.busy_transaction == tx, DeviceRow.busy_until >= now()
        )
    )
    return found is not None


def recover(
    store: Store, *, restore: Callable[[Session, str, dict[str, Any] | None], None]
) -> list[int]:
    """Mark transactions of dead controllers failed; give back what they allocated.

    A ``prepared`` transaction is dead when its controller process on this
    host is gone, or (another host's) when its device leases ran out.
    ``restore`` is called per service with the document it had before.
    """
    with store.session() as session:
        journal = Journal(session)
        stale = [
            tx for tx in journal.prepared() if journal.starter_gone(tx) or not leased(session, tx)
        ]
        for tx in stale:
            for entry in journal.services(tx):
                restore(session, entry.service_id, entry.before)
            journal.finish(
                tx,
                state=TxState.FAILED,
                error="controller stopped before the transaction finished; devices rolled "
                "back by their confirmed-commit timeout",
                outcomes={d.device: ("rollback-pending", None) for d in journal.devices(tx)},
            )
            release_leases(session, tx)
    return stale
