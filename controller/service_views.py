"""Stored services as their callers see them: document, customer, devices, last change.

The customer of a service is its vpn-service's ``customer-name`` (RFC 8299
section 6.2); its SLA template the one it is bound to
(:mod:`controller.store.sla`), if any.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from controller.render.l3sm import services_from_document
from controller.store import Store
from controller.store.footprints import ServiceRepository
from controller.store.services import ServiceRow
from controller.store.sla import SlaRepository


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceView:
    service_id: str
    customer: str
    document: dict[str, Any]
    devices: tuple[str, ...]
    transaction: int | None
    updated_us: int
    sla_template: str | None


def _customer(service_id: str, document: dict[str, Any]) -> str:
    for service in services_from_document(document):
        if service.service_id == service_id:
            return service.vpn.customer
    return ""


def _micros(at: datetime) -> int:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite drops the zone
    return int(aware.timestamp() * 1_000_000)


def _view(row: ServiceRow, templates: dict[str, str]) -> ServiceView:
    document = json.loads(row.document)
    return ServiceView(
        service_id=row.service_id,
        customer=_customer(row.service_id, document),
        document=document,
        devices=tuple(json.loads(row.devices)),
        transaction=row.transaction_id,
        updated_us=_micros(row.updated_at),
        sla_template=templates.get(row.service_id),
    )


def service_view(store: Store, service_id: str) -> ServiceView | None:
    with store.session() as session:
        row = ServiceRepository(session).service(service_id)
        if row is None:
            return None
        bound = SlaRepository(session).bindings_of([service_id])
        templates = {b.service_id: b.template for b in bound}
        return _view(row, templates)


def service_views(store: Store, *, customer: str | None = None) -> list[ServiceView]:
    """Every stored service (of ``customer`` only, when given), by service id."""
    with store.session() as session:
        rows = ServiceRepository(session).services()
        templates = {b.service_id: b.template for b in SlaRepository(session).bindings()}
        views = [_view(row, templates) for row in rows]
    views.sort(key=lambda v: v.service_id)
    return [v for v in views if customer is None or v.customer == customer]
