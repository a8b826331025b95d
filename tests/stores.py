"""Stores for tests: SQLite in a temporary folder, or PostgreSQL.

PostgreSQL (``NETSLA_TEST_POSTGRES_URL``) gets a schema of its own per test,
dropped afterwards, so that concurrent test runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from controller.store import Store, open_store

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_url() -> str:
    url = os.environ.get("NETSLA_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("NETSLA_TEST_POSTGRES_URL is not set")
    return url


@contextmanager
def database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database of ``kind`` (every store opened on it shares it)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'netsla.db'}"
        return
    url = postgres_url()
    schema = f"netsla_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def opened(kind: str, tmp_path: Path) -> Iterator[Store]:
    with database_url(kind, tmp_path) as url:
        store = open_store(url)
        try:
            yield store
        finally:
            store.close()
