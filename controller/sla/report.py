"""The SLA report of one customer and period: JSON, or HTML for the customer.

Per service: each metric against its objective, compliance and credits
(the engine's :class:`~controller.sla.evaluate.SlaReport`, availability
including outages as in :mod:`controller.sla.live`), the health score, the
incidents of the period, and per site pair (probe) its own values.  The
HTML page is self-contained: CSS in the page, charts as inline SVG
(:mod:`controller.sla.charts`), no JavaScript.  It is built with lxml's
HTML builder, never from format strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from lxml import etree, html
from lxml.html import builder as E

from controller.sla import health, live
from controller.sla.compliance import NO_DATA_RULE, Compliance, no_data_reason
from controller.sla.csvinput import SampleChunk
from controller.sla.errors import SlaInputError
from controller.sla.evaluate import Period, SlaReport, format_time, report_document
from controller.sla.metrics import NETWORK_METRICS, Metric
from controller.sla.series import ProbeSeries, interval_series
from controller.sla.template import SlaTemplate
from controller.store import Store
from controller.store.availability import AvailabilityEvent, AvailabilityRepository
from controller.store.probes import ProbePacketRepository
from controller.store.sla import SlaRepository
from controller.store.slarecords import Binding, IncidentRecord

_CSS = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.met { color: #1a7f37; } .violated { color: #b3261e; font-weight: bold; } .no-data { color: #777; }
.chart svg { max-width: 100%; height: auto; }
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceSection:
    service_id: str
    report: SlaReport
    series: list[ProbeSeries]
    incidents: list[IncidentRecord]
    health_score: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerReport:
    customer: str
    period: Period
    generated_us: int
    services: list[ServiceSection]


def build(
    store: Store,
    *,
    customer: str,
    period: Period,
    now_us: int,
    samples: Sequence[SampleChunk] = (),
    config: live.LiveConfig | None = None,
) -> CustomerReport:
    """Evaluate every service of ``customer`` over ``period`` from stored data and ``samples``."""
    config = config or live.LiveConfig()
    events = AvailabilityRepository(store).events()
    packets = ProbePacketRepository(store)
    with store.session() as session:
        repo = SlaRepository(session)
        bindings = repo.bindings(customer=customer)
        if not bindings:
            raise SlaInputError(source="--customer", problem=f"no service of customer {customer!r}")
        templates = live.load_templates(repo)
        sections = [
            _section(
                repo,
                binding,
                _template_of(templates, binding),
                period=period,
                now_us=now_us,
                samples=samples,
                events=events,
                packets=packets,
                step_us=config.outage_step_us,
            )
            for binding in bindings
        ]
    return CustomerReport(customer=customer, period=period, generated_us=now_us, services=sections)


def _template_of(templates: dict[str, SlaTemplate], binding: Binding) -> SlaTemplate:
    sla = templates.get(binding.template)
    if sla is None:
        raise SlaInputError(
            source=binding.service_id, problem=f"no sla-template {binding.template!r}"
        )
    return sla


def _section(
    repo: SlaRepository,
    binding: Binding,
    sla: SlaTemplate,
    *,
    period: Period,
    now_us: int,
    samples: Sequence[SampleChunk],
    events: Sequence[AvailabilityEvent],
    packets: ProbePacketRepository,
    step_us: int,
) -> ServiceSection:
    """One service's report over ``period``: its evaluation, interval series and incidents."""
    collected = live.collected_samples(
        packets, binding, since_us=max(period.start_us, binding.since_us), until_us=period.end_us
    )
    inputs = live.service_inputs(repo, binding, samples=samples, events=events, collected=collected)
    report = live.evaluate_service(sla, inputs, window=period, now_us=now_us, step_us=step_us)
    reach = live.reachability_chunks(inputs, window=period, now_us=now_us, step_us=step_us)
    series = interval_series(
        [*inputs.samples, *reach],
        period=period,
        interval_minutes=sla.availability.interval_minutes,
        loss_threshold=sla.availability.loss_threshold,
    )
    return ServiceSection(
        service_id=binding.service_id,
        report=report,
        series=series,
        incidents=[
            i for i in repo.incidents(service_id=binding.service_id) if _overlaps(i, period)
        ],
        health_score=health.health_score([report]),
    )


def _overlaps(incident: IncidentRecord, period: Period) -> bool:
    cleared = incident.cleared_us
    return incident.opened_us < period.end_us and (cleared is None or cleared >= period.start_us)


