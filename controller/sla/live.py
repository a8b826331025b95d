"""Live SLA evaluation: every service with an SLA, per period and on a rolling window.

One round (:func:`run`) at time ``now``:

1. incidents are opened and cleared from the collector's availability
   events (:func:`controller.sla.incidents.sync_from_events`);
2. every bound service (:class:`controller.store.sla.Binding`) is evaluated
   by the engine (:func:`controller.sla.evaluate.evaluate`) over its current
   measurement period (calendar day, week or month, UTC, as netsla-sla's
   ``measurement-period`` says) up to now, and over the rolling window
   [now - rolling, now);
3. the results are stored per service, window and start (the shape of
   netsla-sla ``sla-periods/period``) with the health score
   (:mod:`controller.sla.health`);
4. the alarm conditions of every service are reconciled with the stored
   alarms (:mod:`controller.sla.alarms`).

Probe samples: the packets the collector stored for the service's probes
(:mod:`controller.store.probes`; an access's probe is named by its id on the
access's device, or ``owner/id``), plus any ``samples`` given (for example
from a CSV file), of which the service's probes are selected by name.

Availability combines the probes' (Y.1540 clause 7.1 on their packets) and
the outages of the service's accesses (a virtual probe per access,
:func:`controller.sla.incidents.outage_chunk`); the service's value is the
engine's worst over both, and compliance is re-assessed by the engine's
:func:`controller.sla.compliance.assess`.  A service whose template is
missing is reported and skipped; the others are still evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

import numpy as np

from controller.sla import alarms, health, incidents, orders, template
from controller.sla.compliance import assess
from controller.sla.csvinput import SampleChunk
from controller.sla.errors import SlaInputError
from controller.sla.evaluate import Period, SlaReport, evaluate, report_document, worst
from controller.sla.metrics import Metric
from controller.sla.process import Incident, Order
from controller.sla.template import SlaTemplate
from controller.store import Store
from controller.store.availability import AvailabilityEvent, AvailabilityRepository
from controller.store.probes import ProbePacketRepository, ProbeRef
from controller.store.sla import SlaRepository
from controller.store.slarecords import Binding, ResultRecord

US = 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Window(StrEnum):
    PERIOD = "period"
    ROLLING = "rolling"


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveConfig:
    warning_margin: Decimal = alarms.DEFAULT_WARNING_MARGIN
    rolling: timedelta = timedelta(hours=1)
    outage_step_us: int = incidents.DEFAULT_STEP_US


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceOutcome:
    binding: Binding
    period: SlaReport | None
    rolling: SlaReport | None
    health_score: int
    problem: str | None = None


def _datetime(time_us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=time_us)


def calendar_period(kind: template.Period, at_us: int) -> Period:
    """The measurement period of ``kind`` that holds ``at_us`` (UTC; weeks start on Monday)."""
    at = _datetime(at_us)
    day = datetime(at.year, at.month, at.day, tzinfo=UTC)
    if kind is template.Period.DAY:
        start, end = day, day + timedelta(days=1)
    elif kind is template.Period.WEEK:
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=7)
    else:
        start = day.replace(day=1)
        end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return Period(start_us=orders.to_us(start), end_us=orders.to_us(end))


def month_period(text: str) -> Period:
    """The calendar month ``YYYY-MM`` (UTC) as a period."""
    try:
        start = datetime.strptime(text, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise SlaInputError(source="--period", problem=f"{text!r} is not a month YYYY-MM") from None
    return calendar_period(template.Period.MONTH, orders.to_us(start))


def select_probes(chunk: SampleChunk, names: Iterable[str]) -> SampleChunk | None:
    """The rows of ``chunk`` whose probe is one of ``names`` (``None`` if there is none)."""
    wanted = np.array([name in set(names) for name in chunk.probe_names], dtype=np.bool_)
    if not wanted.any():
        return None
    keep = wanted[chunk.probe_index] if len(chunk) else np.zeros(0, dtype=np.bool_)
    return SampleChunk(
        time_us=chunk.time_us[keep],
        probe_index=chunk.probe_index[keep],
        probe_names=chunk.probe_names,
        delay_ms=chunk.delay_ms[keep],
    )


def probe_refs(binding: Binding) -> list[ProbeRef]:
    """The probes of a service's accesses, each on its access's device."""
    return [ProbeRef(device=a.device, name=p) for a in binding.accesses for p in a.probes]


def collected_samples(
    packets: ProbePacketRepository, binding: Binding, *, since_us: int, until_us: int
) -> list[SampleChunk]:
    """The stored packets of ``binding``'s probes sent in ``[since_us, until_us)``."""
    return list(packets.chunks(probe_refs(binding), since_us=since_us, until_us=until_us))


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceInputs:
    """Everything the engine needs about one service, already read from the store.

    ``samples`` are the service's own: its probes' chunks only.
    """

    binding: Binding
    samples: Sequence[SampleChunk]
    events: Sequence[AvailabilityEvent]
    incidents: Sequence[Incident]
    orders: Sequence[Order]


