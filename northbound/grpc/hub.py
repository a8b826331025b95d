"""Fan-out of SLA events to the streams of ``StreamSlaEvents``.

The hub reads the events stored after its cursor (:mod:`controller.sla.events`)
when told that an SLA round stored something (:meth:`EventHub.notify`) and
at least every ``poll_interval`` seconds (so that rounds of other processes,
such as ``netsla sla run``, reach the streams too), and hands each event to
every subscriber whose principal sees its customer.

A subscriber that resumes from a cursor first gets the stored events between
its cursor and the hub's (read from the store), then the live ones: the
queue is registered and the hub's cursor taken without yielding to the
event loop, so nothing falls between the two.  A subscriber that falls
``max_backlog`` events behind is ended; it resumes from its last cursor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from controller.sla import events
from controller.sla.events import Cursor, SlaEvent
from controller.store import Store
from controller.store.sla import SlaRepository
from controller.store.slaevents import SlaEventRepository
from controller.tokens import Principal
from northbound.grpc.errors import FellBehind

log = logging.getLogger(__name__)


class _Subscriber:
    def __init__(self, principal: Principal, max_backlog: int) -> None:
        self.principal = principal
        self.queue: asyncio.Queue[SlaEvent | None] = asyncio.Queue(maxsize=max_backlog + 1)
        self.overflowed = False

    def offer(self, event: SlaEvent) -> None:
        if self.overflowed or not _visible(self.principal, event):
            return
        if self.queue.qsize() >= self.queue.maxsize - 1:
            self.overflowed = True
            self.queue.put_nowait(None)  # the slot kept free for this
            return
        self.queue.put_nowait(event)


def _visible(principal: Principal, event: SlaEvent) -> bool:
    return principal.scope is None or event.customer == principal.scope


class EventHub:
    """Reads new SLA events from the store and hands them to subscribers."""

    def __init__(
        self, store: Store, *, poll_interval: float = 2.0, max_backlog: int = 10_000
    ) -> None:
        self.store = store
        self.poll_interval = poll_interval
        self.max_backlog = max_backlog
        self._cursor: Cursor | None = None
        self._subscribers: set[_Subscriber] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _read(self, cursor: Cursor | None) -> tuple[Cursor, list[SlaEvent]]:
        with self.store.session() as session:
            repo, log_repo = SlaRepository(session), SlaEventRepository(session)
            if cursor is None:
                return events.head(log_repo), []
            return cursor, events.events_after(repo, log_repo, cursor)

    async def start(self) -> None:
        self._cursor, _ = await asyncio.to_thread(self._read, None)
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for subscriber in self._subscribers:
            with contextlib.suppress(asyncio.QueueFull):
                subscriber.queue.put_nowait(None)

    @property
    def subscriber_count(self) -> int:
        """Streams listening now."""
        return len(self._subscribers)

    def notify(self) -> None:
        """Something was stored: read it now rather than at the next poll."""
        self._wake.set()

    async def poll(self) -> int:
        """Read the events stored since the last poll and hand them on; how many were read."""
        cursor, found = await asyncio.to_thread(self._read, self._cursor)
        for event in found:
            for subscriber in list(self._subscribers):
                subscriber.offer(event)
        self._cursor = found[-1].cursor if found else cursor
        return len(found)

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_interval)
            self._wake.clear()
            try:
                await self.poll()
            except Exception:  # a store hiccup must not end every stream
                log.exception("reading SLA events failed; retrying at the next poll")

    async def subscribe(
        self, principal: Principal, resume: Cursor | None
    ) -> AsyncIterator[SlaEvent]:
        """Events for ``principal``: stored ones after ``resume`` (if given), then live ones."""
        if self._cursor is None:
            raise RuntimeError("the event hub is not started")
        subscriber = _Subscriber(principal, self.max_backlog)
        self._subscribers.add(subscriber)
        upto = self._cursor  # taken with the registration: no await between them
        try:
            if resume is not None:
                _, backlog = await asyncio.to_thread(self._read, resume)
                for event in backlog:
                    if upto.covers(event) and _visible(principal, event):
                        yield event
            while True:
                item = await subscriber.queue.get()
                if item is None:
                    if subscriber.overflowed:
                        raise FellBehind("the stream fell behind the SLA events")
                    return
                yield item
        finally:
            self._subscribers.discard(subscriber)
