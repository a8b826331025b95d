"""What the gRPC API does for a principal: the controller's operations, scoped by customer.

The servicers convert messages and map errors; this module decides what a
token may see and change and calls the controller:

- a customer's token sees only its customer's services, SLA statuses,
  alarms and events; another customer's service (or a missing one) is
  PERMISSION_DENIED to it, so it cannot probe which services exist (AIP-211);
- a customer's token applies only services whose ``customer-name`` is its
  customer and whose vpn-id is not another customer's, and cannot change
  SLA templates (the operator defines them: a template in its documents
  must equal the stored one);
- what a customer's refused change is told does not depend on what other
  customers have: documents that name another customer are refused before
  validation (which would say whether that customer exists), a vpn-id
  another customer holds gets the words a service the token does not see
  gets, a catalog entry that differs from the stored one gets the words of
  one that is not stored, and a clash with another service's device
  configuration names the node and leaf but not the other service's values.
  A vpn-id is unique across customers, so that one is taken is all such a
  refusal tells;
- the operator's token sees and changes everything.

Store reads and YANG validation run off the event loop's thread.  Changes
are serialised: the controller's apply is one transaction at a time here,
as it is for one CLI command.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

from controller.execution import RunOptions
from controller.footprint import FootprintConflict
from controller.service import Controller, Outcome, services_of
from controller.service_views import ServiceView, service_view, service_views
from controller.sla import status
from controller.sla.catalog import (
    SlaCatalog,
    catalog_of,
    defined_entries,
    service_customers,
    stored_catalog_entries,
    with_stored_catalog,
)
from controller.sla.status import OwnedAlarm, ServiceSla
from controller.tokens import Principal, Role
from controller.validation import Document, validated_data
from controller.yangmodels import DataFormat
from northbound.grpc.auth import scope_of
from northbound.grpc.errors import Clash, NotFound, PermissionDenied


def _hidden(principal: Principal, what: str) -> Exception:
    """The error for something ``principal`` may not see or that does not exist."""
    if principal.role is Role.OPERATOR:
        return NotFound(f"no {what}")
    return PermissionDenied(f"this token does not see {what}")


class SlaApi:
    """SLA statuses and alarms as a principal sees them."""

    def __init__(self, controller: Controller) -> None:
        self.store = controller.store

    async def status(self, principal: Principal, service_id: str) -> ServiceSla:
        found = await asyncio.to_thread(status.service_status, self.store, service_id)
        if found is None or not principal.sees(found.customer):
            raise _hidden(principal, f"SLA of service {service_id!r}")
        return found

    async def statuses(self, principal: Principal, customer: str | None) -> list[ServiceSla]:
        scope = scope_of(principal, customer)
        return await asyncio.to_thread(lambda: status.statuses(self.store, customer=scope))

    async def alarms(
        self, principal: Principal, customer: str | None, *, show_cleared: bool
    ) -> list[OwnedAlarm]:
        scope = scope_of(principal, customer)
        return await asyncio.to_thread(
            lambda: status.alarms(self.store, customer=scope, active_only=not show_cleared)
        )


class ServiceApi:
    """Services as a principal sees and changes them."""

    def __init__(self, controller: Controller) -> None:
        self.controller = controller
        self.store = controller.store
        self._changes = asyncio.Lock()

    async def get(self, principal: Principal, service_id: str) -> ServiceView:
        view = await asyncio.to_thread(service_view, self.store, service_id)
        if view is None or not principal.sees(view.customer):
            raise _hidden(principal, f"service {service_id!r}")
        return view

    async def list(self, principal: Principal, customer: str | None) -> list[ServiceView]:
        scope = scope_of(principal, customer)
        return await asyncio.to_thread(lambda: service_views(self.store, customer=scope))

    async def apply(
        self,
        principal: Principal,
        documents: Sequence[str],
        *,
        dry_run: bool,
        options: RunOptions,
    ) -> Outcome:
        """Validate the documents together, check what the principal may change, apply.

        The stored SLA templates, tiers and customers the documents do not
        define are validated with them (:func:`with_stored_catalog`).
        """
        docs = [
            Document(text, DataFormat.JSON, f"documents[{i}]") for i, text in enumerate(documents)
        ]
        customer = principal.role is not Role.OPERATOR
        defined = await asyncio.to_thread(defined_entries, docs)
        if customer:
            await asyncio.to_thread(_check_names, principal, docs, defined)
        async with self._changes:
            data = await asyncio.to_thread(self._validated, docs, defined)
            changes: dict[str, Any] = dict(services_of([data]))
            catalog = catalog_of([data])
            if customer:
                await asyncio.to_thread(self._check_customer, principal, changes, catalog, defined)
            self.controller.command = _journal_command("ApplyServices", principal)
            try:
                return await self.controller.apply(
                    changes, dry_run=dry_run, options=options, catalog=catalog
                )
            except FootprintConflict as exc:
                if not customer:
                    raise
                where = f"{exc.device}: {exc.node}" if exc.device else exc.node
                raise Clash(
                    f"{where}: {exc.leaf} clashes with the configuration of another "
                    "service or of the device"
                ) from None

    async def delete(
        self, principal: Principal, service_id: str, *, dry_run: bool, options: RunOptions
    ) -> Outcome:
        async with self._changes:  # the owner checked is the owner when the change runs
            await self.get(principal, service_id)  # refuses what the principal does not see
            self.controller.command = _journal_command("DeleteService", principal)
            return await self.controller.apply({service_id: None}, dry_run=dry_run, options=options)

    def _validated(
        self, docs: Sequence[Document], defined: Mapping[str, set[str]]
    ) -> dict[str, Any]:
        """The documents' data, validated with the stored catalog entries they do not define."""
        with self.store.session() as session:
            completed = with_stored_catalog(session, docs, defined)
        return validated_data(completed)

    def _check_customer(
        self,
        principal: Principal,
        changes: Mapping[str, Any],
        catalog: SlaCatalog,
        defined: Mapping[str, set[str]],
    ) -> None:
        """Refuse another customer's services, and SLA catalog entries of the principal's own.

        ``defined``: the templates, tiers and customers the principal's
        documents hold (:func:`defined_entries`); each must equal the stored one.
        """
        for service_id, service in changes.items():
            if service.vpn.customer != principal.customer:
                raise _foreign(service_id, service.vpn.customer)
            existing = service_view(self.store, service_id)
            if existing is not None and existing.customer != principal.customer:
                raise _hidden(principal, f"service {service_id!r}")
        with self.store.session() as session:
            stored = stored_catalog_entries(session)
        given = {
            "sla-template": catalog.templates,
            "tier": catalog.tiers,
            "customer": catalog.customers,
        }
        for kind, entries in given.items():
            for name in sorted(defined.get(kind, ())):
                entry, known = entries.get(name), stored[kind].get(name)
                if _canonical(known) != _canonical(entry):
                    raise _not_stored(kind, name)


