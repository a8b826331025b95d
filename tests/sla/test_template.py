from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sla_helpers import template_document

from controller.sla.errors import SlaInputError
from controller.sla.metrics import Metric
from controller.sla.template import DelayType, Period, load_templates, parse_templates
from controller.sla.y1541 import Y1541_CLASSES, y1541_class

EXAMPLE = template_document(
    **{
        "measurement-period": "month",
        "delay-type": "round-trip",
        "y1541-class": 0,
        "objectives": {
            "delay-ms": "30.000",
            "delay-variation-ms": "5.000",
            "loss-ratio": "0.000100000",
            "availability-percent": "99.990",
            "mttr-minutes": "240.000",
            "provisioning-days": 20,
        },
        "availability": {"interval-minutes": 10, "loss-threshold": "0.500"},
        "credits": {"credit": [{"metric": "availability-percent", "credit-percent": "10.000"}]},
        "max-credit-percent": "25.000",
    }
)


def test_parses_rfc7951_strings_and_numbers_into_decimals() -> None:
    template = parse_templates(EXAMPLE)["gold"]
    assert template.period is Period.MONTH
    assert template.delay_type is DelayType.ROUND_TRIP
    assert template.objectives[Metric.LOSS_RATIO] == Decimal("0.0001")
    assert template.objectives[Metric.PROVISIONING_DAYS] == Decimal(20)
    assert template.availability.interval_minutes == 10
    assert template.availability.loss_threshold == Decimal("0.5")
    assert template.credits[0].metric is Metric.AVAILABILITY_PERCENT
    assert template.max_credit_percent == Decimal(25)


def test_decimals_read_as_written_whatever_their_fraction_digits() -> None:
    # Validation gives decimal64 values with the type's fraction digits.
    template = parse_templates(EXAMPLE)["gold"]
    texts = {metric.value: str(value) for metric, value in template.objectives.items()}
    assert texts == {
        "delay-ms": "30",
        "delay-variation-ms": "5",
        "loss-ratio": "0.0001",
        "availability-percent": "99.99",
        "mttr-minutes": "240",
        "provisioning-days": "20",
    }
    assert str(template.credits[0].credit_percent) == "10"


def test_defaults_follow_y1540_and_the_yang_model() -> None:
    template = parse_templates(template_document())["gold"]
    assert template.availability.interval_minutes == 5  # Y.1540 Tav
    assert template.availability.loss_threshold == Decimal("0.75")  # Y.1540 c1
    assert template.max_credit_percent == Decimal(100)
    assert template.effective_objectives() == {}


def test_short_name_period_is_accepted() -> None:
    assert parse_templates(template_document(period="week"))["gold"].period is Period.WEEK


def test_y1541_class_fills_only_objectives_the_template_does_not_set() -> None:
    document = template_document(**{"y1541-class": 1, "objectives": {"delay-ms": "30"}})
    objectives = parse_templates(document)["gold"].effective_objectives()
    assert objectives == {
        Metric.DELAY_MS: Decimal(30),
        Metric.DELAY_VARIATION_MS: Decimal(50),
        Metric.LOSS_RATIO: Decimal("0.001"),
    }


def test_y1541_unspecified_bounds_give_no_objective() -> None:
    class2 = parse_templates(template_document(**{"y1541-class": 2}))["gold"]
    assert Metric.DELAY_VARIATION_MS not in class2.effective_objectives()
    class5 = parse_templates(template_document(**{"y1541-class": 5}))["gold"]
    assert class5.effective_objectives() == {}


def test_y1541_table_1() -> None:
    assert [(c.iptd_ms, c.ipdv_ms, c.iplr) for c in Y1541_CLASSES.values()][:6] == [
        (Decimal(100), Decimal(50), Decimal("1E-3")),
        (Decimal(400), Decimal(50), Decimal("1E-3")),
        (Decimal(100), None, Decimal("1E-3")),
        (Decimal(400), None, Decimal("1E-3")),
        (Decimal(1000), None, Decimal("1E-3")),
        (None, None, None),
    ]
    assert y1541_class(6).iplr == Decimal("1E-5")


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"delay-type": "sideways"}, "delay-type"),
        ({"y1541-class": 9}, "y1541-class"),
        ({"objectives": {"delay-ms": "fast"}}, "objectives/delay-ms"),
        ({"objectives": {"jitter": "1"}}, "objectives/jitter"),
        ({"objectives": {"delay-ms": "-1"}}, "non-negative"),
        ({"availability": {"loss-threshold": "1.5"}}, "loss-threshold"),
        ({"availability": {"interval-minutes": 0}}, "interval-minutes"),
        ({"credits": {"credit": [{"metric": "x", "credit-percent": "1"}]}}, "credit/metric"),
    ],
)
def test_bad_templates_name_the_data_node(fields: dict[str, object], fragment: str) -> None:
    with pytest.raises(SlaInputError, match=fragment) as caught:
        parse_templates(template_document(**fields), source="sla.json")
    assert str(caught.value).startswith("sla.json: /netsla-sla:sla-templates/")


def test_load_templates_reports_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(SlaInputError, match="no such file"):
        load_templates(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(SlaInputError, match="not JSON"):
        load_templates(broken)