def reachability_chunks(
    inputs: ServiceInputs, *, window: Period, now_us: int, step_us: int
) -> list[SampleChunk]:
    """One virtual probe per access (``reachability:<site>``) over the watched part of ``window``.

    Watched: from the binding's creation to now; nothing is claimed before or after.
    """
    binding = inputs.binding
    start, end = max(window.start_us, binding.since_us), min(window.end_us, now_us)
    if end <= start:
        return []
    return [
        incidents.outage_chunk(
            incidents.outages(replace(binding, accesses=(access,)), inputs.events),
            start_us=start,
            end_us=end,
            step_us=step_us,
            probe=f"{incidents.REACHABILITY_PROBE}:{access.site}",
        )
        for access in binding.accesses
    ]


def evaluate_service(
    sla: SlaTemplate, inputs: ServiceInputs, *, window: Period, now_us: int, step_us: int
) -> SlaReport:
    """The engine's report of one service over ``window``, outages included in availability."""
    report = evaluate(
        sla,
        period=window,
        samples=inputs.samples,
        incidents=inputs.incidents,
        orders=inputs.orders,
        as_of_us=now_us,
    )
    reach = []
    for chunk in reachability_chunks(inputs, window=window, now_us=now_us, step_us=step_us):
        for probe in evaluate(sla, period=window, samples=[chunk]).probes:
            # A virtual probe measures reachability only: its delay and loss mean nothing.
            kept = {
                m: v if m is Metric.AVAILABILITY_PERCENT else None for m, v in probe.metrics.items()
            }
            reach.append(replace(probe, metrics=kept))
    metrics = dict(report.metrics)
    metric = Metric.AVAILABILITY_PERCENT
    metrics[metric] = worst(metric, [metrics[metric]] + [p.metrics[metric] for p in reach])
    return SlaReport(
        template=sla,
        period=window,
        metrics=metrics,
        probes=report.probes + reach,
        compliance=assess(sla, metrics),
    )


def load_templates(repo: SlaRepository) -> dict[str, SlaTemplate]:
    document = {template.TOP: {"sla-template": repo.template_entries()}}
    return template.parse_templates(document, source="store")


def result_record(
    binding: Binding, report: SlaReport, *, window: str, score: int, now_us: int
) -> ResultRecord:
    document = report_document(report)
    unavailable = sum(p.counted_intervals - p.available_intervals for p in report.probes)
    document.update(
        {
            "vpn-id": binding.service_id,
            "customer": binding.customer,
            "window": window,
            "health-score": score,
            "unavailable-intervals": unavailable,
        }
    )
    return ResultRecord(
        service_id=binding.service_id,
        window=window,
        start_us=report.period.start_us,
        end_us=report.period.end_us,
        customer=binding.customer,
        template=report.template.name,
        compliant=report.compliance.compliant,
        credit_percent=str(report.compliance.credit_percent),
        health_score=score,
        evaluated_us=now_us,
        document=document,
    )


