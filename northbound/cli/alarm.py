"""``netsla alarm``: SLA alarms (RFC 8632 shape, netsla-sla ``alarms/alarm-list``)."""

from __future__ import annotations

import click

from controller.sla import opstate
from controller.store.sla import SlaRepository
from northbound.cli.options import database_option
from northbound.cli.output import emit, format_option
from northbound.cli.slastore import store_at


@click.group(name="alarm")
def group() -> None:
    """SLA alarms raised by the live evaluation (netsla sla run)."""


@group.command(name="list")
@click.option("--all", "show_all", is_flag=True, help="Include cleared alarms.")
@database_option
@format_option
def list_command(*, show_all: bool, database: str | None, output_format: str) -> None:
    """List alarms; JSON is netsla-sla's alarm-list with each alarm's status changes."""
    with store_at(database).session() as session:
        repo = SlaRepository(session)
        alarms = repo.alarms(active_only=not show_all)
        document = opstate.alarm_list(alarms, repo.alarm_changes())
    listed = document["netsla-sla:alarms"]["alarm-list"]["alarm"]
    columns = [
        "resource",
        "alarm-type-id",
        "alarm-type-qualifier",
        "perceived-severity",
        "is-cleared",
        "last-changed",
        "alarm-text",
    ]
    emit(
        document,
        output_format,
        headers=columns,
        rows=lambda _: [[a[c] for c in columns] for a in listed],
    )
