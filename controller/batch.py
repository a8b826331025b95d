"""Many service changes, few transactions: coalescing, and isolating failing services.

:func:`apply_each` applies independent service changes in one
transaction; when that fails because of a service (a device refused its
data with an rpc-error, or the service itself is invalid), the services
not touching the refusing devices are retried together and the suspects
are bisected, so that one bad service costs about log2(n) extra
transactions and never the others' changes.

:class:`Batcher` is the front of a long-running controller: every
service submitted while a transaction is in flight waits, and all that
waited go together (the latest submission of a service wins) in the
next transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from controller.errors import InputError
from controller.execution import RunOptions
from controller.render.l3sm import Service
from controller.transaction import TransactionFailed


class Applier(Protocol):
    """What batching needs of :class:`controller.service.Controller`."""

    async def apply(
        self,
        changes: Mapping[str, Service | None],
        *,
        dry_run: bool = False,
        options: RunOptions | None = None,
        rollback_of: int | None = None,
    ) -> _HasTransaction: ...

    def devices_of(self, service_id: str, service: Service | None) -> set[str]: ...


class _HasTransaction(Protocol):
    @property
    def transaction(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class ServiceResult:
    """How one service of a batch ended: committed in ``transaction``, or ``error``."""

    service_id: str
    transaction: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


async def apply_each(
    controller: Applier,
    changes: Mapping[str, Service | None],
    *,
    options: RunOptions | None = None,
) -> dict[str, ServiceResult]:
    """Apply ``changes`` as independent services: each commits unless it fails itself."""
    if not changes:
        return {}
    try:
        outcome = await controller.apply(changes, options=options)
    except TransactionFailed as exc:
        if not exc.refused or len(changes) == 1:
            return _all_failed(changes, str(exc))
        refusing = {r.device for r in exc.results if r.refused}
        return await _isolate(controller, changes, refusing, options)
    except InputError as exc:
        if len(changes) == 1:
            return _all_failed(changes, str(exc))
        return await _isolate(controller, changes, set(), options)
    return {s: ServiceResult(s, transaction=outcome.transaction) for s in changes}


async def _isolate(
    controller: Applier,
    changes: Mapping[str, Service | None],
    refusing: set[str],
    options: RunOptions | None,
) -> dict[str, ServiceResult]:
    innocent = {s: v for s, v in changes.items() if not (controller.devices_of(s, v) & refusing)}
    if refusing and innocent:
        suspects = {s: v for s, v in changes.items() if s not in innocent}
        parts = [innocent, suspects]
    else:
        items = sorted(changes.items())
        half = len(items) // 2
        parts = [dict(items[:half]), dict(items[half:])]
    results: dict[str, ServiceResult] = {}
    for part in parts:
        try:
            results |= await apply_each(controller, part, options=options)
        except Exception as exc:  # not a service's fault: this part failed, the others stand
            results |= _all_failed(part, str(exc) or type(exc).__name__)
    return results


def _all_failed(changes: Mapping[str, Service | None], error: str) -> dict[str, ServiceResult]:
    return {s: ServiceResult(s, error=error) for s in changes}


@dataclass(slots=True)
class _Pending:
    service: Service | None
    waiters: list[asyncio.Future[ServiceResult]] = field(default_factory=list)


class Batcher:
    """Coalesces service submissions into one transaction at a time."""

    def __init__(self, controller: Applier, *, options: RunOptions | None = None) -> None:
        self.controller = controller
        self.options = options
        self.batches = 0  # batches run, for reporting
        self._pending: dict[str, _Pending] = {}
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, service_id: str, service: Service | None) -> ServiceResult:
        """Queue a service's new state (None: delete); wait until its batch ended."""
        waiter: asyncio.Future[ServiceResult] = asyncio.get_running_loop().create_future()
        entry = self._pending.setdefault(service_id, _Pending(service))
        entry.service = service  # the latest submission wins
        entry.waiters.append(waiter)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await waiter

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # submissions of the same moment join the first batch
        while self._pending:
            batch, self._pending = self._pending, {}
            self.batches += 1
            changes = {s: p.service for s, p in batch.items()}
            try:
                results = await apply_each(self.controller, changes, options=self.options)
            except Exception as exc:  # not a service's fault (store down, device busy...)
                results = _all_failed(changes, str(exc) or type(exc).__name__)
            except BaseException:  # cancelled: so are its waiters, and the ones queued since
                for pending in (*batch.values(), *self._pending.values()):
                    for waiter in pending.waiters:
                        waiter.cancel()
                self._pending = {}
                raise
            for service_id, pending in batch.items():
                for waiter in pending.waiters:
                    if not waiter.done():
                        waiter.set_result(results[service_id])
