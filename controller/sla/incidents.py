"""Incidents (trouble tickets) of services, for mttr-minutes (ITU-T E.800 clause 3.3).

Incidents are opened automatically from availability events
(:mod:`controller.store.availability`): a device that stops answering
affects every service with an access on it, an access port that goes down
affects the services on that port.  One incident is kept per service and
event, opened at the event's start and cleared at its end, so its duration
is the time to restore of that outage.  They can also be opened, cleared
and marked excluded (planned maintenance, caused by the customer) by hand;
excluded incidents do not count in MTTR (:mod:`controller.sla.process`).

Outages also make a service unavailable: :func:`outage_chunk` turns them
into a virtual probe that sends one packet every ``step`` and loses those
sent while an outage lasts, so the engine's own availability function
(Y.1540 clause 7.1, :mod:`controller.sla.availability`) decides which
intervals were unavailable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from controller.sla.csvinput import SampleChunk
from controller.sla.errors import SlaInputError
from controller.sla.process import Incident
from controller.store.availability import AvailabilityEvent, EventKind
from controller.store.sla import SlaRepository
from controller.store.slarecords import Binding, IncidentRecord

DEFAULT_STEP_US = 5_000_000  # one virtual packet every 5 s: 60 per 5-minute interval
REACHABILITY_PROBE = "reachability"


@dataclass(frozen=True, slots=True, kw_only=True)
class Outage:
    start_us: int
    end_us: int | None
    event_id: int


def affects(binding: Binding, event: AvailabilityEvent) -> bool:
    """Whether ``event`` takes down one of the service's accesses."""
    for access in binding.accesses:
        if access.device != event.device:
            continue
        if event.kind is EventKind.DEVICE_UNREACHABLE or event.interface == access.port:
            return True
    return False


def outages(binding: Binding, events: Iterable[AvailabilityEvent]) -> list[Outage]:
    """The events that affect the service, as outages."""
    return [
        Outage(start_us=e.started_us, end_us=e.ended_us, event_id=e.id)
        for e in events
        if affects(binding, e)
    ]


def sync_from_events(
    repo: SlaRepository, bindings: Sequence[Binding], events: Iterable[AvailabilityEvent]
) -> int:
    """Open or clear the incidents of every affected service; returns how many changed.

    An outage over before a service was bound is not that service's.
    """
    changed = 0
    for event in events:
        for binding in bindings:
            if not affects(binding, event):
                continue
            if event.ended_us is not None and event.ended_us <= binding.since_us:
                continue
            found = repo.incident_for_event(service_id=binding.service_id, event_id=event.id)
            if found is None:
                opened = repo.open_incident(
                    service_id=binding.service_id,
                    opened_us=event.started_us,
                    event_id=event.id,
                    text=_event_text(event),
                )
                if event.ended_us is not None:
                    repo.set_incident(opened.id, cleared_us=event.ended_us)
                changed += 1
            elif found.cleared_us is None and event.ended_us is not None:
                repo.set_incident(found.id, cleared_us=event.ended_us)
                changed += 1
    return changed


def _event_text(event: AvailabilityEvent) -> str:
    what = event.device if not event.interface else f"{event.device} {event.interface}"
    reason = f": {event.reason}" if event.reason else ""
    return f"{event.kind} {what}{reason}"


def clear(repo: SlaRepository, incident_id: int, *, at_us: int) -> IncidentRecord:
    """Clear an open incident by hand."""
    found = _existing(repo, incident_id)
    _check_stamp(found, found.cleared_us, at_us, verb="cleared")
    result = repo.set_incident(incident_id, cleared_us=at_us)
    assert result is not None
    return result


def respond(repo: SlaRepository, incident_id: int, *, at_us: int) -> IncidentRecord:
    """Record the operator's first response to an incident (ticket-response-minutes)."""
    found = _existing(repo, incident_id)
    _check_stamp(found, found.responded_us, at_us, verb="responded to")
    result = repo.set_incident(incident_id, responded_us=at_us)
    assert result is not None
    return result


def _check_stamp(found: IncidentRecord, current: int | None, at_us: int, *, verb: str) -> None:
    """A time of an incident is set once, and never before the incident was opened."""
    source = f"incident {found.id}"
    if current is not None:
        raise SlaInputError(source=source, problem=f"already {verb}")
    if at_us < found.opened_us:
        raise SlaInputError(source=source, problem=f"cannot be {verb} before it was opened")


def exclude(repo: SlaRepository, incident_id: int, *, excluded: bool = True) -> IncidentRecord:
    """Mark an incident excluded from MTTR and ticket response (or count it again)."""
    _existing(repo, incident_id)
    result = repo.set_incident(incident_id, excluded=excluded)
    assert result is not None
    return result


def _existing(repo: SlaRepository, incident_id: int) -> IncidentRecord:
    found = repo.incident(incident_id)
    if found is None:
        raise SlaInputError(source=f"incident {incident_id}", problem="no such incident")
    return found


def for_engine(records: Iterable[IncidentRecord]) -> list[Incident]:
    """The engine's view of stored incidents (:class:`controller.sla.process.Incident`)."""
    return [
        Incident(
            id=str(r.id),
            opened_us=r.opened_us,
            cleared_us=r.cleared_us,
            excluded=r.excluded,
            responded_us=r.responded_us,
        )
        for r in records
    ]


def outage_chunk(
    spans: Sequence[Outage],
    *,
    start_us: int,
    end_us: int,
    step_us: int = DEFAULT_STEP_US,
    probe: str = REACHABILITY_PROBE,
) -> SampleChunk:
    """Virtual packets every ``step_us`` in [start, end), lost while an outage lasts."""
    times = np.arange(start_us, end_us, step_us, dtype=np.int64)
    down = np.zeros(times.shape, dtype=np.bool_)
    for span in spans:
        end = end_us if span.end_us is None else span.end_us
        down |= (times >= span.start_us) & (times < end)
    delays = np.where(down, np.nan, 0.0)
    return SampleChunk(
        time_us=times,
        probe_index=np.zeros(times.shape, dtype=np.intp),
        probe_names=(probe,),
        delay_ms=delays,
    )
