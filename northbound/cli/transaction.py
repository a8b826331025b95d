"""``netsla transaction``: the journal of network-wide transactions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from controller.errors import InputError
from controller.journal import Journal
from controller.store.services import TransactionRow
from northbound.cli.context import (
    change_options,
    controller_options,
    open_context,
    open_store_recovered,
    run_options,
)
from northbound.cli.output import emit, format_option, utc_text


@click.group(name="transaction")
def group() -> None:
    """Transactions: who changed what, on which device, and how it ended."""


def _summary(tx: TransactionRow) -> dict[str, Any]:
    """What ``list`` shows of a journalled transaction, and ``show`` begins with."""
    return {
        "id": tx.id,
        "state": tx.state,
        "started": utc_text(tx.started_at),
        "finished": None if tx.finished_at is None else utc_text(tx.finished_at),
        "by": tx.started_by,
        "command": tx.command,
        "error": tx.error,
    }


@group.command(name="list")
@click.option("--limit", default=50, show_default=True)
@controller_options
@format_option
def list_(
    *, limit: int, database: str | None, inventory_path: Path | None, output_format: str
) -> None:
    """The latest transactions, newest first: state, start time, who and which command."""
    with open_store_recovered(database).session() as session:  # no device needed
        data = [_summary(t) for t in Journal(session).transactions(limit)]
    emit(
        data,
        output_format,
        headers=["TX", "STATE", "STARTED", "BY", "COMMAND"],
        rows=lambda d: [[r["id"], r["state"], r["started"], r["by"], r["command"]] for r in d],
    )


@group.command(name="rollback")
@click.argument("tx", type=int)
@click.option("--dry-run", is_flag=True, help="Show per-device payloads; touch nothing.")
@change_options
@controller_options
@format_option
def rollback(
    *,
    tx: int,
    dry_run: bool,
    confirm_timeout: int | None,
    database: str | None,
    inventory_path: Path | None,
    output_format: str,
) -> None:
    """Put the services of transaction TX back as they were, as a new transaction."""
    from northbound.cli.service import report, report_text

    ctx = open_context(database, inventory_path)
    outcome = ctx.run(
        lambda: ctx.controller.rollback(tx, dry_run=dry_run, options=run_options(confirm_timeout))
    )
    emit(report(outcome), output_format, text=report_text)


@group.command(name="show")
@click.argument("tx", type=int)
@controller_options
@format_option
def show(tx: int, database: str | None, inventory_path: Path | None, output_format: str) -> None:
    """Transaction TX: its state, the services it touched and each device's outcome and edits."""
    with open_store_recovered(database).session() as session:  # no device needed
        journal = Journal(session)
        row = journal.transaction(tx)
        if row is None:
            raise InputError(f"no transaction {tx}")
        data = {
            **_summary(row),
            "devices": [
                {
                    "device": d.device,
                    "outcome": d.outcome,
                    "error": d.error,
                    "forward": [e.to_json() for e in d.forward],
                    "reverse": [e.to_json() for e in d.reverse],
                }
                for d in journal.devices(tx)
            ],
            "services": [s.service_id for s in journal.services(tx)],
            "rollback-of": row.rollback_of,
        }
    emit(
        data,
        output_format,
        text=lambda d: "\n".join(
            [f"transaction {d['id']}: {d['state']} ({d['command']})"]
            + [
                f"  {x['device']}: {x['outcome']} {len(x['forward'])} edit(s) "
                f"{x['error'] or ''}".rstrip()
                for x in d["devices"]
            ]
        ),
    )
