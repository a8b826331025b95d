"""Packet transfer delay and delay variation (ITU-T Y.1540 clause 6.2, Y.1541 clause 5.3).

- delay-ms: the mean IP packet transfer delay (IPTD, Y.1540 clause 6.2)
  of the delivered packets; lost packets have no delay.
- delay-variation-ms: Y.1541's IPDV objective form, the (1 - 10^-3)
  quantile of IPTD minus the minimum IPTD (Y.1541 clause 5.3, Table 1
  note; Y.1540 clause 6.2.4 takes the minimum as the reference delay). MEF
  10.3 section 8.8 calls the same quantity the Frame Delay Range.

The quantile is taken by nearest rank: the value at rank ceil(p x n) of the
n delays in ascending order, so it is always one of the measured delays.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

IPDV_QUANTILE = Fraction(999, 1000)


def nearest_rank(count: int, quantile: Fraction) -> int:
    """1-based rank ceil(quantile x count), at least 1 (exact, no floating point)."""
    return max(1, -((-quantile.numerator * count) // quantile.denominator))


@dataclass(frozen=True, slots=True, kw_only=True)
class DelayStats:
    count: int
    mean_ms: float
    min_ms: float
    quantile_ms: float

    @property
    def variation_ms(self) -> float:
        """IPDV: the quantile minus the minimum; never negative."""
        return self.quantile_ms - self.min_ms


def delay_stats(delays_ms: NDArray[np.float64], *, quantile: Fraction = IPDV_QUANTILE) -> (
    DelayStats | None):  # fmt: skip
    """Mean, minimum and nearest-rank quantile of delivered packets' delays.

    ``delays_ms`` may be reordered in place (it is partitioned). ``None``
    when no packet was delivered.
    """
    count = int(delays_ms.shape[0])
    if count == 0:
        return None
    rank = nearest_rank(count, quantile)
    delays_ms.partition(rank - 1)
    return DelayStats(
        count=count,
        mean_ms=float(np.mean(delays_ms)),
        min_ms=float(delays_ms[:rank].min()),
        quantile_ms=float(delays_ms[rank - 1]),
    )
