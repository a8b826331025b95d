"""Fixtures of the collector's tests: a telemetry store on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.store import Store
from tests.stores import DATABASES, opened


@pytest.fixture(params=DATABASES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each database netsla supports (PostgreSQL: a schema per test)."""
    with opened(request.param, tmp_path) as fresh:
        yield fresh
