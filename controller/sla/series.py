"""Per-interval time series of a period, for the charts of the SLA report.

For each probe and availability interval (Y.1540 clause 7.1, the
template's ``interval-minutes``): packets sent and lost, the loss ratio,
the mean delay of the delivered packets, and whether the interval was
available, decided by the engine's own function
(:meth:`controller.sla.availability.IntervalCounts.available`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from controller.sla import availability
from controller.sla.csvinput import SampleChunk
from controller.sla.evaluate import Period


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeSeries:
    probe: str
    start_us: NDArray[np.int64]  # start of each interval
    sent: NDArray[np.int64]
    lost: NDArray[np.int64]
    mean_delay_ms: NDArray[np.float64]  # NaN where nothing was delivered
    available: NDArray[np.bool_]

    @property
    def counted(self) -> NDArray[np.bool_]:
        result: NDArray[np.bool_] = self.sent > 0
        return result

    @property
    def loss_ratio(self) -> NDArray[np.float64]:
        with np.errstate(invalid="ignore", divide="ignore"):
            result: NDArray[np.float64] = np.where(self.sent > 0, self.lost / self.sent, np.nan)
        return result


def interval_series(
    chunks: Iterable[SampleChunk], *, period: Period, interval_minutes: int, loss_threshold: Decimal
) -> list[ProbeSeries]:
    """Per probe (in order of first appearance) the interval series of ``period``."""
    step = interval_minutes * availability.US_PER_MINUTE
    count = availability.interval_count(
        start_us=period.start_us, end_us=period.end_us, interval_us=step
    )
    sums: dict[str, list[NDArray[np.float64]]] = {}
    for chunk in chunks:
        inside = (chunk.time_us >= period.start_us) & (chunk.time_us < period.end_us)
        index = availability.interval_index(
            chunk.time_us[inside], start_us=period.start_us, interval_us=step
        )
        probes, delays = chunk.probe_index[inside], chunk.delay_ms[inside]
        for code, name in enumerate(chunk.probe_names):
            mine = probes == code
            if not mine.any():
                continue
            cells, values = index[mine], delays[mine]
            lost = np.isnan(values)
            acc = sums.setdefault(name, [np.zeros(count) for _ in range(4)])
            acc[0] += np.bincount(cells, minlength=count)
            acc[1] += np.bincount(cells[lost], minlength=count)
            acc[2] += np.bincount(cells[~lost], weights=values[~lost], minlength=count)
            acc[3] += np.bincount(cells[~lost], minlength=count)
    starts = period.start_us + step * np.arange(count, dtype=np.int64)
    result = []
    for name, (sent, lost, total, delivered) in sums.items():
        counts = availability.IntervalCounts(
            sent=sent.astype(np.int64)[None, :], lost=lost.astype(np.int64)[None, :]
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(delivered > 0, total / delivered, np.nan)
        result.append(
            ProbeSeries(
                probe=name,
                start_us=starts,
                sent=counts.sent[0],
                lost=counts.lost[0],
                mean_delay_ms=mean,
                available=counts.available(threshold=loss_threshold)[0],
            )
        )
    return result
