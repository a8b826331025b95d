"""``netsla sla``: evaluate SLA templates over measurements."""

from __future__ import annotations

from pathlib import Path

import click

from controller.sla import csvinput, rfc3339
from controller.sla.errors import SlaInputError
from controller.sla.evaluate import Period, evaluate, report_document
from controller.sla.template import SlaTemplate, load_templates
from controller.validation import DocFormat, validate_document
from northbound.cli.output import EXIT_BAD_INPUT, emit_json, fail

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
              help="CSV id,opened,cleared,excluded (for mttr-minutes).")  # fmt: skip
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
