"""Compliance of measured metrics with a template's objectives, and service credits.

Each metric with an objective is compared with it: availability must be at
least its objective, every other metric at most (a cost). A metric with an
objective but no measurement in the period is *no-data*: it is neither met
nor violated, and it earns no credit.

netsla's choice for the open question of the definition: the period is
``compliant`` only when no objective is violated **and** every objective has
data. An SLA cannot be shown to be met without evidence, so a period with
no measurements is not reported as compliant; ``no-data`` lists why.

Credits (the penalty table of the template): every violated metric that has
a credit entry adds its credit-percent; the total is capped at
max-credit-percent when the template sets one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from controller.sla.metrics import Metric
from controller.sla.template import SlaTemplate


class Status(StrEnum):
    MET = "met"
    VIOLATED = "violated"
    NO_DATA = "no-data"


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    metric: Metric
    objective: Decimal
    measured: Fraction


@dataclass(frozen=True, slots=True, kw_only=True)
class Compliance:
    statuses: dict[Metric, Status]
    violations: tuple[Violation, ...]
    no_data: tuple[Metric, ...]
    credit_percent: Decimal

    @property
    def compliant(self) -> bool:
        return not self.violations and not self.no_data


def status(metric: Metric, *, objective: Decimal, measured: Fraction | None) -> Status:
    """Whether ``measured`` meets ``objective`` (exact comparison)."""
    if measured is None:
        return Status.NO_DATA
    bound = Fraction(objective)
    met = measured >= bound if metric.higher_is_better else measured <= bound
    return Status.MET if met else Status.VIOLATED


def assess(template: SlaTemplate, measured: Mapping[Metric, Fraction | None]) -> Compliance:
    """Compare every objective in force with its measured value; add up credits."""
    statuses: dict[Metric, Status] = {}
    violations: list[Violation] = []
    for metric, objective in template.effective_objectives().items():
        value = measured.get(metric)
        statuses[metric] = status(metric, objective=objective, measured=value)
        if statuses[metric] is Status.VIOLATED and value is not None:
            violations.append(Violation(metric=metric, objective=objective, measured=value))
    no_data = tuple(m for m, s in statuses.items() if s is Status.NO_DATA)
    return Compliance(
        statuses=statuses,
        violations=tuple(violations),
        no_data=no_data,
        credit_percent=credit_percent(template, [v.metric for v in violations]),
    )


NO_DATA_RULE = (
    "a metric with an objective but no data in the period is reported as no-data, "
    "not as met, and the period is then not compliant"
)

_NO_DATA_REASONS = {
    Metric.DELAY_MS: "no probe packet delivered in an available interval",
    Metric.DELAY_VARIATION_MS: "no probe packet delivered in an available interval",
    Metric.LOSS_RATIO: "no probe packet sent in an available interval",
    Metric.AVAILABILITY_PERCENT: "no interval with probe packets sent",
    Metric.MTTR_MINUTES: "no incident cleared in the period (MTTR needs at least one)",
    Metric.PROVISIONING_DAYS: "no order delivered in the period",
    Metric.TICKET_RESPONSE_MINUTES: "no incident opened in the period",
}


def no_data_reason(metric: Metric) -> str:
    """Why ``metric`` can have no value in a period (the report explains no-data with it)."""
    return _NO_DATA_REASONS[metric]


def credit_percent(template: SlaTemplate, violated: list[Metric]) -> Decimal:
    """Sum of the credits of the violated metrics, capped at max-credit-percent."""
    total = sum(
        (credit.credit_percent for credit in template.credits if credit.metric in violated),
        Decimal(0),
    )
    if template.max_credit_percent is not None:
        total = min(total, template.max_credit_percent)
    return total