def report_json(report: CustomerReport) -> dict[str, Any]:
    """The report as one JSON object (per service: the engine's document and more)."""
    return {
        "customer": report.customer,
        "from": format_time(report.period.start_us),
        "to": format_time(report.period.end_us),
        "generated": format_time(report.generated_us),
        "services": [
            {
                "vpn-id": s.service_id,
                "health-score": s.health_score,
                **report_document(s.report),
                "incidents": [_incident_json(i) for i in s.incidents],
            }
            for s in report.services
        ],
    }


def _incident_json(incident: IncidentRecord) -> dict[str, Any]:
    cleared = incident.cleared_us
    return {
        "id": incident.id,
        "opened": format_time(incident.opened_us),
        "cleared": None if cleared is None else format_time(cleared),
        "excluded": incident.excluded,
        "text": incident.text,
    }


def _value(value: Fraction | None, metric: Metric) -> str:
    if value is None:
        return "no data"
    digits = 6 if metric is Metric.LOSS_RATIO else 3
    return f"{float(value):.{digits}f}".rstrip("0").rstrip(".")


def _metrics_table(section: ServiceSection) -> html.HtmlElement:
    report = section.report
    objectives = report.template.effective_objectives()
    head = E.TR(E.TH("metric"), E.TH("objective"), E.TH("measured"), E.TH("status"))
    rows = [head]
    for metric, objective in objectives.items():
        status = report.compliance.statuses[metric].value
        measured = _value(report.metrics[metric], metric)
        if report.metrics[metric] is None:
            measured = f"{measured}: {no_data_reason(metric)}"
        rows.append(
            E.TR(
                E.TD(metric.value),
                E.TD(str(objective)),
                E.TD(measured),
                E.TD(status, E.CLASS(status)),
            )
        )
    return E.TABLE(*rows, E.CLASS("metrics"))


def verdict(compliance: Compliance) -> str:
    """The period's compliance in words, saying why when it is for lack of data."""
    if compliance.compliant:
        return "compliant"
    if compliance.violations:
        return "not compliant"
    missing = ", ".join(m.value for m in compliance.no_data)
    return f"not compliant: no data for {missing} ({NO_DATA_RULE}); no objective violated"


def _probes_table(section: ServiceSection) -> html.HtmlElement:
    objectives = section.report.template.effective_objectives()
    metrics = [m for m in objectives if m in NETWORK_METRICS]  # process metrics are per service
    rows = [E.TR(E.TH("site pair / probe"), *[E.TH(m.value) for m in metrics])]
    for probe in section.report.probes:
        cells = [E.TD(_value(probe.metrics.get(m), m)) for m in metrics]
        rows.append(E.TR(E.TD(probe.name), *cells))
    return E.TABLE(*rows, E.CLASS("probes"))


def _chart(svg: str) -> html.HtmlElement:
    return E.DIV(etree.fromstring(svg.encode()), E.CLASS("chart"))


def _service(section: ServiceSection) -> html.HtmlElement:
    # matplotlib costs ~0.25 s to import: load it only when a report is drawn.
    from controller.sla import charts

    report, compliance = section.report, section.report.compliance
    objectives = report.template.effective_objectives()
    delayed = [s for s in section.series if not s.probe.startswith("reachability")]
    incidents = [
        E.LI(
            f"#{i.id} {format_time(i.opened_us)} to "
            f"{'open' if i.cleared_us is None else format_time(i.cleared_us)}"
            f"{' (excluded)' if i.excluded else ''}: {i.text}"
        )
        for i in section.incidents
    ]
    return E.SECTION(
        E.H2(f"Service {section.service_id}"),
        E.P(
            f"SLA template {report.template.name}: {verdict(compliance)}; credit "
            f"{compliance.credit_percent} %; health score {section.health_score}."
        ),
        _metrics_table(section),
        E.H3("Per site pair"),
        _probes_table(section),
        E.H3("Charts"),
        _chart(charts.delay_chart(delayed, objective=objectives.get(Metric.DELAY_MS))),
        _chart(charts.availability_chart(section.series)),
        _chart(charts.loss_chart(delayed, objective=objectives.get(Metric.LOSS_RATIO))),
        E.H3("Incidents"),
        E.UL(*incidents) if incidents else E.P("No incident in the period."),
        E.CLASS("service"),
    )


def report_html(report: CustomerReport) -> str:
    """The report as a self-contained HTML page."""
    title = (
        f"SLA report: {report.customer}, {format_time(report.period.start_us)} to "
        f"{format_time(report.period.end_us)}"
    )
    page = E.HTML(
        E.HEAD(E.META(charset="utf-8"), E.TITLE(title), E.STYLE(_CSS)),
        E.BODY(
            E.H1(title),
            E.P(f"Generated {format_time(report.generated_us)}."),
            *[_service(section) for section in report.services],
        ),
        lang="en",
    )
    return str(html.tostring(page, doctype="<!DOCTYPE html>", encoding="unicode"))
