"""``netsla incident``: trouble tickets of services (MTTR, ITU-T E.800; ticket response)."""

from __future__ import annotations

from typing import Any

import click

from controller.sla import incidents
from controller.sla.errors import SlaInputError
from controller.sla.evaluate import format_time
from controller.store.sla import SlaRepository
from controller.store.slarecords import IncidentRecord
from northbound.cli.options import database_option
from northbound.cli.output import emit, format_option
from northbound.cli.slastore import store_at, time_us


@click.group(name="incident")
def group() -> None:
    """Incidents (trouble tickets) of services: opened from outages or by hand.

    MTTR runs from opening to clearing, the ticket response time from
    opening to the first response (or the clearing); excluded incidents
    count in neither.
    """


def _document(incident: IncidentRecord) -> dict[str, Any]:
    cleared, responded = incident.cleared_us, incident.responded_us
    return {
        "id": incident.id,
        "service": incident.service_id,
        "opened": format_time(incident.opened_us),
        "responded": None if responded is None else format_time(responded),
        "cleared": None if cleared is None else format_time(cleared),
        "excluded": incident.excluded,
        "origin": "manual" if incident.event_id is None else f"event {incident.event_id}",
        "text": incident.text,
    }


_COLUMNS = ("id", "service", "opened", "responded", "cleared", "excluded", "origin", "text")


def _show(items: list[dict[str, Any]], output_format: str) -> None:
    emit(
        items,
        output_format,
        headers=list(_COLUMNS),
        rows=lambda data: [[d[k] for k in _COLUMNS] for d in data],
    )


@group.command(name="open")
@click.option("--service", "service_id", required=True, help="The service (vpn-id).")
@click.option("--at", "at", help="When it was opened (RFC 3339; default now).")
@click.option("--text", default="", help="What happened.")
@database_option
@format_option
def open_command(
    *, service_id: str, at: str | None, text: str, database: str | None, output_format: str
) -> None:
    """Open an incident of a bound service by hand."""
    opened = time_us("--at", at)
    with store_at(database).session() as session:
        repo = SlaRepository(session)
        if service_id not in {b.service_id for b in repo.bindings()}:
            raise SlaInputError(
                source="--service", problem=f"no service {service_id!r} with an SLA"
            )
        incident = repo.open_incident(service_id=service_id, opened_us=opened, text=text)
    _show([_document(incident)], output_format)


@group.command(name="clear")
@click.argument("incident_id", type=int)
@click.option("--at", "at", help="When service was restored (RFC 3339; default now).")
@database_option
@format_option
def clear_command(
    *, incident_id: int, at: str | None, database: str | None, output_format: str
) -> None:
    """Clear an open incident."""
    cleared = time_us("--at", at)
    with store_at(database).session() as session:
        incident = incidents.clear(SlaRepository(session), incident_id, at_us=cleared)
    _show([_document(incident)], output_format)


@group.command(name="respond")
@click.argument("incident_id", type=int)
@click.option("--at", "at", help="When the operator first responded (RFC 3339; default now).")
@database_option
@format_option
def respond_command(
    *, incident_id: int, at: str | None, database: str | None, output_format: str
) -> None:
    """Record the first response to an incident (its ticket response time ends there)."""
    responded = time_us("--at", at)
    with store_at(database).session() as session:
        incident = incidents.respond(SlaRepository(session), incident_id, at_us=responded)
    _show([_document(incident)], output_format)


@group.command(name="exclude")
@click.argument("incident_id", type=int)
@click.option("--undo", is_flag=True, help="Count the incident again.")
@database_option
@format_option
def exclude_command(
    *, incident_id: int, undo: bool, database: str | None, output_format: str
) -> None:
    """Mark an incident excluded from MTTR and ticket response (planned maintenance,
    the customer's cause)."""
    with store_at(database).session() as session:
        incident = incidents.exclude(SlaRepository(session), incident_id, excluded=not undo)
    _show([_document(incident)], output_format)


@group.command(name="list")
@click.option("--service", "service_id", help="Only this service's incidents.")
@click.option("--customer", help="Only this customer's incidents.")
@click.option("--open", "open_only", is_flag=True, help="Only incidents not cleared.")
@database_option
@format_option
def list_command(
    *,
    service_id: str | None,
    customer: str | None,
    open_only: bool,
    database: str | None,
    output_format: str,
) -> None:
    """List incidents, oldest first."""
    with store_at(database).session() as session:
        found = SlaRepository(session).incidents(
            service_id=service_id, customer=customer, open_only=open_only
        )
    _show([_document(i) for i in found], output_format)
