"""SQLite's WAL is checkpointed by the store's own thread, never inside a COMMIT.

Each test writes blobs of whole pages into a scratch table and watches the
WAL file's length (only with ``stat``: opening and closing a file of
SQLite's would drop the process's POSIX locks on it) and the checkpointer's
count of checkpoints.  Stores on one file stand for netsla processes sharing
it (each has its own engine, connections and thread).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

import controller.store
from controller.store import PAGE_SIZE, Store, WalCheckpointer, WalFrames, open_store

PAGE = PAGE_SIZE  # each test's database is new: it has netsla's page size
FRAME = 24 + PAGE  # a WAL frame: its header and one page
NEVER = 10**9  # a threshold no test reaches: the thread never checkpoints before close()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "netsla.db"


@pytest.fixture
def opened(database: Path) -> Iterator[Callable[..., Store]]:
    """Opens stores on ``database`` (the first makes the scratch table); closes them after."""
    stores: list[Store] = []

    def open_one(**options: int | None) -> Store:
        store = open_store(f"sqlite:///{database}", create=False, **options)
        if not stores:
            with store.session() as session:
                session.execute(text("CREATE TABLE scratch (body BLOB)"))
        stores.append(store)
        return store

    yield open_one
    for store in stores:
        store.close()


def write(store: Store, pages: int) -> None:
    """One unit of work that adds about ``pages`` pages to the WAL."""
    with store.session() as session:
        session.execute(text("INSERT INTO scratch VALUES (zeroblob(:n))"), {"n": pages * PAGE})


def wal_length(database: Path) -> int:
    """The WAL file's length (the file is there as long as a store is open)."""
    return database.with_name(f"{database.name}-wal").stat().st_size


def checkpointer(store: Store) -> WalCheckpointer:
    assert store.checkpointer is not None
    return store.checkpointer


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        time.sleep(0.005)


def checkpoint_after(store: Store, count: int) -> WalFrames:
    """The WAL after the store's checkpoint number ``count + 1`` (waited for)."""
    wait_until(lambda: checkpointer(store).checkpoints > count, "a checkpoint after the commit")
    last = checkpointer(store).last
    assert last is not None
    return last


def test_a_commit_never_checkpoints(opened: Callable[..., Store], database: Path) -> None:
    store = opened(checkpoint_pages=NEVER)
    with store.session() as session:
        assert session.execute(text("PRAGMA wal_autocheckpoint")).scalar_one() == 0
    for _ in range(3):  # 1,800 pages: SQLite's own checkpoint would have started at 1,000
        write(store, 600)
    assert wal_length(database) >= 1800 * FRAME  # the WAL never restarted
    assert checkpointer(store).checkpoints == 0


def test_without_the_thread_the_commit_checkpoints(
    opened: Callable[..., Store], database: Path
) -> None:
    """The check above can fail: SQLite's own checkpoint, in the COMMIT, restarts the WAL."""
    store = opened(checkpoint_pages=None)
    assert store.checkpointer is None
    for _ in range(3):
        write(store, 600)
    assert wal_length(database) < 1800 * FRAME


def test_the_thread_checkpoints_and_the_wal_stays_short(
    opened: Callable[..., Store], database: Path
) -> None:
    store = opened(checkpoint_pages=100)
    for _ in range(40):  # 6,000 pages written, about 25 MB of WAL if nothing copied them
        done = checkpointer(store).checkpoints
        write(store, 150)
        after = checkpoint_after(store, done)
        assert after.checkpointed == after.log >= 150  # this commit's frames, all copied
    assert wal_length(database) <= 2 * 150 * FRAME


def test_a_wal_four_times_the_threshold_is_truncated(
    opened: Callable[..., Store], database: Path
) -> None:
    """Writes that start before each checkpoint ends keep the WAL from restarting by itself.

    The last write makes it 600 pages long in any case; with nothing written
    after it, only the thread's TRUNCATE can make it shorter.
    """
    store = opened(checkpoint_pages=100)
    for _ in range(60):
        write(store, 150)
    write(store, 600)
    wait_until(lambda: wal_length(database) == 0, "the WAL truncated")


def test_close_truncates_the_wal_and_ends_the_thread(
    opened: Callable[..., Store], database: Path
) -> None:
    other = opened()  # keeps the file open: SQLite's own checkpoint at the last close cannot run
    store = opened(checkpoint_pages=NEVER)
    assert store.checkpointer is not None
    thread = store.checkpointer.thread
    assert thread.is_alive() and thread.daemon
    for _ in range(3):
        write(store, 600)
    assert wal_length(database) >= 1800 * FRAME
    store.close()
    assert not thread.is_alive()
    assert checkpointer(store).last == WalFrames(0, 0)
    assert wal_length(database) == 0
    write(other, 1)  # the file is still usable by the other store


def test_two_stores_writing_at_once_never_fail(
    opened: Callable[..., Store], database: Path
) -> None:
    """Small thresholds: checkpoints and truncations all the time, in both stores' threads."""
    stores = [opened(checkpoint_pages=50), opened(checkpoint_pages=50)]
    failures: list[BaseException] = []

    def writer(store: Store, seed: int) -> None:
        try:
            for n in range(30):
                write(store, 1 + (seed * 37 + n * 11) % 120)
                with store.session() as session:
                    session.execute(text("SELECT count(*) FROM scratch")).scalar_one()
        except BaseException as exc:
            failures.append(exc)

    threads = [
        threading.Thread(target=writer, args=(stores[i % 2], i)) for i in range(4)
    ]  # two writers per store
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with stores[0].session() as session:
        assert session.execute(text("SELECT count(*) FROM scratch")).scalar_one() == 120
    assert sum(checkpointer(store).checkpoints for store in stores) > 0
    bound = 32 + 4 * 50 * FRAME  # once writes stop: TRUNCATE beyond 4 x 50 pages
    wait_until(lambda: wal_length(database) <= bound, "the WAL at most 4 x 50 pages")


def test_no_thread_for_memory_or_postgresql() -> None:
    before = threading.active_count()
    memory = open_store("sqlite://", create=False)
    postgres = open_store("postgresql+psycopg://netsla@127.0.0.1:9/netsla", create=False)
    try:  # (PostgreSQL is not reached: nothing connects before a session is used)
        assert memory.checkpointer is None and postgres.checkpointer is None
        with memory.session() as session:
            session.execute(text("CREATE TABLE scratch (body BLOB)"))
            session.execute(text("INSERT INTO scratch VALUES (zeroblob(4096))"))
        assert threading.active_count() == before
    finally:
        memory.close()
        postgres.close()


def page_size(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        size: int = connection.execute("PRAGMA page_size").fetchone()[0]
    return size


def test_a_new_database_gets_netslas_page_size_and_an_old_one_keeps_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new, old = tmp_path / "new.db", tmp_path / "old.db"
    open_store(f"sqlite:///{new}").close()
    with monkeypatch.context() as earlier:  # a database made before netsla chose its page size
        earlier.setattr(controller.store, "PAGE_SIZE", 4096)
        open_store(f"sqlite:///{old}").close()
    assert (page_size(new), page_size(old)) == (PAGE_SIZE, 4096)
    store = open_store(f"sqlite:///{old}")
    try:
        with store.session() as session:
            session.execute(text("CREATE TABLE scratch (body BLOB)"))
            session.execute(text("INSERT INTO scratch VALUES (zeroblob(100000))"))
            session.commit()
    finally:
        store.close()
    assert page_size(old) == 4096
