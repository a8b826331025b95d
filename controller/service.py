"""The controller's service operations: apply, delete, re-deploy, rollback.

Each operation plans the change from the store, journals it, takes the
devices' leases (so that two controllers never run transactions on the
same device at once), runs one network-wide transaction, and records
the result.  Nothing is recorded as applied unless every device
committed.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, update

from controller.errors import ControllerError, InputError
from controller.journal import Journal, TxState
from controller.planner import ChangePlan, plan_change, record, restore_holdings
from controller.pools import DEFAULT_POOLS, PoolRange
from controller.render.l3sm import Service, services_from_document
from controller.render.resources import PoolName, ProbeProfile
from controller.store import Store
from controller.store.footprints import ServiceRepository, now
from controller.store.services import DeviceRow
from controller.transaction import (
    DEFAULT_QUIRKS,
    QUIRKS,
    DeviceChange,
    DeviceDriver,
    DeviceResult,
    Progress,
    Transaction,
    TransactionFailed,
)

LEASE = timedelta(minutes=10)


class DeviceBusy(ControllerError):
    """Another transaction (maybe of another controller) holds one of the devices."""


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

    def stored(self, service_id: str) -> Service | None:
        with self.store.session() as session:
            row = ServiceRepository(session).service(service_id)
            if row is None:
                return None
            (service,) = [
                s
                for s in services_from_document(json.loads(row.document))
                if s.service_id == service_id
            ]
            return service

    async def apply(
        self,
        changes: Mapping[str, Service | None],
        *,
        dry_run: bool = False,
        progress: Progress | None = None,
        rollback_of: int | None = None,
    ) -> Outcome:
        """Put every service in ``changes`` in its new state (None: delete), all or nothing."""
        for service in changes.values():
            for access in service.accesses if service else ():
                if access.device not in self.platforms:
                    raise InputError(
                        f"service {service.service_id}: device {access.device!r} "  # type: ignore[union-attr]
                        "is not in the inventory"
                    )
        previous = {s: self.stored(s) for s in changes}
        await self._ensure_synced(changes)
        with self.store.session() as session:
            repo = ServiceRepository(session)
            plan = plan_change(
                repo, changes, platforms=self.platforms, sla=self.sla, pools=self.pools
            )
            if dry_run:
                session.rollback()
                return Outcome(transaction=None, plan=plan, dry_run=True)
            tx = Journal(session).begin(
                command=self.command,
                devices={d: (w.plan.edits, w.plan.reverse) for d, w in plan.changed.items()},
                services=plan.services_json(),
                rollback_of=rollback_of,
            )
            self._lease(session, tx, sorted(plan.changed))
        try:
            results = await self._run(tx, plan, progress)
        except TransactionFailed as exc:
            self._fail(tx, plan, previous, exc)
            raise
        except BaseException as exc:
            self._fail(tx, plan, previous, exc)
            raise
        with self.store.session() as session:
            record(ServiceRepository(session), plan, tx=tx)
            outcomes = {r.device: (r.outcome.value if r.outcome else "", r.error) for r in results}
            Journal(session).finish(tx, state=TxState.COMMITTED, outcomes=outcomes)
            self._release(session, tx)
        return Outcome(transaction=tx, plan=plan, results=results)

    async def _ensure_synced(self, changes: Mapping[str, Service | None]) -> None:
        """Learn the config of devices the controller has never read (sync-from)."""
        wanted = {a.device for s in changes.values() if s for a in s.accesses}
        with self.store.session() as session:
            repo = ServiceRepository(session)
            missing = sorted(d for d in wanted if repo.device(d) is None)
        if missing and self.sync_from is not None:
            await self.sync_from(missing)

    async def _run(
        self, tx: int, plan: ChangePlan, progress: Progress | None
    ) -> list[DeviceResult]:
        changes = [
            DeviceChange(
                device=d,
                driver=self.driver(d),
                payload=w.payload(),
                reverse=w.reverse_payload(),
                quirks=QUIRKS.get(w.platform, DEFAULT_QUIRKS),
            )
            for d, w in sorted(plan.changed.items())
        ]
        if not changes:
            return []
        return await Transaction(changes, persist_id=f"netsla-{tx}", progress=progress).run()

    def _fail(
        self, tx: int, plan: ChangePlan, previous: Mapping[str, Service | None], exc: BaseException
    ) -> None:
        with self.store.session() as session:
            restore_holdings(ServiceRepository(session), plan, previous, pools=self.pools)
            outcomes = {}
            if isinstance(exc, TransactionFailed):
                outcomes = {
                    r.device: (r.outcome.value if r.outcome else "untouched", r.error)
                    for r in exc.results
                }
            Journal(session).finish(
                tx, state=TxState.FAILED, error=str(exc) or type(exc).__name__, outcomes=outcomes
            )
            self._release(session, tx)

    def _lease(self, session: Any, tx: int, devices: list[str]) -> None:
        """Take the devices for ``tx`` (row locks on PostgreSQL, a write lock on SQLite)."""
        if not devices:
            return
        taken = session.execute(
            update(DeviceRow)
            .where(
                DeviceRow.name.in_(devices),
                or_(DeviceRow.busy_transaction.is_(None), DeviceRow.busy_until < now()),
            )
            .values(busy_transaction=tx, busy_until=now() + LEASE)
        ).rowcount
        if taken != len(devices):
            raise DeviceBusy(
                "another transaction holds some of the devices "
                + ", ".join(devices)
                + "; try again"
            )

    def _release(self, session: Any, tx: int) -> None:
        session.execute(
            update(DeviceRow)
            .where(DeviceRow.busy_transaction == tx)
            .values(busy_transaction=None, busy_until=None)
        )
