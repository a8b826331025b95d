"""SLA alarms shaped on RFC 8632 (ietf-alarms), as modelled by netsla-sla ``alarms``.

An alarm is identified by (resource, alarm-type-id, alarm-type-qualifier)
(RFC 8632 section 3.3): the resource is the data path of the service, the
type one of netsla-sla's identities and the qualifier the metric.  The
live evaluation computes the *conditions* that hold now
(:func:`conditions`) and :func:`reconcile` turns them into status changes
against the stored alarms (RFC 8632 section 3.5.1: an alarm is raised once
and then changes; a condition that holds again is the same alarm, not a new
one):

- a condition with no alarm, or with a cleared one: raise (a status change
  with the condition's severity);
- an active alarm whose severity or text differs: a status change;
- an active alarm whose condition is the same: nothing (de-duplicated);
- an active alarm whose condition no longer holds: clear.

Severities (netsla-sla typedef severity): a breach of an objective is
*minor* when the metric earns no credit, *major* when it does, *critical*
when the period's credit has reached the template's cap; a metric heading
for a breach (its budget used past ``1 - margin`` in the period to date or
in the rolling window, :func:`controller.sla.health.symptoms`) is a
*warning* (sla-at-risk); a network metric with an objective and no data is
a measurement-gap, *indeterminate*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from controller.sla import health
from controller.sla.evaluate import SlaReport
from controller.sla.metrics import NETWORK_METRICS, Metric
from controller.store.sla import SlaRepository
from controller.store.slarecords import AlarmChangeRecord, AlarmRecord

DEFAULT_WARNING_MARGIN = Decimal("0.2")
CLEARED = "cleared"


class AlarmType(StrEnum):
    """Identities derived from netsla-sla:sla-alarm-type."""

    SLA_VIOLATION = "netsla-sla:sla-violation"
    SLA_AT_RISK = "netsla-sla:sla-at-risk"
    MEASUREMENT_GAP = "netsla-sla:measurement-gap"


class Severity(StrEnum):
    """netsla-sla typedef severity (RFC 8632 values); ordered by :attr:`rank`."""

    INDETERMINATE = "indeterminate"
    WARNING = "warning"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self) + 2  # the enum values of RFC 8632's typedef


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class AlarmKey:
    resource: str
    alarm_type: AlarmType
    qualifier: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    severity: Severity
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AlarmState:
    """What is stored of an alarm: enough to decide the next status change."""

    severity: Severity
    text: str
    is_cleared: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusChange:
    """One entry of an alarm's status-change list; ``severity`` None means cleared."""

    key: AlarmKey
    severity: Severity | None
    text: str
    raised: bool  # a raise of a new or cleared alarm (sets last-raised)


def service_resource(service_id: str) -> str:
    """The data path of the vpn-service (RFC 8299), the alarm's resource."""
    return f"/ietf-l3vpn-svc:l3vpn-svc/vpn-services/vpn-service[vpn-id='{service_id}']"


def conditions(
    resource: str,
    *,
    period: SlaReport,
    rolling: SlaReport | None = None,
    margin: Decimal = DEFAULT_WARNING_MARGIN,
) -> dict[AlarmKey, Condition]:
    """The alarm conditions of one service now, from its period-to-date and rolling reports."""
    result: dict[AlarmKey, Condition] = {}
    compliance = period.compliance
    capped = period.template.max_credit_percent
    credited = {c.metric for c in period.template.credits if c.credit_percent > 0}
    for violation in compliance.violations:
        metric = violation.metric
        if metric not in credited:
            severity = Severity.MINOR
        elif capped is not None and compliance.credit_percent >= capped:
            severity = Severity.CRITICAL
        else:
            severity = Severity.MAJOR
        key = AlarmKey(resource=resource, alarm_type=AlarmType.SLA_VIOLATION, qualifier=metric)
        result[key] = Condition(severity=severity, text=_breach_text(metric, violation.objective))
    breached = {v.metric for v in compliance.violations}
    found = health.symptoms(period, margin=margin)
    if rolling is not None:  # a breach over the rolling window heads for one in the period
        found += health.symptoms(rolling, margin=margin, breached=True)
    for symptom in found:
        if symptom.metric in breached:
            continue
        key = AlarmKey(
            resource=resource, alarm_type=AlarmType.SLA_AT_RISK, qualifier=symptom.metric
        )
        result[key] = Condition(
            severity=Severity.WARNING,
            text=_risk_text(symptom.metric, symptom.objective, margin),
        )
    for metric in compliance.no_data:
        if metric in NETWORK_METRICS:
            key = AlarmKey(
                resource=resource, alarm_type=AlarmType.MEASUREMENT_GAP, qualifier=metric
            )
            result[key] = Condition(
                severity=Severity.INDETERMINATE, text=f"no measurement of {metric} in the period"
            )
    return result


