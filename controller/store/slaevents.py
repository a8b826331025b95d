"""Reads of the SLA tables in the order they were written, for event streams.

Alarm status changes (``netsla_sla_alarm_change``) are read by their
increasing id; SLA results (``netsla_sla_result``) by the time of the
evaluation that stored them (a result is rewritten by every round, so a
reader sees the latest state of each, as stored).  Read-only: the tables
belong to :mod:`controller.store.sla`.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from controller.store.sla import SlaAlarmChangeRow, SlaResultRow
from controller.store.slarecords import (
    AlarmChangeRecord,
    ResultRecord,
    alarm_change_from_row,
    result_from_row,
)


class SlaEventRepository:
    """Alarm changes and SLA results after a position (inside the caller's session)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def last_change_id(self) -> int:
        return int(self.session.scalar(select(func.max(SlaAlarmChangeRow.id))) or 0)

    def last_evaluated_us(self) -> int:
        return int(self.session.scalar(select(func.max(SlaResultRow.evaluated_us))) or 0)

    def changes_after(self, change_id: int, *, limit: int) -> list[tuple[int, AlarmChangeRecord]]:
        """Up to ``limit`` alarm changes with an id above ``change_id``, oldest first."""
        query = (
            select(SlaAlarmChangeRow)
            .where(SlaAlarmChangeRow.id > change_id)
            .order_by(SlaAlarmChangeRow.id)
            .limit(limit)
        )
        return [(row.id, alarm_change_from_row(row)) for row in self.session.scalars(query).all()]

    def severity_before(
        self, *, resource: str, alarm_type_id: str, qualifier: str, change_id: int
    ) -> str | None:
        """Severity (or ``cleared``) of the alarm's latest change before ``change_id``."""
        query = (
            select(SlaAlarmChangeRow.severity)
            .where(
                SlaAlarmChangeRow.resource == resource,
                SlaAlarmChangeRow.alarm_type_id == alarm_type_id,
                SlaAlarmChangeRow.qualifier == qualifier,
                SlaAlarmChangeRow.id < change_id,
            )
            .order_by(SlaAlarmChangeRow.id.desc())
            .limit(1)
        )
        return self.session.scalar(query)

    def results_since(self, evaluated_us: int) -> list[ResultRecord]:
        """Results stored by evaluations at or after ``evaluated_us``, in evaluation order."""
        query = (
            select(SlaResultRow)
            .where(SlaResultRow.evaluated_us >= evaluated_us)
            .order_by(SlaResultRow.evaluated_us, SlaResultRow.service_id, SlaResultRow.window)
        )
        return [result_from_row(row) for row in self.session.scalars(query).all()]
