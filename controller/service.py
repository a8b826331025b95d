"""The controller's service operations: apply, delete, re-deploy, rollback.

Each operation plans the change from the store, journals it, takes the
devices' leases (so that two controllers never run transactions on the
same device at once), runs one network-wide transaction, and records
the result (:mod:`controller.execution`).  Nothing is recorded as applied
unless every device committed.  A change that sends nothing is recorded
without a journal entry.  Order and delivery times of services go to
:mod:`controller.sla.orders` (first submission, first commit).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from controller.errors import InputError
from controller.execution import (
    DeviceBusy,
    Push,
    RunOptions,
    collector_paused,
    execute,
    hold_devices,
    new_unit,
    open_transaction,
    recover,
)
from controller.journal import Journal, TxState
from controller.planner import ChangePlan, hold_planned, plan_change, record, restore_holdings
from controller.pools import DEFAULT_POOLS, PoolRange, allocate, release_all
from controller.render.l3sm import Service, services_from_document
from controller.render.resources import PoolName, ProbeProfile
from controller.sla.catalog import SlaCatalog, bind_services, stored_catalog
from controller.sla.orders import record_delivered_many, record_ordered_many
from controller.store import Store
from controller.store.footprints import ServiceRepository, now
from controller.transaction import DeviceDriver, DeviceResult


class UnknownService(InputError):
    """No service with that id is stored."""


@dataclass(slots=True)
class Outcome:
    """What an operation did (or would do, on a dry run)."""

    transaction: int | None
    plan: ChangePlan
    results: list[DeviceResult] = field(default_factory=list)
    dry_run: bool = False


def services_of(documents: Sequence[Mapping[str, Any]]) -> dict[str, Service]:
    out: dict[str, Service] = {}
    for document in documents:
        for service in services_from_document(document):
            if service.service_id in out:
                raise InputError(f"service {service.service_id!r} appears in several documents")
            out[service.service_id] = service
    return out


def _unsynced(repo: ServiceRepository, changes: Mapping[str, Service | None]) -> list[str]:
    """Devices the changes need that the controller has never read (sync-from first)."""
    wanted = {a.device for s in changes.values() if s for a in s.accesses}
    return sorted(d for d in wanted if repo.device(d) is None)


def _devices_of_change(repo: ServiceRepository, changes: Mapping[str, Service | None]) -> list[str]:
    """Every device a change can touch: its services' stored footprints and new accesses."""
    devices = repo.stored_devices(changes)
    devices.update(a.device for s in changes.values() if s for a in s.accesses)
    return sorted(devices)


def _check_unchanged(
    repo: ServiceRepository,
    expect: Mapping[str, dict[str, Any] | None],
    *,
    since: int | None,
) -> None:
    """Raise :class:`InputError` unless each service's stored document is as expected."""
    for service_id, expected in expect.items():
        current = repo.service(service_id)
        if (None if current is None else json.loads(current.document)) != expected:
            if since is None:
                raise InputError(f"service {service_id} changed meanwhile")
            raise InputError(
                f"service {service_id} changed after transaction {since}; "
                "roll back the later transaction first"
            )


def _service_in(service_id: str, document: Mapping[str, Any] | None) -> Service | None:
    if document is None:
        return None
    (service,) = [s for s in services_from_document(document) if s.service_id == service_id]
    return service


