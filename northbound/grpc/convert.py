"""Controller records to netsla.v1 messages (pure).

Decimal values keep the RFC 7951 text of netsla-sla's decimal64 types
(:func:`controller.sla.opstate.period_entry`); times become
google.protobuf.Timestamp.
"""

from __future__ import annotations

import json

from google.protobuf.timestamp_pb2 import Timestamp
from lxml import etree

from controller.service import Outcome
from controller.service_views import ServiceView
from controller.sla import opstate
from controller.sla.alarms import Severity
from controller.sla.events import CLEARED, AlarmChangeKind, AlarmEvent, SlaEvent
from controller.sla.status import OwnedAlarm, ServiceSla
from controller.store.slarecords import ResultRecord
from northbound.grpc.names import customer_name, service_name, sla_status_name
from northbound.proto.netsla.v1 import netsla_pb2 as pb

_SEVERITY = {
    CLEARED: pb.SEVERITY_CLEARED,
    Severity.INDETERMINATE.value: pb.SEVERITY_INDETERMINATE,
    Severity.WARNING.value: pb.SEVERITY_WARNING,
    Severity.MINOR.value: pb.SEVERITY_MINOR,
    Severity.MAJOR.value: pb.SEVERITY_MAJOR,
    Severity.CRITICAL.value: pb.SEVERITY_CRITICAL,
}
_CHANGE = {
    AlarmChangeKind.RAISED: pb.ALARM_CHANGE_RAISED,
    AlarmChangeKind.CHANGED: pb.ALARM_CHANGE_CHANGED,
    AlarmChangeKind.CLEARED: pb.ALARM_CHANGE_CLEARED,
}
_WINDOW = {"period": pb.WINDOW_PERIOD, "rolling": pb.WINDOW_ROLLING}
UNKNOWN_HEALTH = -1


def timestamp(time_us: int) -> Timestamp:
    stamp = Timestamp()
    stamp.FromMicroseconds(time_us)
    return stamp


def severity(text: str) -> pb.Severity:
    return _SEVERITY.get(text, pb.SEVERITY_UNSPECIFIED)


def result_status(result: ResultRecord, *, active_alarms: int = 0) -> pb.SlaStatus:
    """The SlaStatus message of one stored evaluation (any window)."""
    entry = opstate.period_entry(result)
    return pb.SlaStatus(
        name=sla_status_name(result.service_id),
        service=service_name(result.service_id),
        customer=customer_name(result.customer),
        sla_template=result.template,
        compliant=result.compliant,
        violations=[
            pb.Violation(metric=v["metric"], objective=v["objective"], measured=v["measured"])
            for v in entry.get("violation", [])
        ],
        credit_percent=entry["credit-percent"],
        health_score=result.health_score,
        metrics={k: str(v) for k, v in entry["measured"].items()},
        no_data=list(result.document.get("no-data", [])),
        period_start_time=timestamp(result.start_us),
        period_end_time=timestamp(result.end_us),
        evaluate_time=timestamp(result.evaluated_us),
        active_alarm_count=active_alarms,
    )


def sla_status(status: ServiceSla) -> pb.SlaStatus:
    if status.result is not None:
        return result_status(status.result, active_alarms=status.active_alarms)
    return pb.SlaStatus(
        name=sla_status_name(status.service_id),
        service=service_name(status.service_id),
        customer=customer_name(status.customer),
        sla_template=status.template,
        compliant=False,
        health_score=UNKNOWN_HEALTH,
        active_alarm_count=status.active_alarms,
    )


def alarm(owned: OwnedAlarm) -> pb.Alarm:
    a = owned.alarm
    return pb.Alarm(
        resource=a.resource,
        alarm_type_id=a.alarm_type_id,
        alarm_type_qualifier=a.qualifier,
        service=service_name(owned.service_id) if owned.service_id else "",
        customer=customer_name(owned.customer) if owned.customer else "",
        create_time=timestamp(a.time_created_us),
        cleared=a.is_cleared,
        last_raise_time=timestamp(a.last_raised_us),
        last_change_time=timestamp(a.last_changed_us),
        perceived_severity=severity(a.severity),
        alarm_text=a.text,
    )


def alarm_event(event: AlarmEvent) -> pb.AlarmEvent:
    change = event.change
    return pb.AlarmEvent(
        change=_CHANGE[event.kind],
        resource=change.resource,
        alarm_type_id=change.alarm_type_id,
        alarm_type_qualifier=change.qualifier,
        service=service_name(event.service_id) if event.service_id else "",
        customer=customer_name(event.customer) if event.customer else "",
        time=timestamp(change.time_us),
        perceived_severity=severity(change.severity),
        alarm_text=change.text,
    )


def sla_event(event: SlaEvent) -> pb.SlaEvent:
    cursor = event.cursor.encode()
    if event.alarm is not None:
        return pb.SlaEvent(cursor=cursor, alarm=alarm_event(event.alarm))
    assert event.result is not None
    result = pb.SlaResultEvent(
        window=_WINDOW.get(event.result.window, pb.WINDOW_UNSPECIFIED),
        status=result_status(event.result),
    )
    return pb.SlaEvent(cursor=cursor, result=result)


def service(view: ServiceView) -> pb.Service:
    return pb.Service(
        name=service_name(view.service_id),
        customer=customer_name(view.customer),
        document=json.dumps(view.document, sort_keys=True),
        devices=list(view.devices),
        transaction_id=view.transaction or 0,
        update_time=timestamp(view.updated_us),
        sla_template=view.sla_template or "",
    )


def change_result(outcome: Outcome) -> pb.ChangeResult:
    """What a transaction did (or would do): services and per-device edits and payloads."""
    return pb.ChangeResult(
        transaction_id=outcome.transaction or 0,
        dry_run=outcome.dry_run,
        services=[service_name(s) for s in sorted(outcome.plan.after)],
        device_changes=[
            pb.DeviceChange(
                device=device,
                edits=[json.dumps(e.to_json(), sort_keys=True) for e in work.edits],
                payload=etree.tostring(work.payload(), pretty_print=True).decode(),
            )
            for device, work in sorted(outcome.plan.changed.items())
        ],
    )
