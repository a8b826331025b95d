"""netsla's store: SQLAlchemy 2 over SQLite (default) or PostgreSQL.

Every table of netsla derives from :class:`Base`.  Code outside the store
talks to repositories (one module per domain: services and transactions,
telemetry, SLA results), never to sessions directly.  :meth:`Store.session`
is the unit of work: it commits on success and rolls back *and re-raises*
on any error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from controller.errors import ControllerError


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


def default_database_url() -> str:
    """An embedded SQLite file in the user's data folder (XDG_DATA_HOME)."""
    data_home = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    folder = data_home / "netsla"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'netsla.db'}"


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Store:
    """An open database: engine plus session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def session(self) -> AbstractContextManager[Session]:
        """A unit of work: commit on success, roll back and re-raise on error."""
        return unit_of_work(self._sessions())

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """Open the database at ``url`` (default: :func:`default_database_url`).

    With ``create`` the schema is brought up to date (Alembic migrations).
    """
    url = url or default_database_url()
    try:
        engine = create_engine(url, future=True)
    except Exception as exc:  # bad URL or missing driver
        raise StoreError(f"cannot open database {_shown(url)}: {_first_line(exc)}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    store = Store(engine)
    if create:
        from alembic.util import CommandError  # alembic costs ~0.2 s to import

        try:
            _create_schema(store)
        except (SQLAlchemyError, CommandError) as exc:  # unreachable, refused, unknown revision
            engine.dispose()
            reason = _first_line(getattr(exc, "orig", None) or exc)
            raise StoreError(f"cannot open database {_shown(url)}: {reason}") from None
    return store


def _shown(url: str) -> str:
    """The URL for an error message, without its password."""
    try:
        return repr(make_url(url).render_as_string(hide_password=True))
    except Exception:  # not even a URL: show it as given
        return repr(url)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _create_schema(store: Store) -> None:
    """Bring the schema up to date with netsla's Alembic migrations."""
    from controller.store import migrate

    migrate.upgrade(store.engine)
