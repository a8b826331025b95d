"""Fan-out of SLA events to the streams of ``StreamSlaEvents``.

The hub reads the events stored after its cursor (:mod:`controller.sla.events`)
when told that an SLA round stored something (:meth:`EventHub.notify`) and
at least every ``poll_interval`` seconds (so that rounds of other processes,
such as ``netsla sla run``, reach the streams too), and hands each event to
every subscriber whose principal sees its customer.

A subscriber that resumes from a cursor first gets the stored events between
its cursor and the hub's (read from the store, a page of ``page_size`` alarm
changes at a time), then the live ones: the queue is registered and the
hub's cursor taken without yielding to the event loop, so nothing falls
between the two.  A subscriber that falls ``max_backlog`` events behind is
ended; it resumes from its last cursor.

Every poll also asks the store which of the subscribers' tokens no longer
authenticate: the stream of a token revoked meanwhile ends, UNAUTHENTICATED,
before it is handed anything more.
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
from controller.tokens import Principal, Tokens
from northbound.grpc.errors import FellBehind, Unauthenticated

log = logging.getLogger(__name__)


class _Subscriber:
    def __init__(self, principal: Principal, max_backlog: int) -> None:
        self.principal = principal
        self.queue: asyncio.Queue[SlaEvent | None] = asyncio.Queue(maxsize=max_backlog + 1)
        self.overflowed = False
        self.revoked = False

    def revoke(self) -> None:
        """The token no longer authenticates: end the stream, handing it nothing more."""
        if not (self.revoked or self.overflowed):
            self.queue.put_nowait(None)  # the slot kept free for an end
        self.revoked = True

    def offer(self, event: SlaEvent) -> None:
        if self.overflowed or self.revoked or not _visible(self.principal, event):
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
        self,
        store: Store,
        *,
        poll_interval: float = 2.0,
        max_backlog: int = 10_000,
        page_size: int = 10_000,
    ) -> None:
        self.store = store
        self.poll_interval = poll_interval
        self.max_backlog = max_backlog
        self.page_size = page_size
        self._tokens = Tokens(store)
        self._cursor: Cursor | None = None
        self._subscribers: set[_Subscriber] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def _read(self, cursor: Cursor | None) -> tuple[Cursor, list[SlaEvent], bool]:
        """The cursor after the events read, the events, and whether more are stored."""
        with self.store.session() as session:
            repo, log_repo = SlaRepository(session), SlaEventRepository(session)
            if cursor is None:
                return events.head(log_repo), [], False
            found = events.events_after(repo, log_repo, cursor, limit=self.page_size)
        changes = sum(1 for event in found if event.alarm is not None)
        return (found[-1].cursor if found else cursor), found, changes >= self.page_size

    async def _pages(self, cursor: Cursor) -> AsyncIterator[list[SlaEvent]]:
        """The events stored after ``cursor``, a page at a time, to the last one stored."""
        while True:
            cursor, found, more = await asyncio.to_thread(self._read, cursor)
            yield found
            if not more:
                return

    async def start(self) -> None:
        self._cursor, _, _ = await asyncio.to_thread(self._read, None)
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
        """End the streams of revoked tokens; hand on the events stored since the last poll.

        Returns how many events were read.
        """
        assert self._cursor is not None, "the event hub is not started"
        watched = {s.principal.token_id for s in self._subscribers}
        if watched:
            revoked = await asyncio.to_thread(self._tokens.revoked_among, watched)
            for subscriber in list(self._subscribers):
                if subscriber.principal.token_id in revoked:
                    subscriber.revoke()
        read = 0
        async for found in self._pages(self._cursor):
            for event in found:
                for subscriber in list(self._subscribers):
                    subscriber.offer(event)
                self._cursor = event.cursor
            read += len(found)
        return read

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
                async for backlog in self._pages(resume):
                    for event in backlog:
                        if subscriber.revoked:
                            raise Unauthenticated("the token was revoked")
                        if upto.covers(event) and _visible(principal, event):
                            yield event
            while True:
                item = await subscriber.queue.get()
                if subscriber.revoked:
                    raise Unauthenticated("the token was revoked")
                if item is None:
                    if subscriber.overflowed:
                        raise FellBehind("the stream fell behind the SLA events")
                    return
                yield item
        finally:
            self._subscribers.discard(subscriber)
