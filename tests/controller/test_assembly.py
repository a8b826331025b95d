"""The start-up heap is frozen once per process, so full collections skip it."""

from __future__ import annotations

import gc

from controller.assembly import freeze_startup_heap


def test_the_startup_heap_is_frozen_once() -> None:
    # As in a fresh process: whatever an earlier test froze or an apply's
    # resumed collector moved on (controller.execution) is forgotten.
    freeze_startup_heap.cache_clear()
    gc.unfreeze()
    freeze_startup_heap()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    later = [[] for _ in range(1000)]  # allocated after start-up: left to the collector
    freeze_startup_heap()
    assert gc.get_freeze_count() == frozen
    assert later
