"""SLA templates of the YANG module netsla-sla, read from RFC 7951 JSON.

A template is a service level specification (ITU-T M.3342 / TM Forum GB917):
metrics with objectives, how availability is measured, and the service
credits owed for violations. decimal64 leaves are JSON strings in RFC 7951
(clause 6.1); numbers are accepted too. Objectives are kept as ``Decimal``.

When the template names a ``y1541-class``, the delay, delay-variation and
loss objectives it does not set itself come from Y.1541 Table 1
(:mod:`controller.sla.y1541`); see :meth:`SlaTemplate.effective_objectives`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from controller.sla.errors import SlaInputError
from controller.sla.metrics import Metric
from controller.sla.y1541 import Y1541_CLASSES

TOP = "netsla-sla:sla-templates"

# Y.1540 clause 7.1: Tav = 5 minutes and the outage threshold c1 = 0.75 on
# IPLR are the defaults of the IP service availability function.
DEFAULT_INTERVAL_MINUTES = 5
DEFAULT_LOSS_THRESHOLD = Decimal("0.75")

DEFAULT_MAX_CREDIT_PERCENT = Decimal(100)

_E = TypeVar("_E", bound=StrEnum)


class Period(StrEnum):
    """netsla-sla ``measurement-period`` (ITU-T M.3342 clause 7.3)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class DelayType(StrEnum):
    ONE_WAY = "one-way"
    ROUND_TRIP = "round-trip"


@dataclass(frozen=True, slots=True, kw_only=True)
class AvailabilityRule:
    """Y.1540 clause 7.1 availability function: interval length and IPLR threshold."""

    interval_minutes: int = DEFAULT_INTERVAL_MINUTES
    loss_threshold: Decimal = DEFAULT_LOSS_THRESHOLD


@dataclass(frozen=True, slots=True, kw_only=True)
class Credit:
    metric: Metric
    credit_percent: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class SlaTemplate:
    name: str
    period: Period = Period.MONTH
    delay_type: DelayType = DelayType.ROUND_TRIP
    y1541_class: int | None = None
    objectives: Mapping[Metric, Decimal] = field(default_factory=dict)
    availability: AvailabilityRule = field(default_factory=AvailabilityRule)
    credits: tuple[Credit, ...] = ()
    max_credit_percent: Decimal | None = DEFAULT_MAX_CREDIT_PERCENT
    exclude_planned_maintenance: bool = True

    def effective_objectives(self) -> dict[Metric, Decimal]:
        """Objectives in force: the template's own, else its Y.1541 class's bounds."""
        result: dict[Metric, Decimal] = {}
        if self.y1541_class is not None:
            result.update(Y1541_CLASSES[self.y1541_class].objectives())
        result.update(self.objectives)
        return result


