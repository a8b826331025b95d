"""netsla's store: SQLAlchemy 2 over SQLite (default) or PostgreSQL.

Every table of netsla derives from :class:`Base`.  Code outside the store
talks to repositories (one module per domain: services and transactions,
telemetry, SLA results), never to sessions directly.  :meth:`Store.session`
is the unit of work: it commits on success and rolls back *and re-raises*
on any error.

An SQLite file is checkpointed off the commit path: SQLite's automatic
checkpoint (``wal_autocheckpoint``) would copy the WAL into the database
inside the COMMIT of whichever connection crosses its threshold, so
:func:`open_store` turns it off and gives the store a
:class:`WalCheckpointer`, one thread that does that copy after commits.
"""

from __future__ import annotations

import atexit
import logging
import os
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from controller.errors import ControllerError

log = logging.getLogger(__name__)

CHECKPOINT_PAGES = 1000
"""WAL pages not yet in the database file that start a checkpoint (SQLite's own default)."""

BUSY_TIMEOUT_MS = 10_000
"""How long a statement waits for another connection's lock before it fails."""

PAGE_SIZE = 16_384
"""Bytes per page of a new SQLite database (SQLite's default is 4,096).

A transaction's success record writes thousands of small rows; at its
commit SQLite appends every page it changed to the WAL, a frame each, so
that fewer, larger pages make the commit that ends an apply cheaper (a
200-service apply's: 1.6-1.7 ms of CPU instead of 2.8).  A database that
exists keeps the page size it was made with.
"""


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """End ``session`` as a unit of work: commit on success, roll back and re-raise on error.

    :meth:`Store.session` opens its own; a session opened in one thread and
    finished in another (the success record) is passed in.
    """
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


class StoreError(ControllerError):
    """The database could not be opened or used."""


class Base(DeclarativeBase):
    """Declarative base of every netsla table."""


def data_folder() -> Path:
    """netsla's folder in the user's data folder (XDG_DATA_HOME), made if missing."""
    data_home = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    folder = data_home / "netsla"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def wal_file(database: Path) -> Path:
    """The write-ahead log SQLite keeps beside ``database`` in WAL mode."""
    return database.with_name(f"{database.name}-wal")


def sqlite_files(database: Path) -> tuple[Path, Path, Path]:
    """``database`` and the WAL and shared-memory files SQLite keeps beside it."""
    return database, wal_file(database), database.with_name(f"{database.name}-shm")


def default_database_url() -> str:
    """An embedded SQLite file in the user's data folder (XDG_DATA_HOME)."""
    return sqlite_url(data_folder() / "netsla.db")


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")  # only a new, empty database takes it
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


class WalFrames(NamedTuple):
    """The frames (one page each) of an SQLite WAL, as ``PRAGMA wal_checkpoint`` counts them."""

    log: int
    """Frames in the WAL."""
    checkpointed: int
    """Of those, the ones copied into the database file."""

    @property
    def backlog(self) -> int:
        return self.log - self.checkpointed


_CHANGES = "netsla.total_changes"  # a pooled connection's rows changed when last checked in