def run(
    store: Store,
    *,
    now_us: int,
    samples: Sequence[SampleChunk] = (),
    config: LiveConfig | None = None,
) -> list[ServiceOutcome]:
    """One round of live evaluation over every bound service (see the module's text)."""
    config = config or LiveConfig()
    events = AvailabilityRepository(store).events()
    packets = ProbePacketRepository(store)
    with store.session() as session:
        repo = SlaRepository(session)
        # Held until the round commits (PostgreSQL): a service deleted meanwhile waits
        # for the round, then removes what it wrote (controller.sla.catalog).
        bindings = repo.bindings(hold=True)
        incidents.sync_from_events(repo, bindings, events)
        templates = load_templates(repo)
        outcomes = [
            _service_round(
                repo,
                templates,
                binding,
                samples=samples,
                packets=packets,
                events=events,
                now_us=now_us,
                config=config,
            )
            for binding in bindings
        ]
        desired: dict[alarms.AlarmKey, alarms.Condition] = {}
        for outcome in outcomes:
            if outcome.period is not None:
                resource = alarms.service_resource(outcome.binding.service_id)
                desired.update(
                    alarms.conditions(
                        resource,
                        period=outcome.period,
                        rolling=outcome.rolling,
                        margin=config.warning_margin,
                    )
                )
        scope = [alarms.service_resource(o.binding.service_id) for o in outcomes if o.period]
        changes = alarms.reconcile(alarms.stored_states(repo), desired, resources=scope)
        alarms.apply_changes(repo, changes, at_us=now_us)
        _forget_unbound(repo, bindings)
    return outcomes


def _forget_unbound(repo: SlaRepository, evaluated: Sequence[Binding]) -> None:
    """Take back what this round wrote for services deleted (or re-created) while it ran.

    On PostgreSQL the bindings are held from the round's start, so none is
    deleted meanwhile.  SQLite reads them outside the round's write
    transaction: a delete can come between that read and the round's first
    write, after which SQLite lets no other writer in until the round commits.
    """
    now = {b.service_id: b.since_us for b in repo.bindings(hold=True)}
    gone = [b.service_id for b in evaluated if now.get(b.service_id) != b.since_us]
    if gone:
        repo.forget_services(gone, resources=[alarms.service_resource(s) for s in gone])


def _service_round(
    repo: SlaRepository,
    templates: dict[str, SlaTemplate],
    binding: Binding,
    *,
    samples: Sequence[SampleChunk],
    packets: ProbePacketRepository,
    events: Sequence[AvailabilityEvent],
    now_us: int,
    config: LiveConfig,
) -> ServiceOutcome:
    sla = templates.get(binding.template)
    if sla is None:
        return ServiceOutcome(
            binding=binding,
            period=None,
            rolling=None,
            health_score=health.UNKNOWN,
            problem=f"no sla-template {binding.template!r}",
        )
    period_window = calendar_period(sla.period, now_us)
    rolling_us = int(config.rolling.total_seconds() * US)
    rolling_window = Period(start_us=now_us - rolling_us, end_us=now_us)
    # Packets from before the binding belong to an earlier service with this id.
    since = max(min(period_window.start_us, rolling_window.start_us), binding.since_us)
    collected = collected_samples(packets, binding, since_us=since, until_us=now_us + 1)
    inputs = service_inputs(repo, binding, samples=samples, events=events, collected=collected)
    step = config.outage_step_us
    period = evaluate_service(sla, inputs, window=period_window, now_us=now_us, step_us=step)
    rolling = evaluate_service(sla, inputs, window=rolling_window, now_us=now_us, step_us=step)
    score = health.health_score([period, rolling])
    repo.delete_results(service_id=binding.service_id, window=Window.ROLLING)
    for window, report in ((Window.PERIOD, period), (Window.ROLLING, rolling)):
        repo.put_result(result_record(binding, report, window=window, score=score, now_us=now_us))
    return ServiceOutcome(binding=binding, period=period, rolling=rolling, health_score=score)


def service_inputs(
    repo: SlaRepository,
    binding: Binding,
    *,
    samples: Sequence[SampleChunk],
    events: Sequence[AvailabilityEvent],
    collected: Sequence[SampleChunk] = (),
) -> ServiceInputs:
    """Read the incidents and order of one service; keep its samples and the events that affect it.

    ``samples`` are any chunks (the service's probes are selected by name);
    ``collected`` are the service's own (:func:`collected_samples`).
    """
    order = repo.order(binding.service_id)
    selected = [c for c in (select_probes(s, binding.probes) for s in samples) if c]
    return ServiceInputs(
        binding=binding,
        samples=[*selected, *collected],
        events=[e for e in events if incidents.affects(binding, e)],
        incidents=incidents.for_engine(repo.incidents(service_id=binding.service_id)),
        orders=orders.for_engine([order] if order else []),
    )