def load_templates(path: Path) -> dict[str, SlaTemplate]:
    """Read an RFC 7951 JSON file of netsla-sla and return its templates by name."""
    source = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SlaInputError(source=source, problem="no such file") from None
    except OSError as exc:
        raise SlaInputError(source=source, problem=exc.strerror or str(exc)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SlaInputError(source=source, problem=f"not JSON: {exc}") from None
    return parse_templates(document, source=source)


def parse_templates(document: Any, *, source: str = "<json>") -> dict[str, SlaTemplate]:
    """Templates of an RFC 7951 document holding ``netsla-sla:sla-templates``."""
    top = _mapping(document, "/", source)
    container = _mapping(top.get(TOP, {}), f"/{TOP}", source)
    entries = container.get("sla-template", [])
    if not isinstance(entries, list):
        raise SlaInputError(source=source, problem=f"/{TOP}/sla-template: not a list")
    templates: dict[str, SlaTemplate] = {}
    for entry in entries:
        template = _template(_mapping(entry, f"/{TOP}/sla-template", source), source)
        if template.name in templates:
            raise SlaInputError(source=source, problem=f"duplicate template {template.name!r}")
        templates[template.name] = template
    return templates


def _template(entry: Mapping[str, Any], source: str) -> SlaTemplate:
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise SlaInputError(source=source, problem=f"/{TOP}/sla-template: missing name")
    path = f"/{TOP}/sla-template[name='{name}']"
    klass = entry.get("y1541-class")
    if klass is not None and (isinstance(klass, bool) or klass not in Y1541_CLASSES):
        raise SlaInputError(source=source, problem=f"{path}/y1541-class: not a Y.1541 class")
    return SlaTemplate(
        name=name,
        period=_enum(Period, _period_value(entry), f"{path}/measurement-period", source),
        delay_type=_enum(
            DelayType,
            entry.get("delay-type", DelayType.ROUND_TRIP.value),
            f"{path}/delay-type",
            source,
        ),
        y1541_class=klass,
        objectives=_objectives(entry.get("objectives", {}), f"{path}/objectives", source),
        availability=_availability(entry.get("availability", {}), f"{path}/availability", source),
        credits=_credits(entry.get("credits", {}), f"{path}/credits", source),
        max_credit_percent=_decimal(
            entry.get("max-credit-percent", DEFAULT_MAX_CREDIT_PERCENT),
            f"{path}/max-credit-percent",
            source,
        ),
        exclude_planned_maintenance=_boolean(
            entry.get("exclude-planned-maintenance", True),
            f"{path}/exclude-planned-maintenance",
            source,
        ),
    )


def _objectives(node: Any, path: str, source: str) -> dict[Metric, Decimal]:
    values = _mapping(node, path, source)
    result: dict[Metric, Decimal] = {}
    for key, value in values.items():
        metric = _enum(Metric, key, f"{path}/{key}", source)
        result[metric] = _decimal(value, f"{path}/{key}", source)
    return result


def _availability(node: Any, path: str, source: str) -> AvailabilityRule:
    values = _mapping(node, path, source)
    minutes = values.get("interval-minutes", DEFAULT_INTERVAL_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        raise SlaInputError(
            source=source, problem=f"{path}/interval-minutes: not a positive integer"
        )
    threshold = _decimal(values.get("loss-threshold", DEFAULT_LOSS_THRESHOLD),
                         f"{path}/loss-threshold", source)  # fmt: skip
    if not Decimal(0) <= threshold <= Decimal(1):
        raise SlaInputError(source=source, problem=f"{path}/loss-threshold: not within 0..1")
    return AvailabilityRule(interval_minutes=minutes, loss_threshold=threshold)


def _credits(node: Any, path: str, source: str) -> tuple[Credit, ...]:
    entries = _mapping(node, path, source).get("credit", [])
    if not isinstance(entries, list):
        raise SlaInputError(source=source, problem=f"{path}/credit: not a list")
    result: list[Credit] = []
    for raw in entries:
        entry = _mapping(raw, f"{path}/credit", source)
        metric = _enum(Metric, entry.get("metric"), f"{path}/credit/metric", source)
        percent = _decimal(entry.get("credit-percent"), f"{path}/credit/credit-percent", source)
        result.append(Credit(metric=metric, credit_percent=percent))
    return tuple(result)


def _mapping(node: Any, path: str, source: str) -> Mapping[str, Any]:
    if not isinstance(node, dict):
        raise SlaInputError(source=source, problem=f"{path}: not a JSON object")
    return node


def _enum(kind: type[_E], value: Any, path: str, source: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise SlaInputError(
            source=source, problem=f"{path}: {value!r} is not one of {allowed}"
        ) from None


def _decimal(value: Any, path: str, source: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise SlaInputError(source=source, problem=f"{path}: not a decimal number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SlaInputError(
            source=source, problem=f"{path}: {value!r} is not a decimal number"
        ) from None
    if not number.is_finite() or number < 0:
        raise SlaInputError(
            source=source, problem=f"{path}: {value!r} is not a non-negative number"
        )
    return _as_written(number)


def _as_written(number: Decimal) -> Decimal:
    """``number`` without trailing zeros: ``30.0`` as ``30``, ``99.90`` as ``99.9``.

    YANG decimal64 values come back from validation with the type's
    fraction digits; the reports and alarm texts show them as people write them.
    """
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def _boolean(value: Any, path: str, source: str) -> bool:
    if not isinstance(value, bool):
        raise SlaInputError(source=source, problem=f"{path}: not a boolean")
    return value


def _period_value(entry: Mapping[str, Any]) -> Any:
    """The YANG leaf is ``measurement-period``; ``period`` is accepted as its short name."""
    return entry.get("measurement-period", entry.get("period", Period.MONTH.value))
