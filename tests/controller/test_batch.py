"""Batching without devices: how a batch's failures are split among its services.

The transactions themselves are the lab's (``test_lab_batch.py``); here an
applier fails on cue, so that each way a part of a batch can fail is met.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from controller.batch import Batcher, apply_each
from controller.execution import DeviceBusy, RunOptions
from controller.render.l3sm import Service
from controller.transaction import DeviceResult, Outcome, Step, TransactionFailed


@dataclass
class _Outcome:
    transaction: int | None


@dataclass
class _Applier:
    """Commits any batch, except one holding ``bad`` (r1 refuses its data) or ``busy``
    (another controller holds r2); every service is on r1."""

    committed: list[list[str]] = field(default_factory=list)
    hold: asyncio.Event | None = None  # set: each apply waits for it

    async def apply(
        self,
        changes: Mapping[str, Service | None],
        *,
        dry_run: bool = False,
        options: RunOptions | None = None,
        rollback_of: int | None = None,
    ) -> _Outcome:
        if self.hold is not None:
            await self.hold.wait()
        if "bad" in changes:
            refusal = DeviceResult(
                "r1", Outcome.FAILED, error="invalid-value", failed_step=Step.EDIT, refused=True
            )
            raise TransactionFailed([refusal])
        if "busy" in changes:
            raise DeviceBusy("r2 is held by transaction 7")
        self.committed.append(sorted(changes))
        return _Outcome(transaction=len(self.committed))

    def devices_of(self, service_id: str, service: Service | None) -> set[str]:
        return {"r1"}


def test_a_part_of_a_batch_failing_for_no_service_of_its_own_keeps_the_others_committed() -> None:
    applier = _Applier()
    results = asyncio.run(apply_each(applier, dict.fromkeys(["a", "b", "bad", "busy"])))
    assert applier.committed == [["a", "b"]]
    assert {s: (r.transaction, r.error) for s, r in results.items()} == {
        "a": (1, None),
        "b": (1, None),
        "bad": (None, "transaction failed: r1 (edit-config): invalid-value"),
        "busy": (None, "r2 is held by transaction 7"),
    }


def test_the_waiters_of_a_cancelled_batch_are_cancelled_not_left_waiting() -> None:
    async def scenario() -> list[bool]:
        applier = _Applier(hold=asyncio.Event())
        batcher = Batcher(applier)
        waiting = [asyncio.create_task(batcher.submit(s, None)) for s in ("a", "b")]
        await asyncio.sleep(0.01)  # the batch is in its transaction
        queued = asyncio.create_task(batcher.submit("c", None))
        await asyncio.sleep(0)
        assert batcher._worker is not None
        batcher._worker.cancel()
        done = await asyncio.wait_for(asyncio.gather(*waiting, queued, return_exceptions=True), 1)
        return [isinstance(r, asyncio.CancelledError) for r in done]

    assert asyncio.run(scenario()) == [True, True, True]
