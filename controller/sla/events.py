"""SLA events: alarm status changes and SLA results, in the order they were stored.

An event stream is a read of the store after a :class:`Cursor`, so a
client that reconnects with the cursor of the last event it received gets
what it missed, whichever process stored it (``netsla serve``'s rounds or
``netsla sla run``).  A cursor has two parts, one per table: the id of the
last alarm change (``netsla_sla_alarm_change``, ids only grow) and the
position (evaluation time, service, window) of the last SLA result.

An alarm change is *raised* when the alarm was absent or cleared before,
*cleared* when its new severity is ``cleared``, *changed* otherwise
(RFC 8632 section 3.5: an alarm's status changes are its life cycle).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, replace
from enum import StrEnum

from controller.errors import InputError
from controller.sla.alarms import service_resource
from controller.store.sla import SlaRepository
from controller.store.slaevents import SlaEventRepository
from controller.store.slarecords import AlarmChangeRecord, ResultRecord

CLEARED = "cleared"
_LAST = "\U0010ffff"  # sorts after every service id: "every result of that evaluation"


class AlarmChangeKind(StrEnum):
    RAISED = "raised"
    CHANGED = "changed"
    CLEARED = "cleared"


class BadCursor(InputError):
    """A resume cursor that this server did not hand out."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Cursor:
    """Position in the event history: last alarm change, last result (time, service, window)."""

    change_id: int = 0
    evaluated_us: int = 0
    service_id: str = ""
    window: str = ""

    def encode(self) -> str:
        raw = json.dumps([self.change_id, self.evaluated_us, self.service_id, self.window])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
            change_id, evaluated_us, service_id, window = json.loads(raw)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise BadCursor(f"not a cursor of this API: {text!r}") from exc
        if not (isinstance(change_id, int) and isinstance(evaluated_us, int)):
            raise BadCursor(f"not a cursor of this API: {text!r}")
        return cls(
            change_id=change_id,
            evaluated_us=evaluated_us,
            service_id=str(service_id),
            window=str(window),
        )

    def result_position(self) -> tuple[int, str, str]:
        return (self.evaluated_us, self.service_id, self.window)

    def covers(self, event: SlaEvent) -> bool:
        """Was ``event`` already delivered to a reader at this cursor?"""
        if event.alarm is not None:
            return event.alarm.change_id <= self.change_id
        assert event.result is not None
        return _position(event.result) <= self.result_position()


def _position(result: ResultRecord) -> tuple[int, str, str]:
    return (result.evaluated_us, result.service_id, result.window)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlarmEvent:
    change_id: int
    kind: AlarmChangeKind
    change: AlarmChangeRecord
    service_id: str | None
    customer: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaEvent:
    """One event and the cursor that resumes after it (exactly one of alarm, result)."""

    cursor: Cursor
    customer: str | None
    alarm: AlarmEvent | None = None
    result: ResultRecord | None = None


def change_kind(severity: str, previous: str | None) -> AlarmChangeKind:
    """Raised, changed or cleared, from the new severity and the alarm's previous one."""
    if severity == CLEARED:
        return AlarmChangeKind.CLEARED
    if previous is None or previous == CLEARED:
        return AlarmChangeKind.RAISED
    return AlarmChangeKind.CHANGED


def head(events: SlaEventRepository) -> Cursor:
    """The cursor after everything stored now (where a live-only stream starts)."""
    return Cursor(
        change_id=events.last_change_id(),
        evaluated_us=events.last_evaluated_us(),
        service_id=_LAST,
        window=_LAST,
    )


def owners(repo: SlaRepository) -> dict[str, tuple[str, str]]:
    """Alarm resource -> (service, customer) of every bound service."""
    return {service_resource(b.service_id): (b.service_id, b.customer) for b in repo.bindings()}


def events_after(
    repo: SlaRepository, events: SlaEventRepository, cursor: Cursor, *, limit: int = 10_000
) -> list[SlaEvent]:
    """Events stored after ``cursor``: alarm changes, then results (each part in order).

    Every event's cursor covers it and everything before it, so a reader may
    stop after any event and resume from its cursor.
    """
    out: list[SlaEvent] = []
    known = owners(repo)
    position = cursor
    for change_id, change in events.changes_after(cursor.change_id, limit=limit):
        previous = events.severity_before(
            resource=change.resource,
            alarm_type_id=change.alarm_type_id,
            qualifier=change.qualifier,
            change_id=change_id,
        )
        service_id, customer = known.get(change.resource, (None, None))
        position = replace(position, change_id=change_id)
        alarm = AlarmEvent(
            change_id=change_id,
            kind=change_kind(change.severity, previous),
            change=change,
            service_id=service_id,
            customer=customer,
        )
        out.append(SlaEvent(cursor=position, customer=customer, alarm=alarm))
    for result in events.results_since(cursor.evaluated_us):
        if _position(result) <= cursor.result_position():
            continue
        evaluated, service_id, window = _position(result)
        position = replace(position, evaluated_us=evaluated, service_id=service_id, window=window)
        out.append(SlaEvent(cursor=position, customer=result.customer, result=result))
    return out
