"""Benchmark of the store's commits: SQLite's WAL checkpoint inside COMMIT or in netsla's thread.

A unit of work records 200 two-site services the way an apply records them
(``plan_change`` and ``record``, no device I/O; services of
``bench_controller.service``) into an SQLite store that already holds
``--stored`` services, so that each unit writes about 4 MB to the WAL.  For
each unit the commit is timed: from the unit's last statement (its session
flushed) to the end of its ``with`` (COMMIT, then the connection back to the
pool), and so is the whole unit.  Two stores, each fresh, in turn, twice:

- baseline: ``open_store(url, checkpoint_pages=None)``, i.e. SQLite's
  automatic checkpoint (``wal_autocheckpoint`` 1,000 pages), which runs in
  the COMMIT that crosses the threshold (netsla before its checkpoint thread);
- netsla: ``open_store(url)``: no automatic checkpoint, the store's
  WalCheckpointer thread checkpoints after commits.

Medians and maxima over ``--units`` units, and their ratios, are printed;
the MB a unit writes is measured first, on a store that never checkpoints
(there the WAL only grows, so a commit appends to a longer and longer
file: not a floor for the others).

Run: ``.venv/bin/python tests/benchmarks/bench_store.py [--units 30] [--stored 2000]``
(no lab, no root).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path

from bench_controller import STORE_ROUTERS, service

from controller.planner import plan_change, record
from controller.store import Store, open_store
from controller.store.footprints import ServiceRepository

BATCH = 200
MODES = {"baseline": None, "netsla": 1000}  # checkpoint_pages
NEVER = 10**12
PLATFORMS = dict.fromkeys(STORE_ROUTERS, "netsla-router")


def unit(store: Store, first: int) -> tuple[float, float]:
    """Record services ``first`` .. ``first + BATCH - 1``; the commit's and the unit's seconds."""
    batch = {f"s{i}": service(i, STORE_ROUTERS) for i in range(first, first + BATCH)}
    begin = time.perf_counter()
    with store.session() as session:
        repo = ServiceRepository(session)
        record(repo, plan_change(repo, batch, platforms=PLATFORMS, sla={}), tx=None)
        session.flush()
        start = time.perf_counter()
    end = time.perf_counter()
    return end - start, end - begin


def run(
    pages: int | None, database: Path, *, units: int, stored: int
) -> tuple[list[tuple[float, float]], float]:
    """The commit and unit times of ``units`` units, and the MB each wrote to the WAL."""
    store = open_store(f"sqlite:///{database}", checkpoint_pages=pages)
    try:
        with store.session() as session:
            for name in STORE_ROUTERS:
                ServiceRepository(session).replace_device_config(name, "netsla-router", {})
        for first in range(0, stored, BATCH):
            unit(store, first)
        wal = database.with_name(f"{database.name}-wal")
        before = wal.stat().st_size
        times = []
        for first in range(stored, stored + units * BATCH, BATCH):
            gc.collect()
            times.append(unit(store, first))
        grown = wal.stat().st_size - before  # what was written at NEVER only (no restart)
    finally:
        store.close()
    return times, grown / units / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=30)
    parser.add_argument("--stored", type=int, default=2000)
    args = parser.parse_args()
    sizes = {"units": args.units, "stored": args.stored}
    times: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        _, written = run(NEVER, Path(folder) / "never.db", **sizes)
        print(f"a unit of {BATCH} services writes {written:.1f} MB to the WAL")
        for round_ in (1, 2):
            for mode, pages in MODES.items():
                times[mode] += run(pages, Path(folder) / f"{mode}-{round_}.db", **sizes)[0]
    print(f"{len(times['netsla'])} units per mode:")
    commits = {mode: [commit for commit, _ in found] for mode, found in times.items()}
    for mode, found in times.items():
        print(
            f"  {mode:8}: commit median {statistics.median(commits[mode]) * 1000:5.2f} ms, "
            f"max {max(commits[mode]) * 1000:5.2f} ms; "
            f"whole unit median {statistics.median(u for _, u in found) * 1000:5.1f} ms"
        )
    base, ours = commits["baseline"], commits["netsla"]
    print(
        f"commit, baseline / netsla: median {statistics.median(base) / statistics.median(ours):.2f}"
        f", max {max(base) / max(ours):.2f}  (> 1: netsla's commit is shorter)"
    )
    units = {mode: statistics.median(u for _, u in found) for mode, found in times.items()}
    print(
        f"whole unit, baseline / netsla: median {units['baseline'] / units['netsla']:.2f}  "
        "(the checkpoint beside the next unit's work instead of in its commit)"
    )


if __name__ == "__main__":
    main()
