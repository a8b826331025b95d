"""Health score of a service, 0 to 100, in the spirit of RFC 9418 (SAIN) section 3.

Every objective leaves a *budget*: for a cost metric (delay, delay
variation, loss, MTTR, provisioning time) the budget is the objective
itself and the *used* part is the measured value; for availability, whose
objective is a lower bound, the budget is the unavailability allowed
(100 - objective) and the used part is 100 - measured.  The *consumption*
of a metric is used / budget (0 when nothing is used, 1 at the objective).

The score of one evaluation is the least, over the metrics that have an
objective and a measured value, of ``floor(100 x (1 - consumption))``,
clamped to 0..100; a breached objective scores 0 (the engine's own
comparison, :func:`controller.sla.compliance.status`, decides the breach,
so a budget of zero scores 100 while unused and 0 once used).  A service's
score is the least over its evaluations (the current period to date and
the rolling window); RFC 9418's "unknown", -1, when no metric has data.

A metric whose consumption reaches ``1 - margin`` is a *symptom*
(RFC 9417 section 3.1), the condition of an at-risk alarm
(:mod:`controller.sla.alarms`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from controller.sla.compliance import Status, status
from controller.sla.evaluate import SlaReport
from controller.sla.metrics import Metric

UNKNOWN = -1
FULL = 100


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricHealth:
    metric: Metric
    objective: Decimal
    measured: Fraction
    consumption: Fraction
    violated: bool

    @property
    def score(self) -> int:
        if self.violated:
            return 0
        return max(0, min(FULL, math.floor(FULL * (1 - self.consumption))))


def consumption(metric: Metric, *, objective: Decimal, measured: Fraction) -> Fraction:
    """Share of the objective's budget that ``measured`` uses (may exceed 1 once breached)."""
    bound = Fraction(objective)
    if metric.higher_is_better:
        budget, used = 100 - bound, 100 - measured
    else:
        budget, used = bound, measured
    used = max(used, Fraction(0))
    if budget == 0:
        return Fraction(0) if used == 0 else Fraction(1)
    return used / budget


def metric_health(report: SlaReport) -> list[MetricHealth]:
    """Per metric with an objective and a value: its consumption and whether it is breached."""
    result = []
    for metric, objective in report.template.effective_objectives().items():
        measured = report.metrics.get(metric)
        if measured is None:
            continue
        violated = status(metric, objective=objective, measured=measured) is Status.VIOLATED
        result.append(
            MetricHealth(
                metric=metric,
                objective=objective,
                measured=measured,
                violated=violated,
                consumption=consumption(metric, objective=objective, measured=measured),
            )
        )
    return result


def health_score(reports: Iterable[SlaReport]) -> int:
    """The least metric score over the reports; -1 (unknown) when no metric has data."""
    scores = [m.score for report in reports for m in metric_health(report)]
    return min(scores) if scores else UNKNOWN


def symptoms(report: SlaReport, *, margin: Decimal, breached: bool = False) -> list[MetricHealth]:
    """Metrics whose consumption is at least ``1 - margin``; breached ones only if asked."""
    threshold = 1 - Fraction(margin)
    return [
        m
        for m in metric_health(report)
        if (breached or not m.violated) and (m.violated or m.consumption >= threshold)
    ]
