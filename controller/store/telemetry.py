"""Tables of operational telemetry: series, raw samples, 5-minute rollups.

A *series* is one metric of one object (an interface, a probe, the device)
of one device as read by one protocol.  A *sample* is one reading: the raw
value (a counter's value, a gauge) and, for counters, the rate over the
interval that ended with it (``None`` when there is no valid interval:
first reading, discontinuity).  Times are integer microseconds since the
epoch, as in :mod:`controller.sla`.

Raw samples are kept for days and rolled up into 5-minute buckets (count,
min, mean, max of the rate for counters and of the value for gauges) that
are kept for a year; both retentions are configurable
(:class:`RetentionPolicy`).  Availability events and the collector's per
device status live in :mod:`controller.store.availability`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    and_,
    case,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from controller.store import Base, Store

US_PER_SECOND = 1_000_000
_NAME = 200


class SeriesKind(StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"


class TelemetrySeriesRow(Base):
    __tablename__ = "netsla_telemetry_series"
    __table_args__ = (UniqueConstraint("device", "source", "object", "metric"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device: Mapped[str] = mapped_column(String(_NAME))
    source: Mapped[str] = mapped_column(String(32))  # snmp | netconf
    object: Mapped[str] = mapped_column(String(_NAME))  # interface, probe owner/test, "" = device
    metric: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))


class TelemetrySampleRow(Base):
    __tablename__ = "netsla_telemetry_sample"
    series_id: Mapped[int] = mapped_column(
        ForeignKey("netsla_telemetry_series.id", ondelete="CASCADE"), primary_key=True
    )
    at_us: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    rate: Mapped[float | None] = mapped_column(Float, nullable=True)


class TelemetryRollupRow(Base):
    __tablename__ = "netsla_telemetry_rollup"
    series_id: Mapped[int] = mapped_column(
        ForeignKey("netsla_telemetry_series.id", ondelete="CASCADE"), primary_key=True
    )
    bucket_us: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    sample_count: Mapped[int] = mapped_column(Integer)
    minimum: Mapped[float | None] = mapped_column(Float, nullable=True)
    mean: Mapped[float | None] = mapped_column(Float, nullable=True)
    maximum: Mapped[float | None] = mapped_column(Float, nullable=True)


_SERIES = cast(Table, TelemetrySeriesRow.__table__)
_SAMPLES = cast(Table, TelemetrySampleRow.__table__)
_ROLLUPS = cast(Table, TelemetryRollupRow.__table__)


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


@dataclass(frozen=True, kw_only=True)
class SeriesKey:
    device: str
    source: str
    object: str
    metric: str
    kind: SeriesKind = SeriesKind.GAUGE


@dataclass(frozen=True, kw_only=True)
class Sample:
    series: SeriesKey
    at_us: int
    value: float
    rate: float | None = None


@dataclass(frozen=True, kw_only=True)
class StoredSample:
    at_us: int
    value: float
    rate: float | None


@dataclass(frozen=True, kw_only=True)
class Rollup:
    bucket_us: int
    count: int
    minimum: float | None
    mean: float | None
    maximum: float | None


@dataclass(frozen=True, kw_only=True)
class RetentionPolicy:
    """How long raw samples and rollups are kept, and the rollup bucket."""

    raw: timedelta = timedelta(days=7)
    rollups: timedelta = timedelta(days=365)
    bucket: timedelta = timedelta(minutes=5)

    @property
    def bucket_us(self) -> int:
        return int(self.bucket.total_seconds() * US_PER_SECOND)


class TelemetryRepository:
    """Writes and reads samples and rollups; caches series ids."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._series: dict[SeriesKey, int] = {}

    def series_ids(self, keys: Iterable[SeriesKey]) -> dict[SeriesKey, int]:
        """Ids of the series, creating the missing ones."""
        wanted = set(keys)
        missing = wanted - self._series.keys()
        if missing:
            self._load(missing)
            still = [k for k in missing if k not in self._series]
            if still:
                self._create(still)
        return {key: self._series[key] for key in wanted}

    def _load(self, keys: Iterable[SeriesKey]) -> None:
        table = _SERIES
        devices = {k.device for k in keys}
        with self._store.session() as session:
            rows = session.execute(select(table).where(table.c.device.in_(devices))).all()
        for row in rows:
            key = _series_key(row)
            self._series[key] = row.id

    def _create(self, keys: Sequence[SeriesKey]) -> None:
        rows = [
            {
                "device": k.device,
                "source": k.source,
                "object": k.object,
                "metric": k.metric,
                "kind": str(k.kind),
            }
            for k in keys
        ]
        try:
            with self._store.session() as session:
                session.execute(insert(_SERIES), rows)
        except IntegrityError:
            pass  # another writer created some of them first
        self._load(keys)

    def write_samples(self, samples: Sequence[Sample]) -> int:
        """Insert a batch of samples in one transaction (one executemany)."""
        if not samples:
            return 0
        ids = self.series_ids({s.series for s in samples})
        rows = [(ids[s.series], s.at_us, s.value, s.rate) for s in samples]
        # The driver's own executemany with tuples: no per-row dicts or statement
        # compilation, the difference between ~45k and >100k rows/s on SQLite.
        marker = "?" if self._store.engine.dialect.paramstyle == "qmark" else "%s"
        statement = (
            f"INSERT INTO {_SAMPLES.name} (series_id, at_us, value, rate) "
            f"VALUES ({', '.join([marker] * 4)})"
        )
        with self._store.session() as session:
            session.connection().exec_driver_sql(statement, rows)
        return len(rows)

    def samples(
        self, key: SeriesKey, *, since_us: int = 0, until_us: int | None = None
    ) -> list[StoredSample]:
        """Raw samples of one series in ``[since_us, until_us)``, oldest first."""
        table = _SAMPLES
        series_id = self.series_ids([key])[key]
        query = select(table.c.at_us, table.c.value, table.c.rate).where(
            table.c.series_id == series_id, table.c.at_us >= since_us
        )
        if until_us is not None:
            query = query.where(table.c.at_us < until_us)
        with self._store.session() as session:
            rows = session.execute(query.order_by(table.c.at_us)).all()
        return [StoredSample(at_us=r.at_us, value=r.value, rate=r.rate) for r in rows]

    def latest(self, *, devices: Iterable[str], source: str) -> dict[SeriesKey, StoredSample]:
        """The newest raw sample of every series of ``devices`` read over ``source``.

        One index probe per series (the primary key is series, time), so the
        cost does not grow with the raw history kept.
        """
        series, sample = _SERIES, _SAMPLES
        inner = sample.alias("newer")
        newest = (
            select(func.max(inner.c.at_us))
            .where(inner.c.series_id == series.c.id)
            .scalar_subquery()
        )
        query = (
            select(series, sample.c.at_us, sample.c.value, sample.c.rate)
            .join(sample, sample.c.series_id == series.c.id)
            .where(
                series.c.device.in_(set(devices)),
                series.c.source == source,
                sample.c.at_us == newest,
            )
        )
        with self._store.session() as session:
            rows = session.execute(query).all()
        found = {}
        for row in rows:
            key = _series_key(row)
            self._series[key] = row.id
            found[key] = StoredSample(at_us=row.at_us, value=row.value, rate=row.rate)
        return found

    def rollups(self, key: SeriesKey) -> list[Rollup]:
        """The 5-minute rollups of one series, oldest first."""
        table = _ROLLUPS
        series_id = self.series_ids([key])[key]
        with self._store.session() as session:
            rows = session.execute(
                select(table).where(table.c.series_id == series_id).order_by(table.c.bucket_us)
            ).all()
        return [
            Rollup(
                bucket_us=r.bucket_us,
                count=r.sample_count,
                minimum=r.minimum,
                mean=r.mean,
                maximum=r.maximum,
            )
            for r in rows
        ]

    def roll_up(self, *, now_us: int, policy: RetentionPolicy, grace_us: int = 0) -> int:
        """Summarise every complete bucket not summarised yet; returns rows written.

        A bucket is complete once ``grace_us`` has passed after its end (samples
        still in a writer's batch get that long to arrive).  Counters are
        summarised by their rate, gauges by their value.
        """
        bucket = policy.bucket_us
        rollup = _ROLLUPS
        sample = _SAMPLES
        series = _SERIES
        end = (now_us - grace_us) // bucket * bucket
        with self._store.session() as session:
            done = session.execute(select(func.max(rollup.c.bucket_us))).scalar()
            start = 0 if done is None else done + bucket
            if start >= end:
                return 0
            level = case(
                (series.c.kind == SeriesKind.COUNTER.value, sample.c.rate), else_=sample.c.value
            )
            bucket_col = sample.c.at_us // bucket * bucket
            query = (
                select(
                    sample.c.series_id,
                    bucket_col.label("bucket_us"),
                    func.count(level),
                    func.min(level),
                    func.avg(level),
                    func.max(level),
                )
                .join(series, series.c.id == sample.c.series_id)
                .where(and_(sample.c.at_us >= start, sample.c.at_us < end))
                .group_by(sample.c.series_id, bucket_col)
            )
            session.execute(
                insert(rollup).from_select(
                    ["series_id", "bucket_us", "sample_count", "minimum", "mean", "maximum"], query
                )
            )
            # Counted, not taken from rowcount: drivers differ for INSERT ... SELECT.
            written = session.execute(
                select(func.count()).where(rollup.c.bucket_us >= start, rollup.c.bucket_us < end)
            ).scalar()
            return int(written or 0)

    def prune(self, *, now_us: int, policy: RetentionPolicy) -> tuple[int, int]:
        """Delete raw samples and rollups older than their retention."""
        raw_before = now_us - int(policy.raw.total_seconds() * US_PER_SECOND)
        rollup_before = now_us - int(policy.rollups.total_seconds() * US_PER_SECOND)
        sample = _SAMPLES
        rollup = _ROLLUPS
        with self._store.session() as session:
            raw = _rowcount(session.execute(delete(sample).where(sample.c.at_us < raw_before)))
            old = _rowcount(
                session.execute(delete(rollup).where(rollup.c.bucket_us < rollup_before))
            )
        return raw, old


def _series_key(row: Any) -> SeriesKey:
    """The key of a series row (of the series table or a join with it)."""
    return SeriesKey(
        device=row.device,
        source=row.source,
        object=row.object,
        metric=row.metric,
        kind=SeriesKind(row.kind),
    )
