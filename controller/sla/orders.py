"""Orders of services, for provisioning-days (time to provide service, ITU-T E.800).

The controller's service apply calls these inside its own unit of work:

- :func:`record_ordered` when a service is submitted: the first submission
  is the order time; a later re-submission of the same service keeps it.
- :func:`record_delivered` when the service's transaction committed: the
  first commit is the delivery time; later changes keep it.
- :func:`bind_service` with the service's customer, SLA template and
  accesses, so that the live evaluation knows what to evaluate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from controller.sla.errors import SlaInputError
from controller.sla.process import Order
from controller.store.sla import Access, Binding, OrderRecord, SlaRepository

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(at: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (naive means UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def record_ordered(session: Session, *, service_id: str, at: datetime) -> OrderRecord:
    """Remember when ``service_id`` was first submitted (idempotent)."""
    repo = SlaRepository(session)
    found = repo.order(service_id)
    if found is not None:
        return found
    order = OrderRecord(service_id=service_id, ordered_us=to_us(at), delivered_us=None)
    repo.put_order(order)
    return order


def record_delivered(session: Session, *, service_id: str, at: datetime) -> OrderRecord:
    """Remember when ``service_id``'s transaction first committed (idempotent).

    A service delivered without a recorded order is taken as ordered at
    delivery (provisioning time zero) rather than dropped.
    """
    repo = SlaRepository(session)
    found = repo.order(service_id)
    delivered = to_us(at)
    if found is None:
        found = OrderRecord(service_id=service_id, ordered_us=delivered, delivered_us=None)
    if found.delivered_us is not None:
        return found
    if delivered < found.ordered_us:
        raise SlaInputError(source=f"order {service_id}", problem="delivered before ordered")
    order = OrderRecord(service_id=service_id, ordered_us=found.ordered_us, delivered_us=delivered)
    repo.put_order(order)
    return order


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


def for_engine(records: Iterable[OrderRecord]) -> list[Order]:
    """The engine's view of stored orders (:class:`controller.sla.process.Order`)."""
    return [
        Order(id=r.service_id, ordered_us=r.ordered_us, delivered_us=r.delivered_us)
        for r in records
    ]
