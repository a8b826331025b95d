"""Streaming evaluation, hand-computed (interval 5 min, loss threshold 0.75)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sla_helpers import FROM, TO, chunk, template_document, us

from controller.sla.errors import SlaInputError
from controller.sla.evaluate import Period, evaluate, report_document, worst
from controller.sla.metrics import Metric
from controller.sla.template import parse_templates

PERIOD = Period(start_us=us(FROM), end_us=us(TO))
SAMPLES = [
    # probe a, interval 0: 1 of 4 lost -> available
    ("a", 0.0, 10.0),
    ("a", 1.0, 20.0),
    ("a", 2.0, 30.0),
    ("a", 3.0, None),
    # interval 1: 3 of 4 lost, exactly the threshold -> available
    ("a", 5.0, None),
    ("a", 6.0, None),
    ("a", 7.0, None),
    ("a", 8.0, 100.0),
    # interval 2: 4 of 5 lost -> unavailable; its delay 1000 is not counted
    ("a", 10.0, None),
    ("a", 11.0, None),
    ("a", 12.0, None),
    ("a", 13.0, None),
    ("a", 14.0, 1000.0),
    ("b", 1.0, 5.0),  # a single sample
    ("c", 0.5, None),
    ("c", 20.0, None),  # all packets lost
    ("d", -1.0, 3.0),
    ("d", 43200.0, 3.0),  # no packet inside the period
]
TEMPLATE = parse_templates(
    template_document(
        objectives={"delay-ms": "50", "availability-percent": "99", "mttr-minutes": "10"},
        credits={"credit": [{"metric": "availability-percent", "credit-percent": "10"}]},
    )
)["gold"]


def _report(batches: list[list[tuple[str, float, float | None]]]) -> dict[str, object]:
    return report_document(evaluate(TEMPLATE, period=PERIOD, samples=[chunk(b) for b in batches]))


def test_hand_computed_probes_and_service() -> None:
    report = _report([SAMPLES])
    probes = report["probes"]
    assert probes == {
        "a": {
            "delay-ms": 40.0,
            "delay-variation-ms": 90.0,
            "loss-ratio": 0.5,
            "availability-percent": pytest.approx(200 / 3),
        },
        "b": {
            "delay-ms": 5.0,
            "delay-variation-ms": 0.0,
            "loss-ratio": 0.0,
            "availability-percent": 100.0,
        },
        "c": {
            "delay-ms": None,
            "delay-variation-ms": None,
            "loss-ratio": None,
            "availability-percent": 0.0,
        },
        "d": {
            "delay-ms": None,
            "delay-variation-ms": None,
            "loss-ratio": None,
            "availability-percent": None,
        },
    }
    assert report["metrics"] == {
        "delay-ms": 40.0,
        "delay-variation-ms": 90.0,
        "loss-ratio": 0.5,
        "availability-percent": 0.0,
        "mttr-minutes": None,
        "provisioning-days": None,
        "ticket-response-minutes": None,
    }
    assert report["violations"] == [
        {"metric": "availability-percent", "objective": 99.0, "measured": 0.0}
    ]
    assert report["no-data"] == ["mttr-minutes"]
    assert report["compliant"] is False
    assert report["credit-percent"] == 10.0
    assert (report["from"], report["to"]) == (FROM, TO)


def test_order_and_batching_do_not_matter() -> None:
    shuffled = SAMPLES[::-1]
    assert _report([shuffled[:7], shuffled[7:12], shuffled[12:]]) == _report([SAMPLES])


def test_empty_input_has_no_data() -> None:
    report = _report([])
    assert report["probes"] == {}
    assert set(report["metrics"].values()) == {None}  # type: ignore[attr-defined]
    assert report["violations"] == [] and report["compliant"] is False


def test_period_must_not_be_empty() -> None:
    with pytest.raises(SlaInputError):
        Period(start_us=5, end_us=5)


probe_samples = st.lists(
    st.tuples(
        st.sampled_from(["p", "q", "r"]),
        st.floats(min_value=-10, max_value=120, allow_nan=False),
        st.one_of(st.none(), st.floats(min_value=0, max_value=1e4, allow_nan=False)),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(probe_samples)
def test_metric_ranges(samples: list[tuple[str, float, float | None]]) -> None:
    report = _report([samples])
    for values in report["probes"].values():  # type: ignore[attr-defined]
        availability, loss = values["availability-percent"], values["loss-ratio"]
        assert availability is None or 0 <= availability <= 100
        assert loss is None or 0 <= loss <= 1
        assert values["delay-variation-ms"] is None or values["delay-variation-ms"] >= 0


@given(
    st.lists(st.one_of(st.none(), st.fractions(min_value=0, max_value=100))),
    st.one_of(st.none(), st.fractions(min_value=0, max_value=100)),
)
def test_worst_probe_rule_is_monotone(
    values: list[Fraction | None], extra: Fraction | None
) -> None:
    for metric in (Metric.DELAY_MS, Metric.AVAILABILITY_PERCENT):
        before, after = worst(metric, values), worst(metric, [*values, extra])
        if before is None:
            assert after == extra
        elif metric.higher_is_better:
            assert after is not None and after <= before
        else:
            assert after is not None and after >= before
