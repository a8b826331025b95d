"""Bulk statements through the database driver's own execute and executemany.

SQLAlchemy's executemany builds and processes a parameter mapping per row
(about 1.5 us each), and an ``IN`` list of hundreds of values is expanded
and compiled per statement; a change of a few hundred services writes
thousands of footprint rows, so the widest tables are written with plain
statement texts (made once per dialect) and tuples instead.  Only for
columns whose Python values the driver stores and returns exactly as
SQLAlchemy would (text, integers): never dates, whose SQLite form is
SQLAlchemy's own, nor booleans read back (SQLite returns integers).

The upserts use ``INSERT ... ON CONFLICT (key) DO UPDATE``, which SQLite
(3.24 and later) and PostgreSQL both understand.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Dialect, Table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import IdentifierPreparer

CHUNK = 500  # bound on IN-list sizes
ROWS = 256  # rows per multi-row INSERT (parameters: 256 * columns, far below the limits)
T = TypeVar("T")
_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_TEXTS: dict[tuple[Any, ...], tuple[str, bool]] = {}

# Rows read: the driver's rows (SQLAlchemy's Row, a sequence but no tuple).
Rows = Sequence[Sequence[Any]]
Marks = Callable[[int], str]  # n -> "?, ?, ..." (n parameter markers)
Statement = Callable[[IdentifierPreparer, Marks], str]


def insert_tuples(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (values in ``columns`` order) into ``table`` (see :func:`_inserts`)."""
    if rows:
        _inserts(session, ("insert", table.name, tuple(columns)), _insert(table, columns), rows)


def upsert_tuples(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    key: Sequence[str],
    replace: Sequence[str] = (),
    add: Sequence[str] = (),
) -> None:
    """Insert ``rows``; a row whose ``key`` exists gets the new values of the
    ``replace`` columns and the sum of old and new values of the ``add`` columns.

    The keys of ``rows`` must be distinct: PostgreSQL refuses to update a
    row twice in one statement (see :func:`_inserts`).
    """
    if not rows:
        return
    if not (replace or add):
        raise ValueError("an upsert updates at least one column")

    def statement(count: int) -> Statement:
        insert_part = _insert(table, columns)(count)

        def build(preparer: IdentifierPreparer, marks: Marks) -> str:
            name, quote = preparer.format_table(table), preparer.quote
            sets = [f"{quote(c)} = excluded.{quote(c)}" for c in replace]
            sets += [f"{quote(c)} = {name}.{quote(c)} + excluded.{quote(c)}" for c in add]
            keys = ", ".join(quote(c) for c in key)
            conflict = f" ON CONFLICT ({keys}) DO UPDATE SET " + ", ".join(sets)
            return insert_part(preparer, marks) + conflict

        return build

    cache = ("upsert", table.name, tuple(columns), tuple(key), tuple(replace), tuple(add))
    _inserts(session, cache, statement, rows)


def update_tuples(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    key: Sequence[str],
) -> None:
    """Set ``columns`` of the rows found by ``key``: each row holds the new values,
    then the key's values (one executemany)."""
    if not rows:
        return

    def build(preparer: IdentifierPreparer, marks: Marks) -> str:
        sets = ", ".join(f"{preparer.quote(c)} = {marks(1)}" for c in columns)
        where = " AND ".join(f"{preparer.quote(c)} = {marks(1)}" for c in key)
        return f"UPDATE {preparer.format_table(table)} SET {sets} WHERE {where}"

    _many(session, ("update", table.name, tuple(columns), tuple(key)), build, rows)


def driver_value(session: Session, table: Table, column: str, value: Any) -> Any:
    """``value`` as SQLAlchemy hands it to the driver for ``column`` (a date's SQLite
    text, for one), for the statements here."""
    dialect = session.get_bind().dialect
    process = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
    return value if process is None else process(value)


def delete_tuples(
    session: Session,
    table: Table,
    columns: Sequence[str],
    keys: Sequence[tuple[Any, ...]],
    *,
    condition: str = "",
) -> None:
    """Delete the rows whose ``columns`` equal one of ``keys``, in one executemany.

    ``condition`` (SQL over the table's columns, no parameters) narrows each
    delete further.
    """
    if not keys:
        return

    def build(preparer: IdentifierPreparer, marks: Marks) -> str:
        where = [f"{preparer.quote(c)} = {marks(1)}" for c in columns]
        extra = f" AND ({condition})" if condition else ""
        return f"DELETE FROM {preparer.format_table(table)} WHERE " + " AND ".join(where) + extra

    _many(session, ("delete", table.name, tuple(columns), condition), build, keys)


def select_in(
    session: Session,
    table: Table,
    columns: Sequence[str],
    *,
    where: Sequence[tuple[str, Any]],
    column: str,
    values: Sequence[Any],
) -> Rows:
    """``columns`` of the rows matching every ``where`` (column, value) pair and
    whose ``column`` is one of ``values`` (one statement: keep ``values`` to a
    :func:`chunks` size).  A column may be an SQL expression (``max(value)``).

    The IN list is padded to a power of two (repeating its last value), so
    that a few statement texts serve every length and stay prepared.
    """
    if not values:
        return []
    size = 1 << (len(values) - 1).bit_length()
    padded = [*values, *[values[-1]] * (size - len(values))]
    return _select(session, table, columns, where=where, among=(column, padded))


