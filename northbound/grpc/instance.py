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
from controller.service import Controller, Outcome, services_of
from controller.service_views import ServiceView, service_view, service_views
from controller.sla import status
from controller.sla.catalog import (
    SlaCatalog,
    catalog_of,
    defined_entries,
    stored_catalog_entries,
    with_stored_catalog,
)
from controller.sla.status import OwnedAlarm, ServiceSla
from controller.tokens import Principal, Role
from controller.validation import Document, validated_data
from controller.yangmodels import DataFormat
from northbound.grpc.auth import scope_of
from northbound.grpc.errors import NotFound, PermissionDenied


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
        async with self._changes:
            data, defined = await asyncio.to_thread(self._validated, docs)
            changes: dict[str, Any] = dict(services_of([data]))
            catalog = catalog_of([data])
            if principal.role is not Role.OPERATOR:
                await asyncio.to_thread(self._check_customer, principal, changes, catalog, defined)
            self.controller.command = _journal_command("ApplyServices", principal)
            return await self.controller.apply(
                changes, dry_run=dry_run, options=options, catalog=catalog
            )

    async def delete(
        self, principal: Principal, service_id: str, *, dry_run: bool, options: RunOptions
    ) -> Outcome:
        await self.get(principal, service_id)  # refuses what the principal does not see
        async with self._changes:
            self.controller.command = _journal_command("DeleteService", principal)
            return await self.controller.apply({service_id: None}, dry_run=dry_run, options=options)

    def _validated(self, docs: Sequence[Document]) -> tuple[dict[str, Any], dict[str, set[str]]]:
        """The documents' data, validated with the stored catalog, and what they define."""
        defined = defined_entries(docs)
        with self.store.session() as session:
            completed = with_stored_catalog(session, docs, defined)
        return validated_data(completed), defined

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
                raise PermissionDenied(
                    f"service {service_id!r} is for customer {service.vpn.customer!r}: "
                    "this token applies its own customer's services only"
                )
            existing = service_view(self.store, service_id)
            if existing is not None and existing.customer != principal.customer:
                raise PermissionDenied(f"vpn-id {service_id!r} belongs to another customer")
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
                    what = "is not stored" if known is None else "differs from the stored one"
                    raise PermissionDenied(
                        f"{kind} {name!r} {what}: "
                        "only an operator defines SLA templates, tiers and customers"
                    )


def _journal_command(method: str, principal: Principal) -> str:
    """What the transaction journal records as the command: the call and the token's id."""
    return f"grpc netsla.v1.ServiceManagement/{method} token={principal.token_id}"


def _canonical(entry: Mapping[str, Any] | None) -> str:
    return json.dumps(entry, sort_keys=True)
