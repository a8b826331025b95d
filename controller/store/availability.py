"""Tables of availability events and of the collector's per-device status.

An availability event says that a device stopped answering, or that an
interface went operationally down, from ``started_us`` until ``ended_us``
(``None`` while it lasts).  Events are the raw material of availability and
of MTTR (ITU-T E.800 "time to restore"; :mod:`controller.sla.process`).
Times are microseconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import cast

from sqlalchemy import BigInteger, Index, Integer, String, Table, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from controller.store import Base, Store

_NAME = 200


class EventKind(StrEnum):
    DEVICE_UNREACHABLE = "device-unreachable"
    INTERFACE_DOWN = "interface-down"


class AvailabilityEventRow(Base):
    __tablename__ = "netsla_availability_event"
    __table_args__ = (Index("ix_netsla_availability_open", "device", "ended_us"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    device: Mapped[str] = mapped_column(String(_NAME))
    interface: Mapped[str] = mapped_column(String(_NAME), default="")  # "" = the device
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    started_us: Mapped[int] = mapped_column(BigInteger)
    ended_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class CollectorStatusRow(Base):
    __tablename__ = "netsla_collector_status"
    device: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    group: Mapped[str] = mapped_column(String(32), primary_key=True)
    polls: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    samples: Mapped[int] = mapped_column(BigInteger, default=0)
    last_attempt_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_success_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


@dataclass(frozen=True, kw_only=True)
class AvailabilityEvent:
    id: int
    device: str
    interface: str
    kind: EventKind
    reason: str
    started_us: int
    ended_us: int | None


@dataclass(frozen=True, kw_only=True)
class PollRecord:
    """The outcome of one poll of one metric group of one device."""

    device: str
    group: str
    at_us: int
    duration_ms: int
    samples: int
    error: str | None


@dataclass(frozen=True, kw_only=True)
class CollectorStatus:
    device: str
    group: str
    polls: int
    failures: int
    consecutive_failures: int
    samples: int
    last_attempt_us: int | None
    last_success_us: int | None
    last_duration_ms: int | None
    last_error: str | None


def _event(row: AvailabilityEventRow) -> AvailabilityEvent:
    return AvailabilityEvent(
        id=row.id,
        device=row.device,
        interface=row.interface,
        kind=EventKind(row.kind),
        reason=row.reason,
        started_us=row.started_us,
        ended_us=row.ended_us,
    )


class AvailabilityRepository:
    """Availability events and collector status rows."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def open_event(
        self, *, device: str, interface: str, kind: EventKind, reason: str, started_us: int
    ) -> AvailabilityEvent:
        with self._store.session() as session:
            row = AvailabilityEventRow(
                device=device,
                interface=interface,
                kind=str(kind),
                reason=reason,
                started_us=started_us,
                ended_us=None,
            )
            session.add(row)
            session.flush()
            return _event(row)

    def close_event(self, event_id: int, *, ended_us: int) -> None:
        table = cast(Table, AvailabilityEventRow.__table__)
        with self._store.session() as session:
            session.execute(
                update(table)
                .where(table.c.id == event_id, table.c.ended_us.is_(None))
                .values(ended_us=ended_us)
            )

    def close_open(self, *, device: str, interface: str, kind: EventKind, ended_us: int) -> int:
        """Close the open events of one device or interface; returns how many."""
        table = cast(Table, AvailabilityEventRow.__table__)
        with self._store.session() as session:
            result = session.execute(
                update(table)
                .where(
                    table.c.device == device,
                    table.c.interface == interface,
                    table.c.kind == str(kind),
                    table.c.ended_us.is_(None),
                )
                .values(ended_us=ended_us)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def events(
        self, *, device: str | None = None, open_only: bool = False, since_us: int = 0
    ) -> list[AvailabilityEvent]:
        """Events (optionally of one device, or still open) that ended after ``since_us``."""
        query = select(AvailabilityEventRow)
        if device is not None:
            query = query.where(AvailabilityEventRow.device == device)
        if open_only:
            query = query.where(AvailabilityEventRow.ended_us.is_(None))
        elif since_us:
            query = query.where(
                (AvailabilityEventRow.ended_us.is_(None))
                | (AvailabilityEventRow.ended_us >= since_us)
            )
        with self._store.session() as session:
            rows = session.scalars(query.order_by(AvailabilityEventRow.started_us)).all()
            return [_event(row) for row in rows]

    def record_polls(self, records: Sequence[PollRecord]) -> None:
        """Count polls, failures and samples per device and group."""
        with self._store.session() as session:
            for record in records:
                row = session.get(CollectorStatusRow, (record.device, record.group))
                if row is None:
                    row = CollectorStatusRow(
                        device=record.device,
                        group=record.group,
                        polls=0,
                        failures=0,
                        consecutive_failures=0,
                        samples=0,
                    )
                    session.add(row)
                row.polls += 1
                row.samples += record.samples
                row.last_attempt_us = record.at_us
                row.last_duration_ms = record.duration_ms
                row.last_error = record.error
                if record.error is None:
                    row.consecutive_failures = 0
                    row.last_success_us = record.at_us
                else:
                    row.failures += 1
                    row.consecutive_failures += 1

    def statuses(self) -> list[CollectorStatus]:
        with self._store.session() as session:
            rows = session.scalars(
                select(CollectorStatusRow).order_by(
                    CollectorStatusRow.device, CollectorStatusRow.group
                )
            ).all()
            return [
                CollectorStatus(
                    device=r.device,
                    group=r.group,
                    polls=r.polls,
                    failures=r.failures,
                    consecutive_failures=r.consecutive_failures,
                    samples=r.samples,
                    last_attempt_us=r.last_attempt_us,
                    last_success_us=r.last_success_us,
                    last_duration_ms=r.last_duration_ms,
                    last_error=r.last_error,
                )
                for r in rows
            ]
