"""Streaming evaluation of an SLA template over a period.

Samples arrive in batches (:class:`~controller.sla.csvinput.SampleChunk`,
from a CSV file or a database query) in any time order. One pass keeps:

- per probe and availability interval, packets sent and lost (two
  ``probes x intervals`` integer matrices, filled with ``np.bincount``);
- for every delivered packet in the period, its (probe, interval) cell and
  its delay (12-16 bytes a packet).

Whether an interval is available is only known once all its samples are
seen, and samples need not be sorted, so the delays are kept until the end
(one pass over the input, instead of reading it twice) and filtered then by
the availability of their cell. Per probe, delay statistics are taken over
the packets of available intervals only (MEF 10.3 section 8.8: delay and
loss objectives apply in available time), then the service value of each
network metric is the worst over the probes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from controller.sla import availability, delay, process
from controller.sla.compliance import Compliance, assess
from controller.sla.csvinput import SampleChunk
from controller.sla.errors import SlaInputError
from controller.sla.metrics import NETWORK_METRICS, Metric
from controller.sla.template import SlaTemplate

Measured = dict[Metric, Fraction | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """The half-open evaluation period [start, end) in microseconds since the epoch."""

    start_us: int
    end_us: int

    def __post_init__(self) -> None:
        if self.end_us <= self.start_us:
            raise SlaInputError(source="period", problem="--to must be after --from")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    name: str
    metrics: Measured
    sent: int
    counted_intervals: int
    available_intervals: int


class SampleAccumulator:
    """Aggregates sample batches of one period; :meth:`finish` gives per-probe metrics."""

    def __init__(self, *, period: Period, interval_minutes: int) -> None:
        self._period = period
        self._interval_us = interval_minutes * availability.US_PER_MINUTE
        self._intervals = availability.interval_count(
            start_us=period.start_us, end_us=period.end_us, interval_us=self._interval_us
        )
        self._codes: dict[str, int] = {}
        self._sent = np.zeros((0, self._intervals), dtype=np.int64)
        self._lost = np.zeros((0, self._intervals), dtype=np.int64)
        self._cells: list[NDArray[np.int64]] = []
        self._delays: list[NDArray[np.float64]] = []

    def add(self, chunk: SampleChunk) -> None:
        """Count one batch of samples (times outside the period are ignored)."""
        codes = self._global_codes(chunk.probe_names)[chunk.probe_index]
        inside = (chunk.time_us >= self._period.start_us) & (chunk.time_us < self._period.end_us)
        interval = availability.interval_index(
            chunk.time_us[inside], start_us=self._period.start_us, interval_us=self._interval_us
        )
        cells = codes[inside] * self._intervals + interval
        delays = chunk.delay_ms[inside]
        lost = np.isnan(delays)
        size = self._sent.size
        self._sent.reshape(-1)[:] += np.bincount(cells, minlength=size)
        self._lost.reshape(-1)[:] += np.bincount(cells[lost], minlength=size)
        self._cells.append(cells[~lost])
        self._delays.append(delays[~lost])

    def _global_codes(self, names: tuple[str, ...]) -> NDArray[np.int64]:
        codes = np.array([self._codes.setdefault(name, len(self._codes)) for name in names],
                         dtype=np.int64)  # fmt: skip
        grow = len(self._codes) - self._sent.shape[0]
        if grow > 0:
            rows = max(grow, self._sent.shape[0])
            extra = np.zeros((rows, self._intervals), dtype=np.int64)
            self._sent = np.concatenate((self._sent, extra))
            self._lost = np.concatenate((self._lost, extra))
        return codes

    def finish(self, *, loss_threshold: Decimal) -> list[ProbeResult]:
        """Per-probe metrics, in order of first appearance of the probe."""
        probes = len(self._codes)
        counts = availability.IntervalCounts(sent=self._sent[:probes], lost=self._lost[:probes])
        available = counts.available(threshold=loss_threshold)
        stats = self._delay_stats(available.reshape(-1), probes)
        return [
            _probe_result(name, counts=counts, code=code, available=available, stats=stats[code])
            for name, code in self._codes.items()
        ]

    def _delay_stats(self, available: NDArray[np.bool_], probes: int) -> list[
        delay.DelayStats | None]:  # fmt: skip
        cells = np.concatenate(self._cells) if self._cells else np.zeros(0, dtype=np.int64)
        delays = np.concatenate(self._delays) if self._delays else np.zeros(0)
        self._cells, self._delays = [], []
        keep = available[cells]
        cells, delays = cells[keep], delays[keep]
        probe = cells // self._intervals
        del cells
        if probes < np.iinfo(np.int16).max:
            probe = probe.astype(np.int16)  # a 16-bit key sorts by radix: several times faster
        order = np.argsort(probe, kind="stable")
        delays = delays[order]
        del order
        bounds = np.concatenate(([0], np.cumsum(np.bincount(probe, minlength=probes))))
        return [delay.delay_stats(delays[bounds[i] : bounds[i + 1]]) for i in range(probes)]


def _probe_result(
    name: str,
    *,
    counts: availability.IntervalCounts,
    code: int,
    available: NDArray[np.bool_],
    stats: delay.DelayStats | None,
) -> ProbeResult:
    up_cells = available[code]
    sent, lost = counts.sent[code], counts.lost[code]
    sent_up, lost_up = int(sent[up_cells].sum()), int(lost[up_cells].sum())
    counted, up = int((sent > 0).sum()), int(up_cells.sum())
    metrics: Measured = dict.fromkeys(NETWORK_METRICS)
    metrics[Metric.AVAILABILITY_PERCENT] = availability.availability_percent(
        available=up, counted=counted
    )
    metrics[Metric.LOSS_RATIO] = Fraction(lost_up, sent_up) if sent_up else None
    if stats is not None:
        metrics[Metric.DELAY_MS] = Fraction(stats.mean_ms)
        metrics[Metric.DELAY_VARIATION_MS] = Fraction(stats.variation_ms)
    return ProbeResult(
        name=name, metrics=metrics, sent=int(sent.sum()), counted_intervals=counted,
        available_intervals=up,
    )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaReport:
    template: SlaTemplate
    period: Period
    metrics: Measured
    probes: list[ProbeResult]
    compliance: Compliance


def worst(metric: Metric, values: Iterable[Fraction | None]) -> Fraction | None:
    """The service's value: the worst over the probes that have one (lowest availability)."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    return min(present) if metric.higher_is_better else max(present)


