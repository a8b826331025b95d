"""Stored SLA results and alarms as netsla-sla operational state (RFC 7951 JSON).

- :func:`sla_periods` gives ``/netsla-sla:customers/customer[name]/sla-periods/period``
  (key vpn-id and start) from the stored per-period results;
- :func:`alarm_list` gives ``/netsla-sla:alarms/alarm-list`` (RFC 8632
  section 4 shape) from the stored alarms and their status changes.

decimal64 values are JSON strings (RFC 7951 section 6.1) with at most the
fraction digits of their YANG type; times are yang:date-and-time (RFC 3339).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from controller.sla.evaluate import format_time
from controller.sla.metrics import Metric
from controller.store.slarecords import AlarmChangeRecord, AlarmRecord, ResultRecord

_DIGITS = {
    Metric.DELAY_MS: 3,
    Metric.DELAY_VARIATION_MS: 3,
    Metric.LOSS_RATIO: 9,
    Metric.AVAILABILITY_PERCENT: 3,
    Metric.MTTR_MINUTES: 3,
    Metric.PROVISIONING_DAYS: 3,
    Metric.TICKET_RESPONSE_MINUTES: 3,
}


def decimal_text(value: float | str | Decimal, digits: int) -> str:
    """A decimal64 value as RFC 7951 text, rounded to ``digits`` fraction digits."""
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def period_entry(result: ResultRecord) -> dict[str, Any]:
    """One ``sla-periods/period`` entry of a stored period result."""
    document = result.document
    measured: dict[str, Any] = {
        metric: decimal_text(value, _DIGITS[Metric(metric)])
        for metric, value in document["metrics"].items()
        if value is not None
    }
    measured["unavailable-intervals"] = int(document.get("unavailable-intervals", 0))
    entry: dict[str, Any] = {
        "vpn-id": result.service_id,
        "start": format_time(result.start_us),
        "end": format_time(result.end_us),
        "sla-template": result.template,
        "measured": measured,
        "compliant": result.compliant,
        "credit-percent": decimal_text(result.credit_percent, 3),
    }
    violations = [
        {
            "metric": v["metric"],
            "objective": decimal_text(v["objective"], 9),
            "measured": decimal_text(v["measured"], 9),
        }
        for v in document["violations"]
    ]
    if violations:
        entry["violation"] = violations
    return entry


def sla_periods(results: Iterable[ResultRecord]) -> dict[str, Any]:
    """The customers' ``sla-periods`` of the stored period results (not the rolling ones)."""
    customers: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        if result.window == "period":
            customers.setdefault(result.customer, []).append(period_entry(result))
    return {
        "netsla-sla:customers": {
            "customer": [
                {"name": name, "sla-periods": {"period": periods}}
                for name, periods in sorted(customers.items())
            ]
        }
    }


def alarm_list(
    alarms: Iterable[AlarmRecord], changes: Iterable[AlarmChangeRecord]
) -> dict[str, Any]:
    """``/netsla-sla:alarms/alarm-list`` with each alarm's status-change list."""
    history: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for change in changes:
        key = (change.resource, change.alarm_type_id, change.qualifier)
        entries = history.setdefault(key, [])
        time = format_time(change.time_us)
        entry = {"time": time, "perceived-severity": change.severity, "alarm-text": change.text}
        if entries and entries[-1]["time"] == time:
            entries[-1] = entry  # the key is the time: keep the latest change of an instant
        else:
            entries.append(entry)
    alarms = list(alarms)
    listed = [
        {
            "resource": a.resource,
            "alarm-type-id": a.alarm_type_id,
            "alarm-type-qualifier": a.qualifier,
            "time-created": format_time(a.time_created_us),
            "is-cleared": a.is_cleared,
            "last-raised": format_time(a.last_raised_us),
            "last-changed": format_time(a.last_changed_us),
            "perceived-severity": a.severity,
            "alarm-text": a.text,
            "status-change": history.get((a.resource, a.alarm_type_id, a.qualifier), []),
        }
        for a in alarms
    ]
    last = max((a.last_changed_us for a in alarms), default=None)
    body: dict[str, Any] = {"number-of-alarms": len(listed), "alarm": listed}
    if last is not None:
        body["last-changed"] = format_time(last)
    return {"netsla-sla:alarms": {"alarm-list": body}}
