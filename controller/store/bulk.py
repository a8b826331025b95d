"""Bulk inserts through the database driver's own executemany.

SQLAlchemy's executemany builds and processes a parameter mapping per row
(about 1.5 us each); a change of a few hundred services writes thousands
of footprint rows, so the widest tables are written with one plain INSERT
text and tuples instead.  Only for columns whose Python values the driver
stores exactly as SQLAlchemy would (text, integers, booleans): never
dates, whose SQLite form is SQLAlchemy's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Dialect, Table, insert
from sqlalchemy.orm import Session

_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_TEXTS: dict[tuple[str, str, str, tuple[str, ...]], str] = {}


def insert_tuples(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (values in ``columns`` order) into ``table`` in one executemany."""
    if not rows:
        return
    connection = session.connection()
    text = _insert_text(connection.dialect, table, tuple(columns))
    if text is None:  # a driver with another parameter style: SQLAlchemy's own way
        session.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    connection.exec_driver_sql(text, list(rows))


def _insert_text(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> str | None:
    marker = _MARKERS.get(dialect.paramstyle)
    if marker is None:
        return None
    key = (dialect.name, dialect.paramstyle, table.name, columns)
    text = _TEXTS.get(key)
    if text is None:
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(table.c[c].name) for c in columns)
        marks = ", ".join([marker] * len(columns))
        table_name = dialect.identifier_preparer.format_table(table)
        text = _TEXTS[key] = f"INSERT INTO {table_name} ({names}) VALUES ({marks})"
    return text
