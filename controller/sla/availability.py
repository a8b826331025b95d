"""IP service availability (ITU-T Y.1540 clause 7; MEF 10.3 section 8.8 for the Ethernet analogue).

Y.1540 clause 7.1 defines the availability function on consecutive
intervals of length Tav (5 minutes by default): an interval is unavailable
when its IP packet loss ratio exceeds the threshold c1 (0.75 by default).
netsla cuts the period [from, to) into intervals of ``interval-minutes``
starting at ``from`` (the last one may be shorter); an interval in which a
probe sent nothing is not counted (there is no evidence either way), and
availability-percent = 100 x available intervals / counted intervals
(Y.1540 clause 7.2, PIA).

Loss ratios are compared with the threshold exactly, in integers: an
interval exactly at the threshold is available.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

US_PER_MINUTE = 60_000_000


def interval_count(*, start_us: int, end_us: int, interval_us: int) -> int:
    """Number of availability intervals in [start, end), the last possibly partial."""
    return -((start_us - end_us) // interval_us)


def interval_index(time_us: NDArray[np.int64], *, start_us: int, interval_us: int) -> NDArray[
    np.int64]:  # fmt: skip
    """Index of the interval of each time (times must be within the period)."""
    return (time_us - start_us) // interval_us


def unavailable(sent: NDArray[np.int64], lost: NDArray[np.int64], *, threshold: Decimal) -> NDArray[
    np.bool_]:  # fmt: skip
    """Intervals whose loss ratio lost/sent is greater than ``threshold`` (Y.1540 clause 7.1).

    Computed as ``lost * q > p * sent`` for ``threshold = p / q``, exactly.
    """
    numerator, denominator = threshold.as_integer_ratio()
    result: NDArray[np.bool_] = (sent > 0) & (lost * denominator > numerator * sent)
    return result


@dataclass(frozen=True, slots=True, kw_only=True)
class IntervalCounts:
    """Per probe (rows) and interval (columns): packets sent and lost."""

    sent: NDArray[np.int64]
    lost: NDArray[np.int64]

    def available(self, *, threshold: Decimal) -> NDArray[np.bool_]:
        """Counted (something was sent) and not unavailable."""
        result: NDArray[np.bool_] = (self.sent > 0) & ~unavailable(
            self.sent, self.lost, threshold=threshold
        )
        return result


def availability_percent(*, available: int, counted: int) -> Fraction | None:
    """100 x available / counted intervals; ``None`` when no interval was counted."""
    if counted == 0:
        return None
    return Fraction(100 * available, counted)
