"""Fixtures of the collector's tests: a telemetry store on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from controller.store import Base, Store, open_store
from controller.store.availability import AvailabilityEventRow, CollectorStatusRow
from controller.store.telemetry import TelemetryRollupRow, TelemetrySampleRow, TelemetrySeriesRow

_TABLES = [
    TelemetrySampleRow.__table__,
    TelemetryRollupRow.__table__,
    TelemetrySeriesRow.__table__,
    AvailabilityEventRow.__table__,
    CollectorStatusRow.__table__,
]


def _fresh(store: Store) -> Store:
    Base.metadata.drop_all(store.engine, tables=_TABLES)  # type: ignore[arg-type]
    Base.metadata.create_all(store.engine, tables=_TABLES)  # type: ignore[arg-type]
    return store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty telemetry store on each database netsla supports."""
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'telemetry.db'}")
    else:
        url = os.environ.get("NETSLA_TEST_POSTGRES_URL")
        if not url:
            pytest.skip("NETSLA_TEST_POSTGRES_URL is not set")
        opened = _fresh(open_store(url))
    try:
        yield opened
    finally:
        opened.close()
