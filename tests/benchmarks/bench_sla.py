"""Benchmark of ``netsla sla evaluate`` against a plain NumPy computation.

Generates samples over 100 probes for a month (10 million rows by default)
into a temporary CSV, then in the same run times, each in its own process
(peak memory from ``os.wait4``'s ru_maxrss):

- ``netsla sla evaluate`` (streamed in blocks, vectorised parsing);
- a baseline that loads the whole CSV at once with NumPy (``np.loadtxt``
  for the numeric columns, NumPy's own datetime64 parser for the times)
  and computes the same numbers with whole-array operations.

Prints both figures and their ratio, and checks that both computed the
same per-probe metrics. Run: ``.venv/bin/python tests/benchmarks/bench_sla.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

START = np.datetime64("2026-11-01T00:00:00", "ms")
END = np.datetime64("2026-12-01T00:00:00", "ms")
PROBES = 100
INTERVAL_MINUTES = 5
THRESHOLD = 0.75
TEMPLATE = {
    "netsla-sla:sla-templates": {
        "sla-template": [
            {
                "name": "gold",
                "y1541-class": 0,
                "objectives": {"availability-percent": "99.900"},
                "availability": {"interval-minutes": INTERVAL_MINUTES, "loss-threshold": "0.750"},
            }
        ]
    }
}


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers, ``n x width`` uint8."""
    out = np.empty((values.shape[0], width), dtype=np.uint8)
    rest = values.copy()
    for column in range(width - 1, -1, -1):
        out[:, column] = 48 + rest % 10
        rest //= 10
    return out