def select_among(
    session: Session,
    table: Table,
    columns: Sequence[str],
    *,
    where: Sequence[tuple[str, Any]],
    column: str,
    values: Iterable[Any],
) -> list[Sequence[Any]]:
    """:func:`select_in` over any number of ``values`` (duplicates ignored): one
    statement per :func:`chunks` slice of them, in sorted order; every slice's rows."""
    found: list[Sequence[Any]] = []
    for chunk in chunks(sorted(set(values))):
        found.extend(select_in(session, table, columns, where=where, column=column, values=chunk))
    return found


def select_where(
    session: Session, table: Table, columns: Sequence[str], *, where: Sequence[tuple[str, Any]]
) -> Rows:
    """``columns`` (names or SQL expressions) of the rows matching every ``where`` pair."""
    return _select(session, table, columns, where=where, among=None)


def _select(
    session: Session,
    table: Table,
    columns: Sequence[str],
    *,
    where: Sequence[tuple[str, Any]],
    among: tuple[str, Sequence[Any]] | None,
) -> Rows:
    def build(preparer: IdentifierPreparer, marks: Marks) -> str:
        quote = preparer.quote
        names = ", ".join(quote(c) if c.isidentifier() else c for c in columns)
        tests = [f"{quote(c)} = {marks(1)}" for c, _ in where]
        if among is not None:
            tests.append(f"{quote(among[0])} IN ({marks(len(among[1]))})")
        return f"SELECT {names} FROM {preparer.format_table(table)} WHERE " + " AND ".join(tests)

    shape = None if among is None else (among[0], len(among[1]))
    cache = ("select", table.name, tuple(columns), tuple(c for c, _ in where), shape)
    params = (*(v for _, v in where), *(among[1] if among is not None else ()))
    connection = _connection(session)
    statement, driver = _text(connection.dialect, cache, build)
    if driver:
        found = connection.exec_driver_sql(statement, params)
    else:
        found = connection.execute(text(statement), dict(_named(params)))
    return cast("Rows", found.all())


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size`` (bounds IN lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def table_of(model: Any) -> Table:
    """The Core table of a mapped class."""
    return cast("Table", model.__table__)


def _insert(table: Table, columns: Sequence[str]) -> Callable[[int], Statement]:
    """The INSERT of ``count`` rows (one VALUES list each)."""

    def statement(count: int) -> Statement:
        def build(preparer: IdentifierPreparer, marks: Marks) -> str:
            names = ", ".join(preparer.quote(c) for c in columns)
            values = ", ".join(f"({marks(len(columns))})" for _ in range(count))
            return f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES {values}"

        return build

    return statement


def _inserts(
    session: Session,
    cache: tuple[Any, ...],
    statement: Callable[[int], Statement],
    rows: Sequence[tuple[Any, ...]],
) -> None:
    """Run ``statement`` over ``rows``: whole groups of :data:`ROWS` rows per
    statement, the rest one by one (an executemany each).

    SQLite spends about 30 % less per row in statements of a few hundred
    rows than in one statement per row; statements of a few rows only are
    slower than either, so the rest goes row by row.
    """
    whole = len(rows) - len(rows) % ROWS
    if whole:
        values = list(itertools.chain.from_iterable(rows[:whole]))
        step = ROWS * len(rows[0])
        groups = [tuple(values[i : i + step]) for i in range(0, len(values), step)]
        _many(session, (*cache, ROWS), statement(ROWS), groups)
    if whole < len(rows):
        _many(session, (*cache, 1), statement(1), rows[whole:])


def _many(
    session: Session, cache: tuple[Any, ...], build: Statement, rows: Sequence[tuple[Any, ...]]
) -> None:
    connection = _connection(session)
    statement, driver = _text(connection.dialect, cache, build)
    if driver:
        connection.exec_driver_sql(statement, list(rows))
    else:  # a driver with another parameter style: SQLAlchemy's named parameters
        connection.execute(text(statement), [dict(_named(row)) for row in rows])


def _connection(session: Session) -> Connection:
    """The session's connection, its pending ORM changes flushed first (as its own
    statements would), so that a statement here sees and follows them."""
    if session.autoflush:
        session.flush()  # returns at once when nothing is pending
    return session.connection()


def _named(values: Sequence[Any]) -> list[tuple[str, Any]]:
    return [(f"p{i}", v) for i, v in enumerate(values)]


def _named_marks(numbers: Iterator[int], count: int) -> str:
    return ", ".join(f":p{next(numbers)}" for _ in range(count))


def _text(dialect: Dialect, cache: tuple[Any, ...], build: Statement) -> tuple[str, bool]:
    """The statement's text for ``dialect``, made once; and whether the driver takes it."""
    key = (dialect.name, dialect.paramstyle, *cache)
    found = _TEXTS.get(key)
    if found is None:
        preparer = dialect.identifier_preparer
        marker = _MARKERS.get(dialect.paramstyle)
        if marker is not None:
            found = (build(preparer, lambda n: ", ".join([marker] * n)), True)
        else:  # named markers :p0, :p1, ... in the order the statement is built
            numbers = itertools.count()
            found = (
                build(preparer, lambda n: ", ".join(f":p{next(numbers)}" for _ in range(n))),
                False,
            )
        _TEXTS[key] = found
    return found
