"""Availability (Y.1540 cl. 7), delay (Y.1540 cl. 6.2 / Y.1541), process metrics, compliance."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from sla_helpers import template_document, us

from controller.sla.availability import availability_percent, interval_count, unavailable
from controller.sla.compliance import Status, assess, status
from controller.sla.delay import delay_stats, nearest_rank
from controller.sla.metrics import Metric
from controller.sla.process import Incident, Order, mttr_minutes, provisioning_days
from controller.sla.template import parse_templates

T = Decimal("0.75")


def test_interval_exactly_at_threshold_is_available() -> None:
    sent = np.array([4, 4, 5, 0, 1])
    lost = np.array([3, 1, 4, 0, 1])
    assert unavailable(sent, lost, threshold=T).tolist() == [False, False, True, False, True]


def test_threshold_comparison_is_exact_for_decimal_thresholds() -> None:
    # 0.1 is not a binary fraction: 1 lost of 10 is exactly at it, not above.
    assert not unavailable(np.array([10]), np.array([1]), threshold=Decimal("0.1"))[0]
    assert unavailable(np.array([10]), np.array([2]), threshold=Decimal("0.1"))[0]


def test_availability_percent_and_interval_count() -> None:
    assert availability_percent(available=2, counted=3) == Fraction(200, 3)
    assert availability_percent(available=0, counted=0) is None
    assert interval_count(start_us=0, end_us=600, interval_us=300) == 2
    assert interval_count(start_us=0, end_us=601, interval_us=300) == 3


@pytest.mark.parametrize(
    ("count", "rank"), [(1, 1), (4, 4), (1000, 999), (1001, 1000), (2000, 1998)]
)
def test_nearest_rank(count: int, rank: int) -> None:
    assert nearest_rank(count, Fraction(999, 1000)) == rank


def test_delay_stats_over_2000_delays() -> None:
    delays = np.arange(1, 2001, dtype=np.float64)[::-1].copy()
    stats = delay_stats(delays)
    assert stats is not None
    assert (stats.mean_ms, stats.min_ms, stats.quantile_ms) == (1000.5, 1.0, 1998.0)
    assert stats.variation_ms == 1997.0


def test_delay_stats_single_sample_and_none() -> None:
    stats = delay_stats(np.array([7.5]))
    assert stats is not None and (stats.mean_ms, stats.variation_ms) == (7.5, 0.0)
    assert delay_stats(np.array([], dtype=np.float64)) is None


def test_mttr_counts_incidents_cleared_in_period_including_those_opened_before() -> None:
    start, end = us("2026-11-01T00:00:00Z"), us("2026-12-01T00:00:00Z")
    incidents = [
        # opened before the period, cleared inside: 90 minutes, counted in full
        Incident(
            id="1", opened_us=us("2026-10-31T23:00:00Z"), cleared_us=us("2026-11-01T00:30:00Z")
        ),
        Incident(
            id="2", opened_us=us("2026-11-02T00:00:00Z"), cleared_us=us("2026-11-02T00:30:00Z")
        ),
        Incident(
            id="3",
            opened_us=us("2026-11-03T00:00:00Z"),
            cleared_us=us("2026-11-03T09:00:00Z"),
            excluded=True,
        ),
        Incident(
            id="4", opened_us=us("2026-11-30T23:00:00Z"), cleared_us=us("2026-12-01T00:00:00Z")
        ),
        Incident(id="5", opened_us=us("2026-11-04T00:00:00Z"), cleared_us=None),
    ]
    assert mttr_minutes(incidents, start_us=start, end_us=end) == 60
    assert mttr_minutes(incidents[2:], start_us=start, end_us=end) is None


def test_provisioning_days_is_the_longest_delivered_in_period() -> None:
    start, end = us("2026-11-01T00:00:00Z"), us("2026-12-01T00:00:00Z")
    orders = [
        Order(
            id="a", ordered_us=us("2026-10-01T00:00:00Z"), delivered_us=us("2026-11-01T12:00:00Z")
        ),
        Order(
            id="b", ordered_us=us("2026-11-02T00:00:00Z"), delivered_us=us("2026-11-05T00:00:00Z")
        ),
        Order(
            id="c", ordered_us=us("2026-01-01T00:00:00Z"), delivered_us=us("2026-12-01T00:00:00Z")
        ),
        Order(id="d", ordered_us=us("2026-01-01T00:00:00Z"), delivered_us=None),
    ]
    assert provisioning_days(orders, start_us=start, end_us=end) == Fraction(63, 2)
    assert provisioning_days(orders[2:], start_us=start, end_us=end) is None


def test_status_directions() -> None:
    assert (
        status(
            Metric.AVAILABILITY_PERCENT, objective=Decimal("99.99"), measured=Fraction(9999, 100)
        )
        is Status.MET
    )
    assert (
        status(
            Metric.AVAILABILITY_PERCENT, objective=Decimal("99.99"), measured=Fraction(9998, 100)
        )
        is Status.VIOLATED
    )
    assert status(Metric.DELAY_MS, objective=Decimal(30), measured=Fraction(30)) is Status.MET
    assert status(Metric.DELAY_MS, objective=Decimal(30), measured=Fraction(3001, 100)) is (
        Status.VIOLATED
    )
    assert status(Metric.LOSS_RATIO, objective=Decimal(0), measured=None) is Status.NO_DATA


def test_assess_no_data_missing_objective_and_capped_credits() -> None:
    template = parse_templates(
        template_document(
            objectives={"delay-ms": "30", "loss-ratio": "0.001", "mttr-minutes": "60"},
            credits={
                "credit": [
                    {"metric": "delay-ms", "credit-percent": "20"},
                    {"metric": "loss-ratio", "credit-percent": "15"},
                ]
            },
            **{"max-credit-percent": "25"},
        )
    )["gold"]
    measured = {
        Metric.DELAY_MS: Fraction(31),
        Metric.LOSS_RATIO: Fraction(1, 100),
        Metric.AVAILABILITY_PERCENT: Fraction(1),  # no objective: not assessed
        Metric.MTTR_MINUTES: None,
    }
    result = assess(template, measured)
    assert [v.metric for v in result.violations] == [Metric.DELAY_MS, Metric.LOSS_RATIO]
    assert result.no_data == (Metric.MTTR_MINUTES,)
    assert Metric.AVAILABILITY_PERCENT not in result.statuses
    assert result.credit_percent == Decimal(25)
    assert not result.compliant


def test_compliant_needs_data_for_every_objective() -> None:
    template = parse_templates(template_document(objectives={"delay-ms": "30"}))["gold"]
    assert assess(template, {Metric.DELAY_MS: Fraction(10)}).compliant
    unknown = assess(template, {Metric.DELAY_MS: None})
    assert not unknown.compliant and unknown.violations == ()
    assert unknown.credit_percent == 0
