"""``netsla sla``: evaluate SLA templates over measurements."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from controller.sla import csvinput, rfc3339
from controller.sla.alarms import DEFAULT_WARNING_MARGIN, service_resource
from controller.sla.catalog import (
    catalog_of,
    named_entries,
    store_catalog,
    stored_document,
    with_stored_catalog,
)
from controller.sla.compliance import NO_DATA_RULE
from controller.sla.errors import SlaInputError
from controller.sla.evaluate import Period, evaluate, format_time, report_document
from controller.sla.live import LiveConfig, ServiceOutcome, month_period
from controller.sla.live import run as live_run
from controller.sla.report import build as build_report
from controller.sla.report import report_html, report_json
from controller.sla.template import SlaTemplate, load_templates, parse_templates
from controller.store.sla import SlaRepository
from controller.store.slarecords import Access, Binding, ResultRecord
from controller.validation import DocFormat, Document, validate_document, validate_documents
from northbound.cli.options import database_option
from northbound.cli.output import EXIT_BAD_INPUT, emit, emit_json, fail, format_option
from northbound.cli.slastore import now_us, samples_option, store_at, time_us
from northbound.cli.slastore import samples as read_samples

_FILE = click.Path(path_type=Path, dir_okay=False)


@click.group(name="sla")
def group() -> None:
    """Service level agreements: templates, measurements, compliance."""


@group.command(name="evaluate")
@click.option("--sla", "sla_path", type=_FILE, required=True,
              help="RFC 7951 JSON of netsla-sla holding the template.")  # fmt: skip
@click.option("--template", "template_name", required=True, help="Name of the sla-template.")
@click.option("--from", "start", required=True, help="Start of the period (RFC 3339, inclusive).")
@click.option("--to", "end", required=True, help="End of the period (RFC 3339, exclusive).")
@click.option("--samples", "samples_path", type=_FILE, required=True,
              help="CSV time,probe,seq,delay_ms (empty delay_ms: lost).")  # fmt: skip
@click.option("--incidents", "incidents_path", type=_FILE,
              help="CSV id,opened,cleared,excluded[,responded] (mttr-minutes, "
                   "ticket-response-minutes).")  # fmt: skip
@click.option("--orders", "orders_path", type=_FILE,
              help="CSV id,ordered,delivered (for provisioning-days).")  # fmt: skip
def evaluate_command(
    *,
    sla_path: Path,
    template_name: str,
    start: str,
    end: str,
    samples_path: Path,
    incidents_path: Path | None,
    orders_path: Path | None,
) -> None:
    """Evaluate one SLA template over [FROM, TO) and print one JSON object.

    \b
    Keys: template, from, to, metrics, probes, violations, no-data,
    compliant, credit-percent. A metric without data is null. A metric with
    an objective but no data is listed in no-data, is not a violation and
    earns no credit; the period is compliant only when no objective is
    violated and every objective has data.

    The SLA file is validated against the YANG model netsla-sla first.
    Bad input (invalid SLA file, unknown template, malformed row, bad time,
    missing file) prints one line naming the file and row, exits with status 2, and
    prints nothing on stdout.
    """
    try:
        template = _template(sla_path, template_name)
        period = Period(start_us=_time("--from", start), end_us=_time("--to", end))
        incidents = csvinput.read_incidents(incidents_path) if incidents_path else None
        orders = csvinput.read_orders(orders_path) if orders_path else None
        report = evaluate(template, period=period, samples=csvinput.read_samples(samples_path),
                          incidents=incidents, orders=orders)  # fmt: skip
    except SlaInputError as exc:
        fail(str(exc), status=EXIT_BAD_INPUT)
    emit_json(report_document(report))


def _template(path: Path, name: str) -> SlaTemplate:
    """The named template, after the whole file passed YANG validation (netsla-sla)."""
    templates = load_templates(path)  # also reports a missing or non-JSON file
    result = validate_document(path.read_bytes(), fmt=DocFormat.JSON, source=str(path))
    if not result.ok:
        more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        fail(f"{result.problems[0]}{more}", status=EXIT_BAD_INPUT)
    if name not in templates:
        raise SlaInputError(source=str(path), problem=f"no sla-template {name!r}")
    return templates[name]


def _time(option: str, text: str) -> int:
    value = rfc3339.parse_one(text)
    if value is None:
        raise SlaInputError(source=option, problem=f"{text!r} is not an RFC 3339 date-time")
    return value


# --- live operation: templates and bindings in the store, rounds, status, report


@group.command(name="load")
@click.option(
    "--sla",
    "sla_path",
    type=_FILE,
    required=True,
    help="RFC 7951 JSON of netsla-sla with the templates (and tiers, customers) to store.",
)
@database_option
def load_command(*, sla_path: Path, database: str | None) -> None:
    """Store the SLA templates, tiers and customers of a netsla-sla file (validated first).

    Live evaluation uses the templates; ``service apply`` validates service
    documents against all three, so a service document need not carry them.
    """
    load_templates(sla_path)  # reports a missing or non-JSON file
    given = Document(sla_path.read_bytes(), DocFormat.JSON, str(sla_path))
    own = named_entries(given)
    with store_at(database).session() as session:
        result = validate_documents(with_stored_catalog(session, [given], own))
        if result.data is None:
            fail(str(result.problems[0]), status=EXIT_BAD_INPUT)
        store_catalog(SlaRepository(session), catalog_of([result.data]))  # stored ones unchanged
    stored = [
        f"{len(own[kind])} {what}: {', '.join(sorted(own[kind]))}"
        for kind, what in (
            ("sla-template", "SLA template(s)"),
            ("tier", "tier(s)"),
            ("customer", "customer(s)"),
        )
        if own.get(kind)
    ]
    click.echo(f"stored {'; '.join(stored) or 'nothing'}")


@group.command(name="catalog")
@database_option
@format_option
def catalog_command(*, database: str | None, output_format: str) -> None:
    """The SLA templates, tiers and customers the store keeps.

    ``service apply`` validates service documents against them.  With
    ``--format json`` it is one RFC 7951 document that ``sla load`` takes back.
    """
    with store_at(database).session() as session:
        document = stored_document(session)
    if not document and output_format != "json":
        click.echo("nothing stored: netsla sla load --sla FILE, or a committed service apply")
        return
    templates = parse_templates(document, source="the stored SLA catalog")
    rows = [
        [kind, entry["name"], _catalog_detail(kind, entry, templates)]
        for top in document.values()
        for kind, entries in top.items()
        for entry in entries
    ]
    emit(document, output_format, headers=["LIST", "NAME", "WHAT"], rows=lambda _d: rows)


def _catalog_detail(kind: str, entry: dict[str, Any], templates: dict[str, SlaTemplate]) -> str:
    if kind == "tier":
        return f"rank {entry['rank']}, default template {entry['default-sla-template']}"
    if kind == "customer":
        return f"tier {entry['tier']}"
    objectives = templates[entry["name"]].objectives
    return ", ".join(f"{metric} {value}" for metric, value in objectives.items())


def _access(text: str) -> Access:
    parts = text.split(":")
    if len(parts) not in (3, 4) or not all(parts[:3]):
        raise SlaInputError(
            source="--access", problem=f"{text!r} is not SITE:DEVICE:PORT[:PROBE,...]"
        )
    probes = tuple(p for p in parts[3].split(",") if p) if len(parts) == 4 else ()
    return Access(site=parts[0], device=parts[1], port=parts[2], probes=probes)


@group.command(name="bind")
@click.option("--service", "service_id", required=True, help="The service (vpn-id).")
@click.option("--customer", required=True, help="The customer's name.")
@click.option("--template", "template_name", required=True, help="The SLA template.")
@click.option(
    "--access",
    "accesses",
    multiple=True,
    required=True,
    help="SITE:DEVICE:PORT[:PROBE,...] of one site network access (repeatable).",
)
@click.option("--at", "at", help="Since when the service is watched (RFC 3339; default now).")
@database_option
def bind_command(
    *,
    service_id: str,
    customer: str,
    template_name: str,
    accesses: tuple[str, ...],
    at: str | None,
    database: str | None,
) -> None:
    """Bind a service to its customer, SLA template and accesses (service apply does this)."""
    parsed = [_access(a) for a in accesses]
    since = time_us("--at", at)
    with store_at(database).session() as session:
        repo = SlaRepository(session)
        if template_name not in {e["name"] for e in repo.template_entries()}:
            raise SlaInputError(
                source="--template", problem=f"no stored sla-template {template_name!r}"
            )
        repo.bind(
            Binding(
                service_id=service_id,
                customer=customer,
                template=template_name,
                accesses=tuple(parsed),
                since_us=since,
            )
        )
    click.echo(f"bound {service_id} to {template_name} for {customer}")


def _live_config(margin: str, rolling_minutes: int) -> LiveConfig:
    try:
        value = Decimal(margin)
    except InvalidOperation:
        value = Decimal(-1)
    if not Decimal(0) <= value < Decimal(1):
        raise SlaInputError(source="--warning-margin", problem=f"{margin!r} is not within [0, 1)")
    if rolling_minutes <= 0:
        raise SlaInputError(source="--rolling-minutes", problem="must be positive")
    return LiveConfig(warning_margin=value, rolling=timedelta(minutes=rolling_minutes))


def _status_rows(outcomes: list[ServiceOutcome]) -> list[dict[str, Any]]:
    rows = []
    for o in outcomes:
        period = o.period
        rows.append(
            {
                "service": o.binding.service_id,
                "customer": o.binding.customer,
                "template": o.binding.template,
                "compliant": None if period is None else period.compliance.compliant,
                "violations": []
                if period is None
                else [v.metric.value for v in period.compliance.violations],
                "no-data": [] if period is None else [m.value for m in period.compliance.no_data],
                "credit-percent": None
                if period is None
                else float(period.compliance.credit_percent),
                "health-score": o.health_score,
                "problem": o.problem,
            }
        )
    return rows


_STATUS_COLUMNS = [
    "service",
    "customer",
    "template",
    "compliant",
    "violations",
    "no-data",
    "credit-percent",
    "health-score",
    "problem",
]


@group.command(name="run")
@click.option("--at", "at", help="Evaluate as of this time (RFC 3339; default now).")
@samples_option
@click.option(
    "--warning-margin",
    default=str(DEFAULT_WARNING_MARGIN),
    show_default=True,
    help="Share of an objective's budget left when an at-risk alarm is raised.",
)
@click.option(
    "--rolling-minutes",
    default=60,
    show_default=True,
    type=int,
    help="Length of the rolling window.",
)
@database_option
@format_option
def run_command(
    *,
    at: str | None,
    samples_path: Path | None,
    warning_margin: str,
    rolling_minutes: int,
    database: str | None,
    output_format: str,
) -> None:
    """One round of live evaluation: every bound service, its period and rolling window.

    Opens incidents from the collector's availability events, stores the
    results and raises, updates or clears SLA alarms.
    """
    config = _live_config(warning_margin, rolling_minutes)
    chunks = read_samples(samples_path)
    outcomes = live_run(
        store_at(database), now_us=time_us("--at", at), samples=chunks, config=config
    )
    rows = _status_rows(outcomes)
    emit(
        rows,
        output_format,
        headers=_STATUS_COLUMNS,
        rows=lambda data: [[_cell(r[c]) for c in _STATUS_COLUMNS] for r in data],
    )
    _explain_no_data(rows, output_format)


def _cell(value: Any) -> Any:
    return ",".join(value) if isinstance(value, list) else value


def _explain_no_data(rows: list[dict[str, Any]], output_format: str) -> None:
    """Below a table: why a period without violations can still be not compliant."""
    if output_format != "json" and any(r["no-data"] for r in rows):
        click.echo(f"\nno-data: {NO_DATA_RULE}.")


@group.command(name="status")
@click.option("--customer", help="Only this customer's services.")
@database_option
@format_option
def status_command(*, customer: str | None, database: str | None, output_format: str) -> None:
    """The latest stored evaluation of every service's current period, with its health."""
    with store_at(database).session() as session:
        repo = SlaRepository(session)
        results = repo.results(window="period", customer=customer)
        active = repo.alarms(active_only=True)
    latest: dict[str, ResultRecord] = {}
    for result in results:
        latest[result.service_id] = result  # ordered by start: the last is the current period
    rows = [
        {
            "service": r.service_id,
            "customer": r.customer,
            "template": r.template,
            "from": format_time(r.start_us),
            "compliant": r.compliant,
            "violations": [v["metric"] for v in r.document["violations"]],
            "no-data": list(r.document.get("no-data", [])),
            "credit-percent": float(r.credit_percent),
            "health-score": r.health_score,
            "alarms": sum(1 for a in active if a.resource == service_resource(r.service_id)),
            "evaluated": format_time(r.evaluated_us),
        }
        for r in latest.values()
    ]
    columns = list(rows[0]) if rows else ["service"]
    emit(
        rows,
        output_format,
        headers=columns,
        rows=lambda data: [[_cell(r[c]) for c in columns] for r in data],
    )
    _explain_no_data(rows, output_format)


@group.command(name="report")
@click.option("--customer", required=True, help="The customer.")
@click.option("--period", "month", required=True, help="The calendar month, YYYY-MM (UTC).")
@click.option(
    "--format",
    "report_format",
    type=click.Choice(["html", "json"]),
    default="html",
    show_default=True,
    help="HTML for the customer, JSON for scripts.",
)
@click.option(
    "--output",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file (default: stdout).",
)
@samples_option
@database_option
def report_command(
    *,
    customer: str,
    month: str,
    report_format: str,
    output: Path | None,
    samples_path: Path | None,
    database: str | None,
) -> None:
    """The SLA report of a customer for a month: metrics, compliance, credits, charts."""
    period = month_period(month)
    chunks = read_samples(samples_path)
    built = build_report(
        store_at(database), customer=customer, period=period, now_us=now_us(), samples=chunks
    )
    if report_format == "html":
        text = report_html(built)
    else:
        text = json.dumps(report_json(built), indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{output}: {exc.strerror or exc}")
    click.echo(f"wrote {output}", err=True)
