"""SLA status of services and their alarms, per customer, from the store.

The status of a service is its latest stored evaluation of the current
measurement period (netsla-sla ``sla-periods/period``, formatted by
:func:`controller.sla.opstate.period_entry`) with its health score and the
number of its active alarms.  A service that is bound but not evaluated yet
has a status without a result.  Alarms are those of RFC 8632's alarm list,
each with the service and customer of its resource when the service is
bound (an alarm of a service deleted since has neither).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from controller.sla import opstate
from controller.sla.alarms import service_resource
from controller.store import Store
from controller.store.sla import SlaRepository
from controller.store.slarecords import AlarmRecord, Binding, ResultRecord


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceSla:
    service_id: str
    customer: str
    template: str
    result: ResultRecord | None  # latest period result
    entry: dict[str, Any] | None  # its netsla-sla sla-periods/period entry
    active_alarms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnedAlarm:
    alarm: AlarmRecord
    service_id: str | None
    customer: str | None


def _latest(results: Iterable[ResultRecord]) -> dict[str, ResultRecord]:
    latest: dict[str, ResultRecord] = {}
    for result in results:
        if result.window == "period":
            latest[result.service_id] = result  # ordered by start: the last is current
    return latest


def _statuses(
    bindings: list[Binding], results: list[ResultRecord], alarms: list[AlarmRecord]
) -> list[ServiceSla]:
    latest = _latest(results)
    active: dict[str, int] = {}
    for alarm in alarms:
        active[alarm.resource] = active.get(alarm.resource, 0) + 1
    out = []
    for binding in bindings:
        result = latest.get(binding.service_id)
        out.append(
            ServiceSla(
                service_id=binding.service_id,
                customer=binding.customer,
                template=result.template if result else binding.template,
                result=result,
                entry=opstate.period_entry(result) if result else None,
                active_alarms=active.get(service_resource(binding.service_id), 0),
            )
        )
    return out


def service_status(store: Store, service_id: str) -> ServiceSla | None:
    """The SLA status of one service (None: the service has no SLA binding)."""
    with store.session() as session:
        repo = SlaRepository(session)
        bindings = repo.bindings_of([service_id])
        if not bindings:
            return None
        results = repo.results(service_id=service_id, window="period")
        alarms = [
            a for a in repo.alarms(active_only=True) if a.resource == service_resource(service_id)
        ]
    (status,) = _statuses(bindings, results, alarms)
    return status


def statuses(store: Store, *, customer: str | None = None) -> list[ServiceSla]:
    """SLA statuses of every bound service (of ``customer`` only, when given), by service id."""
    with store.session() as session:
        repo = SlaRepository(session)
        bindings = repo.bindings(customer=customer)
        results = repo.results(window="period", customer=customer)
        alarms = repo.alarms(active_only=True)
    return _statuses(bindings, results, alarms)


def alarms(
    store: Store, *, customer: str | None = None, active_only: bool = True
) -> list[OwnedAlarm]:
    """Alarms with their service and customer (of ``customer`` only, when given)."""
    with store.session() as session:
        repo = SlaRepository(session)
        owner = {service_resource(b.service_id): b for b in repo.bindings()}
        stored = repo.alarms(active_only=active_only)
    out = []
    for alarm in stored:
        binding = owner.get(alarm.resource)
        if customer is not None and (binding is None or binding.customer != customer):
            continue
        out.append(
            OwnedAlarm(
                alarm=alarm,
                service_id=binding.service_id if binding else None,
                customer=binding.customer if binding else None,
            )
        )
    return out