def evaluate(
    template: SlaTemplate,
    *,
    period: Period,
    samples: Iterable[SampleChunk],
    incidents: Iterable[process.Incident] | None = None,
    orders: Iterable[process.Order] | None = None,
    as_of_us: int | None = None,
) -> SlaReport:
    """Evaluate ``template`` over ``period``: metrics, per-probe values, compliance, credits.

    ``as_of_us``: when the evaluation is made, for a period not over yet (a
    ticket still unanswered counts until then, not until the period's end).
    """
    accumulator = SampleAccumulator(
        period=period, interval_minutes=template.availability.interval_minutes
    )
    for chunk in samples:
        accumulator.add(chunk)
    probes = accumulator.finish(loss_threshold=template.availability.loss_threshold)
    metrics: Measured = {m: worst(m, (p.metrics[m] for p in probes)) for m in NETWORK_METRICS}
    window = {"start_us": period.start_us, "end_us": period.end_us}
    metrics[Metric.MTTR_MINUTES] = process.mttr_minutes(incidents or (), **window)
    metrics[Metric.PROVISIONING_DAYS] = process.provisioning_days(orders or (), **window)
    metrics[Metric.TICKET_RESPONSE_MINUTES] = process.ticket_response_minutes(
        incidents or (), **window, as_of_us=as_of_us
    )
    return SlaReport(template=template, period=period, metrics=metrics, probes=probes,
                     compliance=assess(template, metrics))  # fmt: skip


def report_document(report: SlaReport) -> dict[str, object]:
    """The JSON object of ``netsla sla evaluate`` (metric names of netsla-sla)."""
    compliance = report.compliance
    return {
        "template": report.template.name,
        "from": format_time(report.period.start_us),
        "to": format_time(report.period.end_us),
        "metrics": {metric.value: _number(value) for metric, value in report.metrics.items()},
        "probes": {
            probe.name: {metric.value: _number(value) for metric, value in probe.metrics.items()}
            for probe in report.probes
        },
        "violations": [
            {
                "metric": violation.metric.value,
                "objective": float(violation.objective),
                "measured": float(violation.measured),
            }
            for violation in compliance.violations
        ],
        "no-data": [metric.value for metric in compliance.no_data],
        "compliant": compliance.compliant,
        "credit-percent": float(compliance.credit_percent),
    }


def format_time(time_us: int) -> str:
    """RFC 3339 UTC text of a time in microseconds since the epoch."""
    moment = datetime.fromtimestamp(0, UTC) + timedelta(microseconds=time_us)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def _number(value: Fraction | None) -> float | None:
    return None if value is None else float(value)
