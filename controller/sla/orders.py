"""Orders of services, for provisioning-days (time to provide service, ITU-T E.800).

The controller's service apply calls these inside its own unit of work:

- :func:`record_ordered` (:func:`record_ordered_many`) when a service is
  submitted: the first submission is the order time; a later re-submission
  of the same service keeps it.
- :func:`record_delivered` (:func:`record_delivered_many`) when the
  service's transaction committed: the first commit is the delivery time;
  later changes keep it.
- :func:`bind_service` (:func:`bind_many`) with the service's customer, SLA
  template and accesses, so that the live evaluation knows what to evaluate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from controller.sla.errors import SlaInputError
from controller.sla.process import Order
from controller.store.sla import SlaRepository
from controller.store.slarecords import Access, Binding, OrderRecord

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(at: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive means UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def record_ordered(session: Session, *, service_id: str, at: datetime) -> OrderRecord:
    """Remember when ``service_id`` was first submitted (idempotent)."""
    return record_ordered_many(session, service_ids=[service_id], at=at)[service_id]


def record_ordered_many(
    session: Session, *, service_ids: Sequence[str], at: datetime
) -> dict[str, OrderRecord]:
    """:func:`record_ordered` for many services: one read, at most one write."""
    repo = SlaRepository(session)
    found = repo.orders_of(service_ids)
    ordered = to_us(at)
    new = [
        OrderRecord(service_id=s, ordered_us=ordered, delivered_us=None)
        for s in dict.fromkeys(service_ids)
        if s not in found
    ]
    repo.put_orders(new, stored=())
    return found | {o.service_id: o for o in new}


def record_delivered(session: Session, *, service_id: str, at: datetime) -> OrderRecord:
    """Remember when ``service_id``'s transaction first committed (idempotent).

    A service delivered without a recorded order is taken as ordered at
    delivery (provisioning time zero) rather than dropped.
    """
    return record_delivered_many(session, service_ids=[service_id], at=at)[service_id]


def record_delivered_many(
    session: Session, *, service_ids: Sequence[str], at: datetime
) -> dict[str, OrderRecord]:
    """:func:`record_delivered` for many services: one read, at most two writes.

    Raises :class:`SlaInputError` (nothing written) when a service would be
    delivered before it was ordered.
    """
    repo = SlaRepository(session)
    found = repo.orders_of(service_ids)
    delivered = to_us(at)
    out: dict[str, OrderRecord] = {}
    for service_id in dict.fromkeys(service_ids):
        order = found.get(service_id)
        if order is not None and order.delivered_us is not None:
            out[service_id] = order
            continue
        ordered = delivered if order is None else order.ordered_us
        if delivered < ordered:
            raise SlaInputError(source=f"order {service_id}", problem="delivered before ordered")
        out[service_id] = OrderRecord(
            service_id=service_id, ordered_us=ordered, delivered_us=delivered
        )
    repo.put_orders([o for s, o in out.items() if found.get(s) != o], stored=found)
    return out


def bind_service(
    session: Session,
    *,
    service_id: str,
    customer: str,
    template: str,
    accesses: Sequence[Access],
    at: datetime,
) -> Binding:
    """Bind a service to its customer, SLA template and accesses (replaces an earlier binding)."""
    binding = Binding(
        service_id=service_id,
        customer=customer,
        template=template,
        accesses=tuple(accesses),
        since_us=to_us(at),
    )
    SlaRepository(session).bind(binding)
    return binding


def bind_many(session: Session, bindings: Sequence[Binding]) -> None:
    """:func:`bind_service` for many services, in at most three statements."""
    SlaRepository(session).bind_many(bindings)


def for_engine(records: Iterable[OrderRecord]) -> list[Order]:
    """The engine's view of stored orders (:class:`controller.sla.process.Order`)."""
    return [
        Order(id=r.service_id, ordered_us=r.ordered_us, delivered_us=r.delivered_us)
        for r in records
    ]
