"""Operational state as plain data, the same whichever protocol read it.

Interface statistics are named as in ietf-interfaces (RFC 8343 section 5,
``statistics``), whose names and widths match IF-MIB's (RFC 2863): the
collector treats a counter read over SNMP and one read over NETCONF alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class OperStatus(StrEnum):
    """ifOperStatus (RFC 2863 section 6) / oper-status (RFC 8343 section 5)."""

    UP = "up"
    DOWN = "down"
    TESTING = "testing"
    UNKNOWN = "unknown"
    DORMANT = "dormant"
    NOT_PRESENT = "not-present"
    LOWER_LAYER_DOWN = "lower-layer-down"


class AdminStatus(StrEnum):
    """ifAdminStatus (RFC 2863 section 6) / admin-status (RFC 8343 section 5)."""

    UP = "up"
    DOWN = "down"
    TESTING = "testing"


# IF-MIB's integer codes, in enumeration order (RFC 2863 section 6).
OPER_STATUS_CODES = dict(enumerate(OperStatus, start=1))
ADMIN_STATUS_CODES = dict(enumerate(AdminStatus, start=1))


class InterfaceCounter(StrEnum):
    """Interface counters, named after RFC 8343's ``statistics`` leaves."""

    IN_OCTETS = "in-octets"
    IN_UNICAST_PKTS = "in-unicast-pkts"
    IN_DISCARDS = "in-discards"
    IN_ERRORS = "in-errors"
    OUT_OCTETS = "out-octets"
    OUT_UNICAST_PKTS = "out-unicast-pkts"
    OUT_DISCARDS = "out-discards"
    OUT_ERRORS = "out-errors"

    @property
    def bits(self) -> int:
        """Counter width: octets and packets are 64-bit (ifHC*), errors 32-bit."""
        return 64 if self.name.endswith(("OCTETS", "PKTS")) else 32


@dataclass(frozen=True, kw_only=True)
class InterfaceState:
    """One interface's status and counters at one reading.

    ``last_change`` and ``discontinuity`` are TimeTicks of the agent's
    sysUpTime when read over SNMP (ifLastChange, ifCounterDiscontinuityTime)
    and date-and-time values when read over NETCONF (RFC 8343 last-change,
    statistics/discontinuity-time); ``None`` where the agent gives none.
    """

    name: str
    oper_status: OperStatus | None = None
    admin_status: AdminStatus | None = None
    if_index: int | None = None
    last_change: int | dt.datetime | None = None
    discontinuity: int | dt.datetime | None = None
    counters: dict[InterfaceCounter, int] = field(default_factory=dict)


class ProbeStatus(StrEnum):
    """pingResultsOperStatus (RFC 4560 section 4)."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    COMPLETED = "completed"


PROBE_STATUS_CODES = dict(enumerate(ProbeStatus, start=1))


@dataclass(frozen=True, kw_only=True)
class ProbeResult:
    """One row of a DISMAN-PING-MIB pingResultsTable (RFC 4560 section 4).

    RTTs are in milliseconds, as the MIB defines them; ``sent`` and
    ``responses`` count the probes of the current test.
    """

    owner: str
    test: str
    status: ProbeStatus | None
    target: str | None
    min_rtt_ms: int | None
    max_rtt_ms: int | None
    average_rtt_ms: int | None
    responses: int | None
    sent: int | None
    rtt_sum_of_squares: int | None
    last_good_probe: dt.datetime | None

    @property
    def loss_ratio(self) -> float | None:
        """Lost probes over sent probes of the test (Y.1540 IPLR, clause 5.5.6)."""
        if not self.sent or self.responses is None:
            return None
        return max(self.sent - self.responses, 0) / self.sent


@dataclass(frozen=True, kw_only=True)
class ProbeHistoryEntry:
    """One row of a DISMAN-PING-MIB pingProbeHistoryTable (RFC 4560 section 4).

    ``response_ms`` is the time from sending to the reply or the time-out;
    ``status`` the OperationResponseStatus code (1 responseReceived, 4
    requestTimedOut...); ``determined`` when the result was known.
    ``rtt_us`` and ``sent_us`` come from netsla's augmentation of the table
    where the device publishes it (``None`` otherwise).
    """

    owner: str
    test: str
    index: int
    status: int | None
    response_ms: int | None
    determined: dt.datetime | None
    rtt_us: int | None = None
    sent_us: int | None = None


@dataclass(frozen=True, kw_only=True)
class NativeProbeState:
    """One probe of a netsla-router's ``/native-state/probe`` list, read over NETCONF.

    The leaves follow DISMAN-PING-MIB's pingResultsTable (RFC 4560 section 4)
    but carry round-trip times in microseconds; the ``*_ms`` properties give
    them in the MIB's unit (unrounded) so both readings make the same series.
    ``None`` where the router has no figure yet (no complete test).
    """

    probe_id: int
    owner: str
    target: str | None
    sent: int | None
    responses: int | None
    min_rtt_us: int | None
    average_rtt_us: int | None
    max_rtt_us: int | None
    last_rtt_us: int | None
    last_good_probe: dt.datetime | None
    last_probe_time: dt.datetime | None

    @property
    def test(self) -> str:
        """The probe id as the pingCtlTestName the router publishes over SNMP."""
        return str(self.probe_id)

    @property
    def min_rtt_ms(self) -> float | None:
        return None if self.min_rtt_us is None else self.min_rtt_us / 1000

    @property
    def average_rtt_ms(self) -> float | None:
        return None if self.average_rtt_us is None else self.average_rtt_us / 1000

    @property
    def max_rtt_ms(self) -> float | None:
        return None if self.max_rtt_us is None else self.max_rtt_us / 1000

    @property
    def loss_ratio(self) -> float | None:
        """Lost probes over sent probes of the test (Y.1540 IPLR, clause 5.5.6)."""
        if not self.sent or self.responses is None:
            return None
        return max(self.sent - self.responses, 0) / self.sent
