"""Words of the report: empty charts say "no data", no-data verdicts say why."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from lxml import etree

from controller.sla import charts
from controller.sla.report import verdict
from controller.sla.series import ProbeSeries
from tests.sla.live_helpers import gold, report, steady


def _series(*, sent: int) -> ProbeSeries:
    return ProbeSeries(
        probe="a",
        start_us=np.array([1_790_000_000_000_000], dtype=np.int64),
        sent=np.array([sent], dtype=np.int64),
        lost=np.array([sent], dtype=np.int64),
        mean_delay_ms=np.array([np.nan]),
        available=np.array([False]),
    )


def test_charts_without_data_say_so_instead_of_drawing_an_epoch_axis() -> None:
    for svg in (
        charts.delay_chart([], objective=Decimal(30)),
        charts.delay_chart([_series(sent=5)], objective=Decimal(30)),  # all lost: no delay
        charts.availability_chart([_series(sent=0)]),
        charts.loss_chart([], objective=None),
    ):
        assert "no data in the period" in svg
        assert "1970" not in svg


def test_a_chart_with_data_has_no_no_data_notice() -> None:
    svg = charts.loss_chart([_series(sent=5)], objective=None)
    assert "no data in the period" not in svg
    assert "2026" in svg


def test_verdict_explains_a_period_not_compliant_for_lack_of_data() -> None:
    no_mttr = report(gold(objectives={"delay-ms": "100", "mttr-minutes": "30"}), steady(10.0))
    text = verdict(no_mttr.compliance)
    assert text.startswith("not compliant: no data for mttr-minutes")
    assert "no objective violated" in text
    assert verdict(report(gold(), steady(10.0)).compliance) == "compliant"
    assert verdict(report(gold(), steady(500.0)).compliance) == "not compliant"


def _texts(svg: str) -> str:
    """The words a reader sees in a chart (its text elements)."""
    root = etree.fromstring(svg.encode())
    return " ".join(t.xpath("string()") for t in root.iter("{http://www.w3.org/2000/svg}text"))


def test_the_time_axis_spans_the_intervals_with_data_not_years() -> None:
    # one interval: matplotlib alone would widen the axis to about four years
    one = ProbeSeries(
        probe="a",
        start_us=np.array([1_790_000_000_000_000], dtype=np.int64),  # 2026-09-21
        sent=np.array([5], dtype=np.int64),
        lost=np.array([0], dtype=np.int64),
        mean_delay_ms=np.array([12.5]),
        available=np.array([True]),
    )
    for svg in (
        charts.delay_chart([one], objective=Decimal(30)),
        charts.availability_chart([one]),
        charts.loss_chart([one], objective=Decimal("0.001")),
    ):
        words = _texts(svg)
        assert "2026" in words
        assert not any(str(year) in words for year in (2024, 2025, 2027, 2028)), words
        assert "Sep" in words or "21" in words, words  # the axis shows the day, not years
