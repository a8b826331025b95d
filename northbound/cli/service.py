"""``netsla service``: apply, list, show, delete and re-deploy services."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from lxml import etree

from controller.errors import InputError
from controller.execution import RunOptions
from controller.service import Outcome, UnknownService, services_of
from controller.sla.catalog import catalog_of, with_stored_catalog
from controller.store import Store, open_store
from controller.store.footprints import ServiceRepository
from controller.validation import Document, validated_data
from controller.yangmodels import DataFormat
from northbound.cli.context import (
    Context,
    change_options,
    controller_options,
    open_context,
    open_store_recovered,
    run_options,
)
from northbound.cli.output import EXIT_FAILURE, emit, format_option, progress, utc_text


def _read(paths: tuple[Path, ...], store: Store) -> list[dict[str, Any]]:
    # Validated together, as one datastore: a service may refer to SLA
    # templates, tiers and customers given in another document or stored.
    docs = [Document(p.read_bytes(), DataFormat.JSON, str(p)) for p in paths]
    with store.session() as session:
        docs = with_stored_catalog(session, docs)
    return [validated_data(docs)]


def report(outcome: Outcome) -> dict[str, Any]:
    devices = {}
    for device, work in sorted(outcome.plan.changed.items()):
        devices[device] = {
            "edits": [e.to_json() for e in work.edits],
            "payload": etree.tostring(work.payload(), pretty_print=True).decode(),
        }
    return {
        "transaction": outcome.transaction,
        "dry-run": outcome.dry_run,
        "services": sorted(outcome.plan.after),
        "devices": devices,
        "results": [
            {"device": r.device, "outcome": r.outcome and r.outcome.value} for r in outcome.results
        ],
    }


def report_text(data: dict[str, Any]) -> str:
    lines = []
    verb = "would change" if data["dry-run"] else "changed"
    if not data["devices"]:
        return "nothing to do: the devices already hold this"
    for device, work in data["devices"].items():
        lines.append(f"{device}: {verb} {len(work['edits'])} node(s)")
        if data["dry-run"]:
            lines.append(work["payload"])
    if data["transaction"] is not None:
        lines.append(f"transaction {data['transaction']} committed")
    return "\n".join(lines)


@click.group(name="service")
def group() -> None:
    """L3VPN services (RFC 8299 documents) and their configuration on the PEs."""


@group.command(name="apply")
@click.argument("documents", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show per-device payloads; touch nothing.")
@click.option(
    "--independent",
    is_flag=True,
    help="Services are independent: commit those that succeed, report those that fail.",
)
@change_options
@controller_options
@format_option
def apply(
    *,
    documents: tuple[Path, ...],
    dry_run: bool,
    independent: bool,
    confirm_timeout: int | None,
    database: str | None,
    inventory_path: Path | None,
    output_format: str,
) -> None:
    """Apply service documents in one all-or-nothing transaction (or --independent).

    SLA templates, tiers and customers the documents name may be given
    beside them (and are stored once committed) or stored already.
    """
    store = open_store(database)
    data = _read(documents, store)  # the documents' problems first, then the devices'
    ctx = open_context(database, inventory_path, store=store)
    changes: dict[str, Any] = dict(services_of(data))
    ctx.controller.catalog = catalog_of(data)
    if independent and not dry_run:
        _apply_independent(ctx, changes, run_options(confirm_timeout), output_format)
        return
    with progress("devices", len(ctx.inventory.devices)) as advance:
        outcome = ctx.run(
            lambda: ctx.controller.apply(
                changes,
                dry_run=dry_run,
                options=run_options(confirm_timeout, lambda d, _t: advance(d)),
            )
        )
    emit(report(outcome), output_format, text=report_text)


def _apply_independent(
    ctx: Context, changes: dict[str, Any], options: RunOptions, output_format: str
) -> None:
    from controller.batch import apply_each

    results = ctx.run(lambda: apply_each(ctx.controller, changes, options=options))
    rows = [
        {"service": r.service_id, "transaction": r.transaction, "error": r.error}
        for r in sorted(results.values(), key=lambda r: r.service_id)
    ]
    emit(
        rows,
        output_format,
        headers=["SERVICE", "TX", "ERROR"],
        rows=lambda d: [[r["service"], r["transaction"], r["error"] or "committed"] for r in d],
    )
    if any(r["error"] for r in rows):
        raise SystemExit(EXIT_FAILURE)


@group.command(name="delete")
@click.argument("service_ids", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True)
@change_options
@controller_options
@format_option
def delete(
    *,
    service_ids: tuple[str, ...],
    dry_run: bool,
    confirm_timeout: int | None,
    database: str | None,
    inventory_path: Path | None,
    output_format: str,
) -> None:
    """Delete services: remove exactly their footprint from every device."""
    ctx = open_context(database, inventory_path)
    for service_id in service_ids:
        if ctx.controller.stored(service_id) is None:
            raise UnknownService(f"no service {service_id!r}")
    outcome = ctx.run(
        lambda: ctx.controller.apply(
            dict.fromkeys(service_ids), dry_run=dry_run, options=run_options(confirm_timeout)
        )
    )
    emit(report(outcome), output_format, text=report_text)


@group.command(name="re-deploy")
@click.argument("service_ids", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Show what would be put back; touch nothing.")
@change_options
@controller_options
@format_option
def redeploy(
    *,
    service_ids: tuple[str, ...],
    dry_run: bool,
    confirm_timeout: int | None,
    database: str | None,
    inventory_path: Path | None,
    output_format: str,
) -> None:
    """Put back on the devices what the services own (undo hand-made changes to it)."""
    ctx = open_context(database, inventory_path)
    edits = ctx.run(
        lambda: ctx.sync.redeploy(
            list(service_ids), dry_run=dry_run, options=run_options(confirm_timeout)
        )
    )
    data = {d: [e.to_json() for e in es] for d, es in edits.items()}
    verb = "would put back" if dry_run else "put back"
    emit(
        data,
        output_format,
        text=lambda d: (
            "\n".join(f"{k}: {verb} {len(v)} node(s)" for k, v in d.items())
            or "in sync: the devices hold what the services own"
        ),
    )


@group.command(name="list")
@controller_options
@format_option
def list_(database: str | None, inventory_path: Path | None, output_format: str) -> None:
    """Stored services."""
    with open_store_recovered(database).session() as session:  # no device needed
        rows = [
            {
                "service": r.service_id,
                "devices": json.loads(r.devices),
                "transaction": r.transaction_id,
                "updated": utc_text(r.updated_at),
            }
            for r in ServiceRepository(session).services()
        ]
    emit(
        rows,
        output_format,
        headers=["SERVICE", "DEVICES", "TX", "UPDATED"],
        rows=lambda d: [
            [r["service"], ",".join(r["devices"]), r["transaction"], r["updated"]] for r in d
        ],
    )


@group.command(name="show")
@click.argument("service_id")
@controller_options
@format_option
def show(
    *, service_id: str, database: str | None, inventory_path: Path | None, output_format: str
) -> None:
    """A service's document and its footprint per device."""
    with open_store_recovered(database).session() as session:  # no device needed
        repo = ServiceRepository(session)
        row = repo.service(service_id)
        if row is None:
            raise UnknownService(f"no service {service_id!r}")
        from controller.render.tree import config_to_json

        data = {
            "service": service_id,
            "document": json.loads(row.document),
            "footprint": {d: config_to_json(c) for d, c in repo.footprint(service_id).items()},
        }
    emit(data, output_format, text=lambda d: json.dumps(d, indent=2))


__all__ = ["InputError", "group"]
