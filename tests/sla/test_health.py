"""Health score: hand-computed budgets of delay and availability objectives."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from live_helpers import gold, report, steady

from controller.sla import health
from controller.sla.metrics import Metric


def test_score_is_the_remaining_budget_of_the_worst_metric() -> None:
    # delay 50 ms of 100: half the budget used -> 50; availability 100 % -> 100.
    assert health.health_score([report(gold(), steady(50.0))]) == 50


def test_score_falls_as_delay_approaches_its_objective() -> None:
    scores = [health.health_score([report(gold(), steady(d))]) for d in (0.0, 25.0, 79.0, 99.5)]
    assert scores == [100, 75, 21, 0]  # floor(100 x (1 - d/100)); 0.5 % left floors to 0


def test_breached_objective_scores_zero() -> None:
    assert health.health_score([report(gold(), steady(100.5))]) == 0


def test_availability_budget_is_the_allowed_unavailability() -> None:
    template = gold(objectives={"availability-percent": "90"})
    # 10 intervals of 5 minutes, one lost entirely: 90 % available, the whole 10 % used.
    samples = [("a", 5.0 * i, None if i == 0 else 10.0) for i in range(10)]
    assert health.health_score([report(template, samples)]) == 0
    # 20 intervals, one lost: 95 %, half of the 10 % budget used -> 50.
    samples = [("a", 5.0 * i, None if i == 0 else 10.0) for i in range(20)]
    assert health.health_score([report(template, samples)]) == 50


def test_unknown_without_data_and_least_over_windows() -> None:
    template = gold()
    assert health.health_score([report(template, [])]) == health.UNKNOWN
    assert (
        health.health_score([report(template, steady(20.0)), report(template, steady(60.0))]) == 40
    )


def test_consumption_of_zero_budgets() -> None:
    assert health.consumption(Metric.LOSS_RATIO, objective=Decimal(0), measured=Fraction(0)) == 0
    full = health.consumption(
        Metric.AVAILABILITY_PERCENT, objective=Decimal(100), measured=Fraction(100)
    )
    assert full == 0


def test_symptoms_from_the_warning_margin() -> None:
    at_80 = report(gold(), steady(80.0))
    assert [s.metric for s in health.symptoms(at_80, margin=Decimal("0.2"))] == [Metric.DELAY_MS]
    assert health.symptoms(at_80, margin=Decimal("0.1")) == []
