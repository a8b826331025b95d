"""Tables of the SLA engine's live operation.

- ``netsla_sla_template``: SLA templates (one RFC 7951 ``sla-template`` entry each).
- ``netsla_sla_catalog_entry``: the customer tiers and customers (one RFC 7951
  ``tier`` or ``customer`` entry each), so that a service document that names
  its customer validates without them.
- ``netsla_sla_binding``: which service has which customer, template and
  accesses (site, PE device, PE port, probes); written by service apply.
- ``netsla_sla_incident`` and ``netsla_sla_order``: the trouble tickets and
  orders of the process metrics (:mod:`controller.sla.process`).
- ``netsla_sla_result``: one evaluation per service, window kind and window
  start, the shape of netsla-sla ``customers/customer/sla-periods/period``.
- ``netsla_sla_alarm`` and ``netsla_sla_alarm_change``: SLA alarms and their
  status changes, the shape of netsla-sla ``alarms/alarm-list`` (RFC 8632
  section 4).

Times are integer microseconds since the epoch.  :class:`SlaRepository`
works inside one session (the caller's unit of work), like
:class:`controller.journal.Journal`.  Its records are in
:mod:`controller.store.slarecords`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from controller.store import Base
from controller.store.bulk import (
    delete_tuples,
    insert_tuples,
    select_among,
    table_of,
    update_tuples,
)
from controller.store.slarecords import (
    AlarmChangeRecord,
    AlarmRecord,
    Binding,
    IncidentRecord,
    OrderRecord,
    ResultRecord,
    accesses_json,
    alarm_change_from_row,
    alarm_from_row,
    binding_from_row,
    incident_from_row,
    result_from_row,
)

_NAME = 200
_PATH = 400


def _of_services(
    session: Session, table: Table, columns: Sequence[str], service_ids: Iterable[str]
) -> list[Sequence[Any]]:
    """``columns`` of the rows of ``table`` (keyed by service_id) of these services."""
    return select_among(session, table, columns, where=[], column="service_id", values=service_ids)


class SlaTemplateRow(Base):
    __tablename__ = "netsla_sla_template"
    name: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    document: Mapped[str] = mapped_column(Text)  # RFC 7951 JSON of one sla-template entry


class SlaCatalogEntryRow(Base):
    __tablename__ = "netsla_sla_catalog_entry"
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "tier" or "customer"
    name: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    document: Mapped[str] = mapped_column(Text)  # RFC 7951 JSON of the entry


class SlaBindingRow(Base):
    __tablename__ = "netsla_sla_binding"
    service_id: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    customer: Mapped[str] = mapped_column(String(_NAME))
    template: Mapped[str] = mapped_column(String(_NAME))
    accesses: Mapped[str] = mapped_column(Text)  # JSON list of Access
    since_us: Mapped[int] = mapped_column(BigInteger)


class SlaIncidentRow(Base):
    __tablename__ = "netsla_sla_incident"
    __table_args__ = (UniqueConstraint("service_id", "event_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service_id: Mapped[str] = mapped_column(String(_NAME), index=True)
    opened_us: Mapped[int] = mapped_column(BigInteger)
    cleared_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    responded_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # first response
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    event_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: opened by hand
    text: Mapped[str] = mapped_column(Text, default="")


class SlaOrderRow(Base):
    __tablename__ = "netsla_sla_order"
    service_id: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    ordered_us: Mapped[int] = mapped_column(BigInteger)
    delivered_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class SlaResultRow(Base):
    __tablename__ = "netsla_sla_result"
    service_id: Mapped[str] = mapped_column(String(_NAME), primary_key=True)
    window: Mapped[str] = mapped_column(String(16), primary_key=True)  # period | rolling
    start_us: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    end_us: Mapped[int] = mapped_column(BigInteger)
    customer: Mapped[str] = mapped_column(String(_NAME), index=True)
    template: Mapped[str] = mapped_column(String(_NAME))
    compliant: Mapped[bool] = mapped_column(Boolean)
    credit_percent: Mapped[str] = mapped_column(String(32))  # decimal text
    health_score: Mapped[int] = mapped_column(Integer)
    evaluated_us: Mapped[int] = mapped_column(BigInteger)
    document: Mapped[str] = mapped_column(Text)  # JSON: evaluate.report_document + extras


class SlaAlarmRow(Base):
    __tablename__ = "netsla_sla_alarm"
    resource: Mapped[str] = mapped_column(String(_PATH), primary_key=True)
    alarm_type_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    qualifier: Mapped[str] = mapped_column(String(64), primary_key=True)
    time_created_us: Mapped[int] = mapped_column(BigInteger)
    is_cleared: Mapped[bool] = mapped_column(Boolean)
    last_raised_us: Mapped[int] = mapped_column(BigInteger)
    last_changed_us: Mapped[int] = mapped_column(BigInteger)
    severity: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)


class SlaAlarmChangeRow(Base):
    __tablename__ = "netsla_sla_alarm_change"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resource: Mapped[str] = mapped_column(String(_PATH), index=True)
    alarm_type_id: Mapped[str] = mapped_column(String(64))
    qualifier: Mapped[str] = mapped_column(String(64))
    time_us: Mapped[int] = mapped_column(BigInteger)
    severity: Mapped[str] = mapped_column(String(16))  # a severity, or "cleared"
    text: Mapped[str] = mapped_column(Text)


class SlaRepository:
    """Reads and writes the SLA tables inside one session (the caller commits)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- templates and bindings --------------------------------------------

    def put_template(self, name: str, entry: dict[str, Any]) -> None:
        self.session.merge(SlaTemplateRow(name=name, document=json.dumps(entry, sort_keys=True)))

    def template_entries(self) -> list[dict[str, Any]]:
        rows = self.session.scalars(select(SlaTemplateRow).order_by(SlaTemplateRow.name)).all()
        return [json.loads(row.document) for row in rows]

    def put_catalog_entry(self, kind: str, name: str, entry: dict[str, Any]) -> None:
        """Store a ``tier`` or ``customer`` entry (replacing the one of that name)."""
        document = json.dumps(entry, sort_keys=True)
        self.session.merge(SlaCatalogEntryRow(kind=kind, name=name, document=document))

    def catalog_entries(self, kind: str) -> list[dict[str, Any]]:
        """The stored ``tier`` or ``customer`` entries, by name."""
        query = (
            select(SlaCatalogEntryRow.document)
            .where(SlaCatalogEntryRow.kind == kind)
            .order_by(SlaCatalogEntryRow.name)
        )
        return [json.loads(document) for document in self.session.scalars(query)]

    def bind(self, binding: Binding) -> None:
        """Create or replace a service's binding (its ``since_us`` is kept when it exists)."""
        self.bind_many([binding])

    def bind_many(self, bindings: Sequence[Binding]) -> None:
        """Create or replace bindings (an existing one keeps ``since_us``) in three statements.

        Through :mod:`controller.store.bulk` (plain texts and tuples): an apply
        binds each of its services.
        """
        table = table_of(SlaBindingRow)
        ids = [b.service_id for b in bindings]
        existing = {s for (s,) in _of_services(self.session, table, ("service_id",), ids)}
        added: list[tuple[str, str, str, str, int]] = []
        changed: list[tuple[str, str, str, str]] = []
        for b in bindings:
            values = (b.customer, b.template, accesses_json(b.accesses))
            if b.service_id in existing:
                changed.append((*values, b.service_id))
            else:
                added.append((b.service_id, *values, b.since_us))
        columns = ("service_id", "customer", "template", "accesses", "since_us")
        insert_tuples(self.session, table, columns, added)
        update_tuples(self.session, table, columns[1:4], changed, key=columns[:1])

    def unbind(self, service_id: str) -> None:
        self.unbind_many([service_id])

    def unbind_many(self, service_ids: Sequence[str]) -> None:
        keys = [(s,) for s in sorted(set(service_ids))]
        delete_tuples(self.session, table_of(SlaBindingRow), ("service_id",), keys)

    def forget_services(self, service_ids: Sequence[str], *, resources: Sequence[str]) -> None:
        """Delete every SLA record of deleted services: results, incidents, orders and alarms.

        ``resources``: the alarm resources of these services; their alarms
        and alarm history go too.  Nothing of a deleted service stays to be
        inherited by a later service that reuses its id.
        """
        keys = [(s,) for s in sorted(set(service_ids))]
        for table in map(table_of, (SlaResultRow, SlaIncidentRow, SlaOrderRow)):
            delete_tuples(self.session, table, ("service_id",), keys)
        paths = [(r,) for r in sorted(set(resources))]
        for table in map(table_of, (SlaAlarmRow, SlaAlarmChangeRow)):
            delete_tuples(self.session, table, ("resource",), paths)

    def bound_templates(self, service_ids: Iterable[str]) -> dict[str, str]:
        """The SLA template each of these services is bound to (those that are)."""
        table = table_of(SlaBindingRow)
        rows = _of_services(self.session, table, ("service_id", "template"), service_ids)
        return {service_id: template for service_id, template in rows}

    def bindings_of(self, service_ids: Iterable[str]) -> list[Binding]:
        """The bindings of these services (those that have one)."""
        query = select(SlaBindingRow).where(SlaBindingRow.service_id.in_(list(service_ids)))
        return [binding_from_row(row) for row in self.session.scalars(query).all()]

    def bindings(self, *, customer: str | None = None, hold: bool = False) -> list[Binding]:
        """Bindings by service id (of ``customer`` only, when given).

        ``hold``: keep them from being changed or deleted until the session
        ends (a shared row lock; SQLite serialises its writers anyway), so
        that what the session writes for them is not left behind by a
        service deleted meanwhile.
        """
        query = select(SlaBindingRow).order_by(SlaBindingRow.service_id)
        if customer is not None:
            query = query.where(SlaBindingRow.customer == customer)
        if hold:
            query = query.with_for_update(read=True)
        return [binding_from_row(row) for row in self.session.scalars(query).all()]

    # --- incidents ---------------------------------------------------------

    def open_incident(
        self, *, service_id: str, opened_us: int, text: str = "", event_id: int | None = None
    ) -> IncidentRecord:
        row = SlaIncidentRow(
            service_id=service_id,
            opened_us=opened_us,
            cleared_us=None,
            excluded=False,
            event_id=event_id,
            text=text,
        )
        self.session.add(row)
        self.session.flush()
        return incident_from_row(row)

    def incident(self, incident_id: int) -> IncidentRecord | None:
        row = self.session.get(SlaIncidentRow, incident_id)
        return None if row is None else incident_from_row(row)

    def incident_for_event(self, *, service_id: str, event_id: int) -> IncidentRecord | None:
        row = self.session.scalars(
            select(SlaIncidentRow).where(
                SlaIncidentRow.service_id == service_id, SlaIncidentRow.event_id == event_id
            )
        ).one_or_none()
        return None if row is None else incident_from_row(row)

    def set_incident(
        self,
        incident_id: int,
        *,
        cleared_us: int | None = None,
        excluded: bool | None = None,
        responded_us: int | None = None,
    ) -> IncidentRecord | None:
        """Set the clear time, the excluded mark and/or the first response time.

        ``None`` leaves a field as it is.
        """
        row = self.session.get(SlaIncidentRow, incident_id)
        if row is None:
            return None
        if cleared_us is not None:
            row.cleared_us = cleared_us
        if responded_us is not None:
            row.responded_us = responded_us
        if excluded is not None:
            row.excluded = excluded
        return incident_from_row(row)

    def incidents(
        self, *, service_id: str | None = None, open_only: bool = False, customer: str | None = None
    ) -> list[IncidentRecord]:
        query = select(SlaIncidentRow).order_by(SlaIncidentRow.opened_us, SlaIncidentRow.id)
        if service_id is not None:
            query = query.where(SlaIncidentRow.service_id == service_id)
        if customer is not None:
            query = query.join(
                SlaBindingRow, SlaBindingRow.service_id == SlaIncidentRow.service_id
            ).where(SlaBindingRow.customer == customer)
        if open_only:
            query = query.where(SlaIncidentRow.cleared_us.is_(None))
        return [incident_from_row(row) for row in self.session.scalars(query).all()]

    # --- orders ------------------------------------------------------------

    def order(self, service_id: str) -> OrderRecord | None:
        row = self.session.get(SlaOrderRow, service_id)
        if row is None:
            return None
        return OrderRecord(
            service_id=row.service_id, ordered_us=row.ordered_us, delivered_us=row.delivered_us
        )

    def orders_of(self, service_ids: Sequence[str]) -> dict[str, OrderRecord]:
        """The orders of these services (those that have one), a query per 500."""
        columns = ("service_id", "ordered_us", "delivered_us")
        rows = _of_services(self.session, table_of(SlaOrderRow), columns, service_ids)
        return {s: OrderRecord(service_id=s, ordered_us=o, delivered_us=d) for s, o, d in rows}

    def put_order(self, order: OrderRecord) -> None:
        self.session.merge(
            SlaOrderRow(
                service_id=order.service_id,
                ordered_us=order.ordered_us,
                delivered_us=order.delivered_us,
            )
        )

    def put_orders(self, orders: Sequence[OrderRecord], *, stored: Iterable[str]) -> None:
        """Write orders in at most two statements; ``stored``: ids that already have a row."""
        known = set(stored)
        table = table_of(SlaOrderRow)
        columns = ("service_id", "ordered_us", "delivered_us")
        added = [
            (o.service_id, o.ordered_us, o.delivered_us)
            for o in orders
            if o.service_id not in known
        ]
        changed = [
            (o.ordered_us, o.delivered_us, o.service_id) for o in orders if o.service_id in known
        ]
        insert_tuples(self.session, table, columns, added)
        update_tuples(self.session, table, columns[1:], changed, key=columns[:1])

    # --- results -----------------------------------------------------------

    def put_result(self, result: ResultRecord) -> None:
        self.session.merge(
            SlaResultRow(
                service_id=result.service_id,
                window=result.window,
                start_us=result.start_us,
                end_us=result.end_us,
                customer=result.customer,
                template=result.template,
                compliant=result.compliant,
                credit_percent=result.credit_percent,
                health_score=result.health_score,
                evaluated_us=result.evaluated_us,
                document=json.dumps(result.document),
            )
        )

    def results(
        self,
        *,
        service_id: str | None = None,
        window: str | None = None,
        customer: str | None = None,
    ) -> list[ResultRecord]:
        query = select(SlaResultRow).order_by(SlaResultRow.service_id, SlaResultRow.start_us)
        if service_id is not None:
            query = query.where(SlaResultRow.service_id == service_id)
        if window is not None:
            query = query.where(SlaResultRow.window == window)
        if customer is not None:
            query = query.where(SlaResultRow.customer == customer)
        return [result_from_row(row) for row in self.session.scalars(query).all()]

    def delete_results(self, *, service_id: str, window: str) -> None:
        """Forget the results of one window kind of a service (the rolling window moves)."""
        self.session.execute(
            delete(SlaResultRow).where(
                SlaResultRow.service_id == service_id, SlaResultRow.window == window
            )
        )

    # --- alarms ------------------------------------------------------------

    def alarms(self, *, active_only: bool = False) -> list[AlarmRecord]:
        query = select(SlaAlarmRow).order_by(
            SlaAlarmRow.resource, SlaAlarmRow.alarm_type_id, SlaAlarmRow.qualifier
        )
        if active_only:
            query = query.where(SlaAlarmRow.is_cleared.is_(False))
        return [alarm_from_row(row) for row in self.session.scalars(query).all()]

    def put_alarm(self, alarm: AlarmRecord, change: AlarmChangeRecord) -> None:
        """Write an alarm's new state together with the status change that led to it."""
        self.session.merge(
            SlaAlarmRow(
                resource=alarm.resource,
                alarm_type_id=alarm.alarm_type_id,
                qualifier=alarm.qualifier,
                time_created_us=alarm.time_created_us,
                is_cleared=alarm.is_cleared,
                last_raised_us=alarm.last_raised_us,
                last_changed_us=alarm.last_changed_us,
                severity=alarm.severity,
                text=alarm.text,
            )
        )
        self.session.add(
            SlaAlarmChangeRow(
                resource=change.resource,
                alarm_type_id=change.alarm_type_id,
                qualifier=change.qualifier,
                time_us=change.time_us,
                severity=change.severity,
                text=change.text,
            )
        )

    def alarm_changes(self, *, resource: str | None = None) -> list[AlarmChangeRecord]:
        query = select(SlaAlarmChangeRow).order_by(SlaAlarmChangeRow.id)
        if resource is not None:
            query = query.where(SlaAlarmChangeRow.resource == resource)
        return [alarm_change_from_row(row) for row in self.session.scalars(query).all()]
