"""Per-packet results of the devices' SLA probes, as the SLA engine reads them.

One row per probe packet: its series (a :mod:`controller.store.telemetry`
series of the probe, ``object`` = ``owner/test``, metric
:data:`PACKET_METRIC`), the time it was sent, its sequence number (the
device's ``pingProbeHistoryIndex``, RFC 4560) and its delay in milliseconds,
NULL when it was lost.  The key (series, sent time, sequence) makes a
re-read history row a no-op, across the wrap of the device's index and a
restart of its prober.  Raw packets are kept longer than other telemetry
(:data:`DEFAULT_RETENTION`): the SLA engine evaluates whole calendar months
from them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import numpy as np
from sqlalchemy import BigInteger, Float, ForeignKey, Table, delete, select
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Mapped, mapped_column

from controller.sla.csvinput import SampleChunk
from controller.store import Base, Store
from controller.store.telemetry import SeriesKey, TelemetryRepository, TelemetrySeriesRow

PACKET_METRIC = "packet-rtt-ms"
SOURCE = "snmp"
DEFAULT_RETENTION = timedelta(days=62)  # two calendar months of packets
US_PER_SECOND = 1_000_000
CHUNK_ROWS = 100_000


class ProbePacketRow(Base):
    __tablename__ = "netsla_probe_packet"
    series_id: Mapped[int] = mapped_column(
        ForeignKey("netsla_telemetry_series.id", ondelete="CASCADE"), primary_key=True
    )
    sent_us: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    delay_ms: Mapped[float | None] = mapped_column(Float, nullable=True)


_PACKETS = cast(Table, ProbePacketRow.__table__)
_SERIES = cast(Table, TelemetrySeriesRow.__table__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbePacket:
    """One probe packet: ``delay_ms`` is its round-trip time, ``None`` when lost."""

    device: str
    owner: str
    test: str
    seq: int
    sent_us: int
    delay_ms: float | None

    @property
    def series(self) -> SeriesKey:
        return packet_series(device=self.device, owner=self.owner, test=self.test)


def packet_series(*, device: str, owner: str, test: str) -> SeriesKey:
    return SeriesKey(device=device, source=SOURCE, object=f"{owner}/{test}", metric=PACKET_METRIC)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeRef:
    """A probe on a device, named the way a binding names it: ``test`` or ``owner/test``."""

    device: str
    name: str

    def matches(self, object_name: str) -> bool:
        return object_name == self.name or object_name.rsplit("/", 1)[-1] == self.name


class ProbePacketRepository:
    """Writes packets once each and reads them back as the SLA engine's sample chunks."""

    def __init__(self, store: Store, telemetry: TelemetryRepository | None = None) -> None:
        self._store = store
        self._telemetry = telemetry or TelemetryRepository(store)

    def write(self, packets: Sequence[ProbePacket]) -> int:
        """Insert packets not stored yet (one transaction); returns how many were new."""
        if not packets:
            return 0
        ids = self._telemetry.series_ids({p.series for p in packets})
        rows = [(ids[p.series], p.sent_us, p.seq, p.delay_ms) for p in packets]
        # ON CONFLICT DO NOTHING: the same syntax in SQLite (3.24+) and PostgreSQL.
        marker = "?" if self._store.engine.dialect.paramstyle == "qmark" else "%s"
        statement = (
            f"INSERT INTO {_PACKETS.name} (series_id, sent_us, seq, delay_ms) "
            f"VALUES ({', '.join([marker] * 4)}) ON CONFLICT DO NOTHING"
        )
        with self._store.session() as session:
            result = session.connection().exec_driver_sql(statement, rows)
        return max(0, int(result.rowcount or 0))

    def series_of(self, refs: Sequence[ProbeRef]) -> dict[int, str]:
        """Ids of the packet series of ``refs``, with the probe name the engine shows."""
        devices = {r.device for r in refs}
        if not devices:
            return {}
        query = select(_SERIES.c.id, _SERIES.c.device, _SERIES.c.object).where(
            _SERIES.c.device.in_(devices), _SERIES.c.metric == PACKET_METRIC
        )
        with self._store.session() as session:
            rows = session.execute(query).all()
        return {
            row.id: f"{row.device}/{row.object}"
            for row in rows
            if any(r.device == row.device and r.matches(row.object) for r in refs)
        }

    def chunks(
        self, refs: Sequence[ProbeRef], *, since_us: int, until_us: int
    ) -> Iterator[SampleChunk]:
        """The packets of ``refs`` sent in ``[since_us, until_us)``, in chunks of columns."""
        series = self.series_of(refs)
        if not series:
            return
        names = tuple(sorted(set(series.values())))
        code = {sid: names.index(name) for sid, name in series.items()}
        query = (
            select(_PACKETS.c.series_id, _PACKETS.c.sent_us, _PACKETS.c.delay_ms)
            .where(
                _PACKETS.c.series_id.in_(series),
                _PACKETS.c.sent_us >= since_us,
                _PACKETS.c.sent_us < until_us,
            )
            .execution_options(yield_per=CHUNK_ROWS)
        )
        with self._store.session() as session:
            for part in session.execute(query).partitions():
                yield _chunk(part, code, names)

    def prune(self, *, now_us: int, retention: timedelta = DEFAULT_RETENTION) -> int:
        before = now_us - int(retention.total_seconds() * US_PER_SECOND)
        with self._store.session() as session:
            result = session.execute(delete(_PACKETS).where(_PACKETS.c.sent_us < before))
        return int(cast(CursorResult[Any], result).rowcount or 0)


def _chunk(rows: Sequence[Any], code: dict[int, int], names: tuple[str, ...]) -> SampleChunk:
    delays = [np.nan if r.delay_ms is None else r.delay_ms for r in rows]
    return SampleChunk(
        time_us=np.fromiter((r.sent_us for r in rows), dtype=np.int64, count=len(rows)),
        probe_index=np.fromiter((code[r.series_id] for r in rows), dtype=np.intp, count=len(rows)),
        probe_names=names,
        delay_ms=np.asarray(delays, dtype=np.float64),
    )
