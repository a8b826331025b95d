"""ITU-T Y.1541 network QoS classes (Y.1541 clause 5.3, Table 1).

Table 1 gives, per class, upper bounds that hold UNI to UNI (one way):

- IPTD: upper bound on the *mean* IP packet transfer delay (Y.1540 clause 6.2);
- IPDV: upper bound on the (1 - 10^-3) quantile of IPTD minus the minimum
  IPTD over the evaluation interval (Y.1541 clause 5.3 and Appendix II);
- IPLR: upper bound on the packet loss ratio (Y.1540 clause 6.4);
- IPER: upper bound on the packet error ratio (Y.1540 clause 6.3).

"U" (unspecified) is ``None`` here. Classes 6 and 7 were added as
provisional classes in the 2006 edition (IPLR 10^-5, IPER 10^-6).
Values as in Y.1541 (12/2011) Table 1; the public text was not reachable
from the build machine, so they were checked against the summary of the
classes in RFC 5976 (Y.1541-QOSM) and the project's REFERENCE.md.

The bounds are one-way. A template whose ``delay-type`` is round-trip and
which takes its objectives from a class compares round-trip measurements
with one-way bounds, which is strict for the provider; such a template
should set its own delay objectives (they take precedence).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from controller.sla.metrics import Metric


@dataclass(frozen=True, slots=True, kw_only=True)
class Y1541Class:
    """One row of Y.1541 Table 1; ``None`` is "U" (unspecified)."""

    number: int
    iptd_ms: Decimal | None
    ipdv_ms: Decimal | None
    iplr: Decimal | None
    iper: Decimal | None
    typical_use: str

    def objectives(self) -> dict[Metric, Decimal]:
        """The class's bounds as netsla-sla objectives (only the specified ones)."""
        values = {
            Metric.DELAY_MS: self.iptd_ms,
            Metric.DELAY_VARIATION_MS: self.ipdv_ms,
            Metric.LOSS_RATIO: self.iplr,
        }
        return {metric: value for metric, value in values.items() if value is not None}


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


# Y.1541 Table 1: class, IPTD (ms), IPDV (ms), IPLR, IPER, typical use.
_TABLE: tuple[tuple[int, str | None, str | None, str | None, str | None, str], ...] = (
    (0, "100", "50", "1E-3", "1E-4", "real-time, jitter sensitive, highly interactive"),
    (1, "400", "50", "1E-3", "1E-4", "real-time, jitter sensitive, interactive"),
    (2, "100", None, "1E-3", "1E-4", "transaction data, highly interactive (signalling)"),
    (3, "400", None, "1E-3", "1E-4", "transaction data, interactive"),
    (4, "1000", None, "1E-3", "1E-4", "low loss only (short transactions, bulk, video)"),
    (5, None, None, None, None, "traditional applications of default IP networks"),
    (6, "100", "50", "1E-5", "1E-6", "provisional: high bit rate, loss sensitive (TV)"),
    (7, "400", "50", "1E-5", "1E-6", "provisional: high bit rate, loss sensitive (TV)"),
)

Y1541_CLASSES: dict[int, Y1541Class] = {
    number: Y1541Class(
        number=number,
        iptd_ms=_decimal(iptd),
        ipdv_ms=_decimal(ipdv),
        iplr=_decimal(iplr),
        iper=_decimal(iper),
        typical_use=use,
    )
    for number, iptd, ipdv, iplr, iper, use in _TABLE
}


def y1541_class(number: int) -> Y1541Class:
    """The row of Y.1541 Table 1 for class ``number`` (``KeyError`` if there is none)."""
    return Y1541_CLASSES[number]