class Controller:
    """Service operations over a store, an inventory's platforms and device drivers."""

    def __init__(
        self,
        *,
        store: Store,
        platforms: Mapping[str, str],
        driver: Callable[[str], DeviceDriver],
        sla: Mapping[str, ProbeProfile] | None = None,
        pools: Mapping[PoolName, PoolRange] = DEFAULT_POOLS,
        command: str = "",
        sync_from: Callable[[list[str]], Awaitable[object]] | None = None,
    ) -> None:
        self.sync_from = sync_from
        self.store = store
        self.platforms = platforms
        self.driver = driver
        self.sla = dict(sla or {})
        self.pools = pools
        self.command = command
        # SLA documents of the current command, for every apply it makes
        # (a batch retried piece by piece, a rollback); see apply().
        self.catalog: SlaCatalog | None = None

    def stored(self, service_id: str) -> Service | None:
        with self.store.session() as session:
            row = ServiceRepository(session).service(service_id)
            if row is None:
                return None
            return _service_in(service_id, json.loads(row.document))

    def devices_of(self, service_id: str, service: Service | None) -> set[str]:
        """Devices a change of ``service_id`` to ``service`` touches (old and new)."""
        with self.store.session() as session:
            old = set(ServiceRepository(session).footprint(service_id))
        return old | {a.device for a in service.accesses} if service else old

    async def apply(
        self,
        changes: Mapping[str, Service | None],
        *,
        dry_run: bool = False,
        options: RunOptions | None = None,
        rollback_of: int | None = None,
        catalog: SlaCatalog | None = None,
        expect: Mapping[str, dict[str, Any] | None] | None = None,
    ) -> Outcome:
        """Put every service in ``changes`` in its new state (None: delete), all or nothing.

        ``expect``: each service's stored document (None: absent) as it must be
        when the change is planned, checked once its devices are held (so that
        no other transaction changes it in between); else :class:`InputError`.

        ``catalog`` holds the SLA documents validated with the services
        (default: what the store remembers of earlier ones).  Each service's
        SLA template is resolved (access, vpn-service, the customer tier's
        default, else the template it was bound to), its probes follow the
        template's measurement settings, and on commit the service is bound
        to its customer, template and probes for live SLA evaluation.
        Python's cyclic garbage collector is paused until it returns
        (:func:`controller.execution.collector_paused`).
        """
        with collector_paused():
            return await self._apply(
                changes,
                dry_run=dry_run,
                options=options,
                rollback_of=rollback_of,
                catalog=catalog,
                expect=expect,
            )

    async def _apply(
        self,
        changes: Mapping[str, Service | None],
        *,
        dry_run: bool,
        options: RunOptions | None,
        rollback_of: int | None,
        catalog: SlaCatalog | None,
        expect: Mapping[str, dict[str, Any] | None] | None,
    ) -> Outcome:
        self._check_devices(changes)
        with self.store.session() as session:
            catalog = catalog or self.catalog or stored_catalog(session, changes)
            unsynced = _unsynced(ServiceRepository(session), changes)
        if unsynced and self.sync_from is not None:  # devices never read: sync-from first
            await self.sync_from(unsynced)
        changes = {s: v and catalog.resolve(v) for s, v in changes.items()}
        probes = {**self.sla, **catalog.probe_profiles()}
        session = new_unit(self.store)
        entry = None
        ordered_at = now()  # first submission = order time (ITU-T E.800 provisioning)
        submitted = [s for s, service in changes.items() if service is not None]
        try:
            if not dry_run:
                hold_devices(session, _devices_of_change(ServiceRepository(session), changes))
            if expect is not None:
                _check_unchanged(ServiceRepository(session), expect, since=rollback_of)
            plan = plan_change(
                ServiceRepository(session),
                changes,
                platforms=self.platforms,
                sla=probes,
                pools=self.pools,
                hold=False,
            )
            if dry_run:
                session.rollback()
                return Outcome(transaction=None, plan=plan, dry_run=True)

            def unwaited(session: Session) -> None:
                """The unit's writes no device waits for: holds and order times."""
                hold_planned(ServiceRepository(session), plan)
                record_ordered_many(session, service_ids=submitted, at=ordered_at)

            if not plan.changed:  # nothing to send: record the documents, journal nothing
                unwaited(session)
                self._record(session, plan, tx=None, catalog=catalog)
                session.commit()
                return Outcome(transaction=None, plan=plan)
            pushes = {
                d: Push(d, w.platform, w.plan.edits, w.plan.reverse)
                for d, w in plan.changed.items()
            }
            entry = open_transaction(  # the unit of work goes on in execute()
                session,
                command=self.command,
                pushes=pushes,
                services=plan.services_json,
                rollback_of=rollback_of,
                also=unwaited,
            )
        except BaseException:
            session.rollback()
            raise
        finally:
            if entry is None:
                session.close()

        def failed(session: Session) -> None:
            previous = {s: _service_in(s, plan.before[s]) for s in plan.after}
            restore_holdings(ServiceRepository(session), plan, previous, pools=self.pools)

        results = await execute(
            store=self.store,
            entry=entry,
            pushes=pushes,
            driver=self.driver,
            options=options or RunOptions(),
            on_success=lambda session: self._record(session, plan, tx=entry.tx, catalog=catalog),
            on_failure=failed,
        )
        return Outcome(transaction=entry.tx, plan=plan, results=results)

    def _check_devices(self, changes: Mapping[str, Service | None]) -> None:
        for service in changes.values():
            for access in service.accesses if service else ():
                if access.device not in self.platforms:
                    raise InputError(
                        f"service {service.service_id}: device {access.device!r} "  # type: ignore[union-attr]
                        "is not in the inventory"
                    )

    def _record(
        self, session: Session, plan: ChangePlan, *, tx: int | None, catalog: SlaCatalog
    ) -> None:
        record(ServiceRepository(session), plan, tx=tx)
        at = now()
        delivered = [s for s, service in plan.after.items() if service is not None]
        record_delivered_many(session, service_ids=delivered, at=at)
        bind_services(session, plan.after, plan.footprints, catalog, at=at)

    async def rollback(
        self, tx: int, *, dry_run: bool = False, options: RunOptions | None = None
    ) -> Outcome:
        """Put the services of committed transaction ``tx`` back as they were before it.

        Runs as a new transaction (its journal entry names ``tx``).  Refused
        when a service changed after ``tx``: roll back the later one first.
        """
        changes: dict[str, Service | None] = {}
        with self.store.session() as session:
            journal, repo = Journal(session), ServiceRepository(session)
            row = journal.transaction(tx)
            if row is None:
                raise InputError(f"no transaction {tx}")
            if row.state != TxState.COMMITTED.value:
                raise InputError(
                    f"transaction {tx} is {row.state}: only a committed one rolls back"
                )
            entries = journal.services(tx)
            if not entries:
                raise InputError(
                    f"transaction {tx} changed no service; use 'netsla device sync-to' for devices"
                )
            expect = {entry.service_id: entry.after for entry in entries}
            _check_unchanged(repo, expect, since=tx)  # at once; again once the devices are held
            for entry in entries:
                changes[entry.service_id] = _service_in(entry.service_id, entry.before)
        return await self.apply(
            changes, dry_run=dry_run, options=options, rollback_of=tx, expect=expect
        )

    def recover(self) -> list[int]:
        """Finish transactions a dead controller left prepared; release their allocations."""

        def restore(session: Session, service_id: str, before: dict[str, Any] | None) -> None:
            repo = ServiceRepository(session)
            if before is None:
                release_all(repo, service_id)
                return
            service = _service_in(service_id, before)
            if service is not None:
                allocate(repo, service, pools=self.pools)

        return recover(self.store, restore=restore)


__all__ = ["Controller", "DeviceBusy", "Outcome", "UnknownService", "services_of"]