def _breach_text(metric: Metric, objective: Decimal) -> str:
    side = "below" if metric.higher_is_better else "above"
    return f"{metric} {side} its objective {objective}"


def _risk_text(metric: Metric, objective: Decimal, margin: Decimal) -> str:
    return f"{metric} within {margin * 100:g}% of the budget of its objective {objective}"


def reconcile(
    current: Mapping[AlarmKey, AlarmState],
    desired: Mapping[AlarmKey, Condition],
    *,
    resources: Iterable[str],
) -> list[StatusChange]:
    """Status changes that bring ``current`` to ``desired`` for the given resources.

    Alarms of other resources are left alone (their services were not
    evaluated this round).
    """
    scope = set(resources)
    changes: list[StatusChange] = []
    for key in sorted(desired):
        want, have = desired[key], current.get(key)
        if have is None or have.is_cleared:
            changes.append(
                StatusChange(key=key, severity=want.severity, text=want.text, raised=True)
            )
        elif have.severity is not want.severity or have.text != want.text:
            changes.append(
                StatusChange(key=key, severity=want.severity, text=want.text, raised=False)
            )
    for key in sorted(current):
        have = current[key]
        if key.resource in scope and key not in desired and not have.is_cleared:
            changes.append(StatusChange(key=key, severity=None, text=have.text, raised=False))
    return changes


def stored_states(repo: SlaRepository) -> dict[AlarmKey, AlarmState]:
    """The stored alarms as :func:`reconcile` wants them."""
    return {
        AlarmKey(
            resource=a.resource, alarm_type=AlarmType(a.alarm_type_id), qualifier=a.qualifier
        ): AlarmState(severity=Severity(a.severity), text=a.text, is_cleared=a.is_cleared)
        for a in repo.alarms()
    }


def apply_changes(repo: SlaRepository, changes: Iterable[StatusChange], *, at_us: int) -> None:
    """Write status changes: the alarm's new state and its status-change entry."""
    existing = {(a.resource, a.alarm_type_id, a.qualifier): a for a in repo.alarms()}
    for change in changes:
        key = change.key
        old = existing.get((key.resource, key.alarm_type.value, key.qualifier))
        severity = change.severity or Severity(old.severity if old else Severity.INDETERMINATE)
        alarm = AlarmRecord(
            resource=key.resource,
            alarm_type_id=key.alarm_type.value,
            qualifier=key.qualifier,
            time_created_us=old.time_created_us if old else at_us,
            is_cleared=change.severity is None,
            last_raised_us=at_us if change.raised or old is None else old.last_raised_us,
            last_changed_us=at_us,
            severity=severity.value,
            text=change.text,
        )
        record = AlarmChangeRecord(
            resource=key.resource,
            alarm_type_id=key.alarm_type.value,
            qualifier=key.qualifier,
            time_us=at_us,
            severity=CLEARED if change.severity is None else severity.value,
            text=change.text,
        )
        repo.put_alarm(alarm, record)