def _check_names(
    principal: Principal, docs: Sequence[Document], defined: Mapping[str, set[str]]
) -> None:
    """Refuse, before validation, documents naming a customer other than the principal's.

    Validation would tell whether that customer exists (the customer-name
    must name one); the refusal is the same either way.  A document that
    cannot be read is left to validation.
    """
    for doc in docs:
        for service_id, customer in service_customers(doc):
            if customer != principal.customer:
                raise _foreign(service_id, customer)
    for name in sorted(defined.get("customer", ())):
        if name != principal.customer:
            raise _not_stored("customer", name)


def _not_stored(kind: str, name: str) -> PermissionDenied:
    """The refusal of a catalog entry a customer sent, whether stored or not."""
    return PermissionDenied(
        f"{kind} {name!r} is not the stored one: "
        "only an operator defines SLA templates, tiers and customers"
    )


def _foreign(service_id: str, customer: str) -> PermissionDenied:
    return PermissionDenied(
        f"service {service_id!r} is for customer {customer!r}: "
        "this token applies its own customer's services only"
    )


def _journal_command(method: str, principal: Principal) -> str:
    """What the transaction journal records as the command: the call and the token's id."""
    return f"grpc netsla.v1.ServiceManagement/{method} token={principal.token_id}"


def _canonical(entry: Mapping[str, Any] | None) -> str:
    return json.dumps(entry, sort_keys=True)