def _leading_zeros(digits: np.ndarray, keep_last: int) -> np.ndarray:
    """Mask keeping digits from the first non-zero one (always the last ``keep_last``)."""
    nonzero = np.cumsum(digits != 48, axis=1) > 0
    nonzero[:, -keep_last:] = True
    return nonzero


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write ``rows`` samples: every probe sends evenly over the month, chunks shuffled."""
    rng = np.random.default_rng(seed)
    per_probe = rows // PROBES
    step_ms = int((END - START) / np.timedelta64(1, "ms")) // per_probe
    base = rng.uniform(2.0, 40.0, PROBES)
    outage = rng.integers(0, per_probe, PROBES)  # each probe loses everything for ~1 hour
    outage_len = 3_600_000 // step_ms
    with path.open("wb") as out:
        out.write(b"time,probe,seq,delay_ms\n")
        chunk = 1_000_000
        for first in range(0, per_probe * PROBES, chunk):
            index = np.arange(first, min(first + chunk, per_probe * PROBES))
            probe, seq = index % PROBES, index // PROBES
            times = START + (seq * step_ms + probe * 7).astype("timedelta64[ms]")
            delay = base[probe] + rng.exponential(2.0, index.shape[0])
            lost = (rng.random(index.shape[0]) < 0.005) | (
                (seq >= outage[probe]) & (seq < outage[probe] + outage_len)
            )
            order = rng.permutation(index.shape[0])
            out.write(_rows(times[order], probe[order], seq[order], delay[order], lost[order]))


def _rows(times, probe, seq, delay, lost) -> bytes:  # type: ignore[no-untyped-def]
    n = times.shape[0]
    stamp = np.datetime_as_string(times, unit="ms").astype("S23").view(np.uint8).reshape(n, 23)
    seq_digits = _digits(seq, 7)
    delay_digits = _digits(np.rint(delay * 1000).astype(np.int64), 7)
    delay_text = np.concatenate(
        (delay_digits[:, :4], np.full((n, 1), 46, np.uint8), delay_digits[:, 4:]), axis=1
    )
    probe_text = np.concatenate((np.full((n, 1), ord("p"), np.uint8), _digits(probe, 3)), axis=1)
    parts = [
        (stamp, np.ones_like(stamp, dtype=bool)),
        (np.array([[ord("Z"), ord(",")]] * n, np.uint8), np.ones((n, 2), bool)),
        (probe_text, np.ones_like(probe_text, dtype=bool)),
        (np.full((n, 1), 44, np.uint8), np.ones((n, 1), bool)),
        (seq_digits, _leading_zeros(seq_digits, 1)),
        (np.full((n, 1), 44, np.uint8), np.ones((n, 1), bool)),
        (delay_text, _leading_zeros(delay_text, 5) & ~lost[:, None]),
        (np.full((n, 1), 10, np.uint8), np.ones((n, 1), bool)),
    ]
    matrix = np.concatenate([p for p, _ in parts], axis=1)
    keep = np.concatenate([k for _, k in parts], axis=1)
    return matrix[keep].tobytes()


def baseline(path: Path) -> dict[str, dict[str, float | None]]:
    """The same per-probe numbers from the whole CSV loaded at once with NumPy."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # datetime64 warns about the "Z" designator
        table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=str, comments=None)
        times = table[:, 0].astype("datetime64[us]")
    names, probe = np.unique(table[:, 1], return_inverse=True)
    delay_text = table[:, 3]
    lost = delay_text == ""
    delay = np.where(lost, "nan", delay_text).astype(np.float64)
    del table, delay_text
    start, end = START.astype("datetime64[us]"), END.astype("datetime64[us]")
    inside = (times >= start) & (times < end)
    interval_us = np.timedelta64(INTERVAL_MINUTES * 60_000_000, "us")
    n_int = math.ceil((end - start) / interval_us)
    cell = probe[inside] * n_int + (times[inside] - start) // interval_us
    sent = np.bincount(cell, minlength=names.shape[0] * n_int).reshape(-1, n_int)
    lost_n = np.bincount(cell[lost[inside]], minlength=sent.size).reshape(-1, n_int)
    available = (sent > 0) & ~(lost_n * 4 > 3 * sent)  # loss ratio > 0.75, exactly
    ok = available.reshape(-1)[cell] & ~lost[inside]
    delays, owner = delay[inside][ok], probe[inside][ok]
    order = np.lexsort((delays, owner))
    delays, owner = delays[order], owner[order]
    bounds = np.searchsorted(owner, np.arange(names.shape[0] + 1))
    result: dict[str, dict[str, float | None]] = {}
    for i, name in enumerate(names.tolist()):
        segment = delays[bounds[i] : bounds[i + 1]]
        up, counted = available[i].sum(), (sent[i] > 0).sum()
        sent_up, lost_up = sent[i][available[i]].sum(), lost_n[i][available[i]].sum()
        rank = max(1, -((-999 * segment.shape[0]) // 1000))
        result[name] = {
            "delay-ms": float(np.mean(segment)) if segment.size else None,
            "delay-variation-ms": float(segment[rank - 1] - segment[0]) if segment.size else None,
            "loss-ratio": float(lost_up / sent_up) if sent_up else None,
            "availability-percent": float(100 * up / counted) if counted else None,
        }
    return result


def _measure(command: list[str]) -> tuple[float, float, bytes]:
    """Wall time, peak RSS in MiB and stdout of one child process."""
    began = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        sys.exit(f"{command[:3]} failed with status {child.returncode}")
    return time.perf_counter() - began, usage.ru_maxrss / 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--baseline-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_of:
        print(json.dumps(baseline(args.baseline_of)))
        return
    netsla = str(Path(sys.executable).with_name("netsla"))
    with tempfile.TemporaryDirectory() as tmp:
        samples, sla = Path(tmp, "samples.csv"), Path(tmp, "sla.json")
        sla.write_text(json.dumps(TEMPLATE))
        began = time.perf_counter()
        generate(samples, args.rows)
        size = samples.stat().st_size / 2**20
        print(
            f"generated {args.rows:,} rows ({size:.0f} MiB) in {time.perf_counter() - began:.1f} s"
        )
        run = [netsla, "sla", "evaluate", "--sla", str(sla), "--template", "gold",
               "--from", "2026-11-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z",
               "--samples", str(samples)]  # fmt: skip
        ours_s, ours_mib, ours_out = _measure(run)
        base_s, base_mib, base_out = _measure(
            [sys.executable, __file__, "--baseline-of", str(samples)]
        )
    ours, base = json.loads(ours_out)["probes"], json.loads(base_out)
    worst = max(
        abs(ours[p][m] - base[p][m]) / max(abs(base[p][m]), 1e-12)
        for p in base
        for m in base[p]
        if base[p][m] is not None
    )
    print(f"netsla sla evaluate : {ours_s:7.2f} s  peak {ours_mib:7.0f} MiB")
    print(f"plain NumPy baseline: {base_s:7.2f} s  peak {base_mib:7.0f} MiB")
    print(
        f"ratio (netsla/baseline): time {ours_s / base_s:.2f}x, memory {ours_mib / base_mib:.2f}x"
    )
    print(f"largest relative difference of a per-probe metric: {worst:.2e}")


if __name__ == "__main__":
    main()
