"""Plain records of the SLA tables (:mod:`controller.store.sla`) and their row converters.

The SLA engine, the CLI and the gRPC API work on these frozen records, never
on the ORM rows: a record outlives the session that read it.  Times are
integer microseconds since the epoch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from controller.store.sla import (
        SlaAlarmChangeRow,
        SlaAlarmRow,
        SlaBindingRow,
        SlaIncidentRow,
        SlaResultRow,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Access:
    """A site network access of a service: its PE device and port, and its probes."""

    site: str
    device: str
    port: str
    probes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Binding:
    service_id: str
    customer: str
    template: str
    accesses: tuple[Access, ...]
    since_us: int

    @property
    def probes(self) -> tuple[str, ...]:
        return tuple(p for access in self.accesses for p in access.probes)


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentRecord:
    id: int
    service_id: str
    opened_us: int
    cleared_us: int | None
    excluded: bool
    event_id: int | None
    text: str
    responded_us: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRecord:
    service_id: str
    ordered_us: int
    delivered_us: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultRecord:
    service_id: str
    window: str
    start_us: int
    end_us: int
    customer: str
    template: str
    compliant: bool
    credit_percent: str
    health_score: int
    evaluated_us: int
    document: dict[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class AlarmRecord:
    resource: str
    alarm_type_id: str
    qualifier: str
    time_created_us: int
    is_cleared: bool
    last_raised_us: int
    last_changed_us: int
    severity: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AlarmChangeRecord:
    resource: str
    alarm_type_id: str
    qualifier: str
    time_us: int
    severity: str
    text: str


def accesses_json(accesses: Iterable[Access]) -> str:
    return json.dumps(
        [
            {"site": a.site, "device": a.device, "port": a.port, "probes": list(a.probes)}
            for a in accesses
        ]
    )


def binding_from_row(row: SlaBindingRow) -> Binding:
    accesses = tuple(
        Access(site=a["site"], device=a["device"], port=a["port"], probes=tuple(a["probes"]))
        for a in json.loads(row.accesses)
    )
    return Binding(
        service_id=row.service_id,
        customer=row.customer,
        template=row.template,
        accesses=accesses,
        since_us=row.since_us,
    )


def incident_from_row(row: SlaIncidentRow) -> IncidentRecord:
    return IncidentRecord(
        id=row.id,
        service_id=row.service_id,
        opened_us=row.opened_us,
        cleared_us=row.cleared_us,
        excluded=row.excluded,
        event_id=row.event_id,
        text=row.text,
        responded_us=row.responded_us,
    )


def alarm_from_row(row: SlaAlarmRow) -> AlarmRecord:
    return AlarmRecord(
        resource=row.resource,
        alarm_type_id=row.alarm_type_id,
        qualifier=row.qualifier,
        time_created_us=row.time_created_us,
        is_cleared=row.is_cleared,
        last_raised_us=row.last_raised_us,
        last_changed_us=row.last_changed_us,
        severity=row.severity,
        text=row.text,
    )


def result_from_row(row: SlaResultRow) -> ResultRecord:
    return ResultRecord(
        service_id=row.service_id,
        window=row.window,
        start_us=row.start_us,
        end_us=row.end_us,
        customer=row.customer,
        template=row.template,
        compliant=row.compliant,
        credit_percent=row.credit_percent,
        health_score=row.health_score,
        evaluated_us=row.evaluated_us,
        document=json.loads(row.document),
    )


def alarm_change_from_row(row: SlaAlarmChangeRow) -> AlarmChangeRecord:
    return AlarmChangeRecord(
        resource=row.resource,
        alarm_type_id=row.alarm_type_id,
        qualifier=row.qualifier,
        time_us=row.time_us,
        severity=row.severity,
        text=row.text,
    )