class WalCheckpointer:
    """Checkpoints an SQLite file's WAL in one background thread, never in a COMMIT.

    Its connections get ``wal_autocheckpoint=0``.  A connection that changed
    rows wakes the thread when it goes back to the pool, i.e. after its
    commit (SQLAlchemy's ``commit`` event comes before the commit); wakes
    while the thread works make one more look, not one each.  The thread
    copies the WAL into the database with a PASSIVE checkpoint, which takes
    no lock and waits for no writer or reader, once the WAL file is longer
    than ``pages``.  The file's length is enough to tell: the connections'
    ``journal_size_limit`` is ``pages``, so the first commit after the WAL
    restarts cuts the file back to that (the WAL is only looked at with
    ``stat``: a file of SQLite's opened and closed in the process would
    drop SQLite's POSIX locks on it).

    Writers that always start before a checkpoint ends keep the WAL from
    restarting, so from four times ``pages`` it is also truncated (TRUNCATE:
    new writers wait while it waits at most :attr:`TRUNCATE_WAIT_MS` for
    readers).  A failed or busy checkpoint is logged at debug and tried
    again: at the next commit, or after a pause that grows to
    :attr:`PAUSE_LAST_S` (a failed TRUNCATE only after the pause).  The
    thread waits on a condition: idle, it costs nothing.  Stopping it makes
    a last checkpoint that truncates the WAL.  Other processes may run their
    own on the same file: SQLite's checkpoint lock makes all but one busy.
    """

    TRUNCATE_WAIT_MS = 100
    PAUSE_FIRST_S, PAUSE_LAST_S = 0.25, 5.0

    def __init__(self, engine: Engine, database: str, *, pages: int) -> None:
        self._engine = engine
        self._wal = wal_file(Path(database))
        self._pages = pages
        self._limit = 4 * pages
        self._wal_bytes: int | None = None  # ``pages`` as a WAL file's length, once known
        self._changed = threading.Condition()
        self._pending = False
        self._stopping = False
        self._pause: float | None = None  # after failures: the pause between looks
        self._retry_at: float | None = None  # monotonic time of the next look without a commit
        self._truncate_after = 0.0  # monotonic time before which no TRUNCATE is tried
        self.checkpoints = 0
        """Checkpoints made so far (the last one's included)."""
        self.last: WalFrames | None = None
        """The WAL after the latest checkpoint."""
        event.listen(engine, "connect", self._connected)
        event.listen(engine, "checkin", self._checked_in)
        self._thread = threading.Thread(
            target=self._run, name=f"netsla WAL checkpoint {Path(database).name}", daemon=True
        )
        self._thread.start()
        atexit.register(self.close)

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def wake(self) -> None:
        """Have the thread look at the WAL soon (cheap; called in committing threads)."""
        with self._changed:
            self._pending = True
            self._changed.notify()

    def stop(self) -> None:
        """Have the thread make its last checkpoint and end; does not wait for it.

        Until it has, the interpreter's exit waits for it (:meth:`close`).
        """
        with self._changed:
            self._stopping = True
            self._changed.notify()

    def close(self) -> None:
        """Stop the thread and wait for its last checkpoint.

        Connections made afterwards checkpoint as SQLite does by itself.
        """
        self.stop()
        self._thread.join()
        for name, listener in (("connect", self._connected), ("checkin", self._checked_in)):
            if event.contains(self._engine, name, listener):
                event.remove(self._engine, name, listener)

    def _connected(self, dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
        record.info[_CHANGES] = 0
        cursor = dbapi_connection.cursor()
        row = cursor.execute("PRAGMA page_size").fetchone()
        page_size = int(row[0]) if row else 4096
        self._wal_bytes = 32 + self._pages * (24 + page_size)  # header, frames (walformat.html)
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.execute(f"PRAGMA journal_size_limit={self._wal_bytes}")
        cursor.close()

    def _checked_in(
        self, dbapi_connection: DBAPIConnection | None, record: ConnectionPoolEntry
    ) -> None:
        """Wake the thread if the connection changed rows since it was last checked in."""
        try:
            changes = getattr(dbapi_connection, "total_changes", None)
        except sqlite3.Error:  # closed: what it wrote, if anything, is unknown
            changes = None
        if changes is None or record.info.get(_CHANGES) != changes:
            record.info[_CHANGES] = changes
            self.wake()

    def _run(self) -> None:
        while True:
            with self._changed:
                timeout = None if self._retry_at is None else self._retry_at - time.monotonic()
                woken = self._changed.wait_for(lambda: self._pending or self._stopping, timeout)
                if self._stopping:
                    break
                self._pending = False
            self._step(retry=not woken)
        self._checkpoint(truncate_from=0)
        atexit.unregister(self.close)

    def _step(self, *, retry: bool) -> None:
        """Checkpoint if the WAL asks for it; after a failure, plan the next look."""
        if self._short():
            self._pause = self._retry_at = None
            return
        now = time.monotonic()
        may_truncate = now >= self._truncate_after
        frames = self._checkpoint(truncate_from=self._limit if may_truncate else sys.maxsize)
        if frames is not None and self._small(frames):
            self._pause = self._retry_at = None
            return
        pause = self._pause or self.PAUSE_FIRST_S
        if retry and self._pause:  # failed again after a pause: a longer one
            pause = min(2 * self._pause, self.PAUSE_LAST_S)
        if retry or self._retry_at is None:  # a look after a commit keeps the pause going
            self._pause, self._retry_at = pause, now + pause
        if may_truncate:
            self._truncate_after = now + pause

    def _short(self) -> bool:
        """Whether the WAL file holds at most ``pages`` frames (so fewer not yet copied)."""
        try:
            length = self._wal.stat().st_size
        except FileNotFoundError:
            return True
        except OSError:
            return False
        return self._wal_bytes is not None and length <= self._wal_bytes

    def _truncate(self, connection: Connection) -> Sequence[int]:
        """TRUNCATE, waiting for the lock and readers at most :attr:`TRUNCATE_WAIT_MS`."""
        try:
            connection.exec_driver_sql(f"PRAGMA busy_timeout={self.TRUNCATE_WAIT_MS}")
            row = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except BaseException:
            connection.invalidate()  # maybe left with the short wait: not for other work
            raise
        return tuple(row)

    def _small(self, frames: WalFrames) -> bool:
        return frames.backlog < self._pages and frames.log < self._limit

    def _checkpoint(self, *, truncate_from: int) -> WalFrames | None:
        """PASSIVE, then TRUNCATE from ``truncate_from`` frames: the frames after (None: failed)."""
        try:
            with self._engine.connect() as connection:
                busy, *frames = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
                if not busy and frames[0] >= truncate_from:
                    busy, *frames = self._truncate(connection)
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            log.debug("checkpoint of %s failed, tried again later: %s", self._wal, exc)
            return None
        except Exception:  # a bug: said loudly, but the thread goes on checkpointing
            log.warning("checkpoint of %s failed, tried again later", self._wal, exc_info=True)
            return None
        if busy:
            log.debug("checkpoint of %s busy, tried again later", self._wal)
            return None
        log.debug("checkpoint of %s: %d of %d frames copied", self._wal, frames[1], frames[0])
        self.checkpoints += 1
        self.last = WalFrames(max(frames[0], 0), max(frames[1], 0))
        return self.last


def _sqlite_file(url: URL) -> str | None:
    """The absolute path of a plain SQLite file (not in memory, not a URI filename)."""
    database = url.database
    if not database or database == ":memory:" or url.query.get("uri"):
        return None
    return os.path.abspath(database)


class Store:
    """An open database: engine plus session factory (and an SQLite file's checkpointer)."""

    def __init__(self, engine: Engine, *, checkpointer: WalCheckpointer | None = None) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.checkpointer = checkpointer
        if checkpointer is not None:  # a store dropped without close(): its thread ends
            weakref.finalize(self, checkpointer.stop).atexit = False  # at exit: its own close()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self) -> AbstractContextManager[Session]:
        """A unit of work: commit on success, roll back and re-raise on error."""
        return unit_of_work(self._sessions())

    def close(self) -> None:
        """Checkpoint and truncate an SQLite file's WAL, then close the connections."""
        if self.checkpointer is not None:
            self.checkpointer.close()
        self.engine.dispose()


def open_store(
    url: str | None = None, *, create: bool = True, checkpoint_pages: int | None = CHECKPOINT_PAGES
) -> Store:
    """Open the database at ``url`` (default: :func:`default_database_url`).

    With ``create`` the schema is brought up to date (Alembic migrations).
    An SQLite file gets a :class:`WalCheckpointer` that starts at
    ``checkpoint_pages`` WAL pages; None leaves checkpoints to SQLite, in the
    COMMIT that crosses its threshold (the behaviour benchmarks compare with).
    """
    url = url or default_database_url()
    try:
        engine = create_engine(url, future=True)
    except Exception as exc:  # bad URL or missing driver
        raise StoreError(f"cannot open database {_shown(url)}: {_first_line(exc)}") from None
    checkpointer = None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        database = _sqlite_file(engine.url)
        if database is not None and checkpoint_pages is not None:
            checkpointer = WalCheckpointer(engine, database, pages=checkpoint_pages)
    store = Store(engine, checkpointer=checkpointer)
    if create:
        from alembic.util import CommandError  # alembic costs ~0.2 s to import

        try:
            _create_schema(store)
        except (SQLAlchemyError, CommandError) as exc:  # unreachable, refused, unknown revision
            store.close()
            reason = _first_line(getattr(exc, "orig", None) or exc)
            raise StoreError(f"cannot open database {_shown(url)}: {reason}") from None
    return store


def displayed_url(url: str) -> str:
    """A database URL as shown to people (messages, echoed commands): no password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: show it as given
        return url


def _shown(url: str) -> str:
    """The URL for an error message, without its password."""
    return repr(displayed_url(url))


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _create_schema(store: Store) -> None:
    """Bring the schema up to date with netsla's Alembic migrations."""
    from controller.store import migrate

    migrate.upgrade(store.engine)
