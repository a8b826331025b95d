"""Numeric OIDs that netsla polls, named after their MIB objects.

netsla never loads MIB files (Debian ships none of the IETF MIBs, and a MIB
lookup costs CPU on every value): each object it reads is written here once,
as a dotted numeric OID, with the MIB, the RFC and the clause that define it.

- SNMPv2-MIB, RFC 3418 section 2 (``system`` group).
- IF-MIB, RFC 2863 section 6 (``ifTable``, ``ifXTable``).
- DISMAN-PING-MIB, RFC 4560 section 4 (``pingResultsTable``,
  ``pingProbeHistoryTable``).
"""

from __future__ import annotations

from typing import Final

# --- SNMPv2-MIB (RFC 3418) -------------------------------------------------

#: ``sysUpTime``: TimeTicks (hundredths of a second) since the agent's network
#: management portion was last re-initialised (RFC 3418, section 2).  A value
#: smaller than the one before means the agent restarted: every counter of
#: that agent may have been reset (RFC 2578, section 7.1.6).
SYS_UP_TIME: Final = "1.3.6.1.2.1.1.3"
SYS_UP_TIME_0: Final = "1.3.6.1.2.1.1.3.0"

# --- IF-MIB (RFC 2863) -----------------------------------------------------

#: ``ifEntry`` (RFC 2863, section 6, ``ifTable``), indexed by ``ifIndex``.
IF_ENTRY: Final = "1.3.6.1.2.1.2.2.1"
IF_DESCR: Final = f"{IF_ENTRY}.2"
IF_ADMIN_STATUS: Final = f"{IF_ENTRY}.7"
IF_OPER_STATUS: Final = f"{IF_ENTRY}.8"
#: ``ifLastChange``: sysUpTime when the interface entered its current
#: operational state (RFC 2863, section 6).
IF_LAST_CHANGE: Final = f"{IF_ENTRY}.9"
IF_IN_DISCARDS: Final = f"{IF_ENTRY}.13"
IF_IN_ERRORS: Final = f"{IF_ENTRY}.14"
IF_OUT_DISCARDS: Final = f"{IF_ENTRY}.19"
IF_OUT_ERRORS: Final = f"{IF_ENTRY}.20"

#: ``ifXEntry`` (RFC 2863, section 6, ``ifXTable``), indexed by ``ifIndex``.
IF_X_ENTRY: Final = "1.3.6.1.2.1.31.1.1.1"
IF_NAME: Final = f"{IF_X_ENTRY}.1"
#: 64-bit counters (Counter64, RFC 2863 section 3.1.6: required for
#: interfaces faster than 20 Mb/s).
IF_HC_IN_OCTETS: Final = f"{IF_X_ENTRY}.6"
IF_HC_IN_UCAST_PKTS: Final = f"{IF_X_ENTRY}.7"
IF_HC_OUT_OCTETS: Final = f"{IF_X_ENTRY}.10"
IF_HC_OUT_UCAST_PKTS: Final = f"{IF_X_ENTRY}.11"
#: ``ifHighSpeed``: Gauge32, units of 1,000,000 bits per second.
IF_HIGH_SPEED: Final = f"{IF_X_ENTRY}.15"
#: ``ifCounterDiscontinuityTime``: sysUpTime of the last discontinuity of any
#: of the interface's counters (RFC 2863, section 3.1.5 and 6).
IF_COUNTER_DISCONTINUITY_TIME: Final = f"{IF_X_ENTRY}.19"

#: The columns of one IF-MIB poll, in request order.
IF_POLL_COLUMNS: Final = (
    IF_NAME,
    IF_ADMIN_STATUS,
    IF_OPER_STATUS,
    IF_LAST_CHANGE,
    IF_HC_IN_OCTETS,
    IF_HC_OUT_OCTETS,
    IF_HC_IN_UCAST_PKTS,
    IF_HC_OUT_UCAST_PKTS,
    IF_IN_ERRORS,
    IF_OUT_ERRORS,
    IF_IN_DISCARDS,
    IF_OUT_DISCARDS,
    IF_COUNTER_DISCONTINUITY_TIME,
)

# --- DISMAN-PING-MIB (RFC 4560) --------------------------------------------

PING_MIB: Final = "1.3.6.1.2.1.80"
#: ``pingResultsEntry`` (RFC 4560, section 4), indexed by
#: ``pingCtlOwnerIndex`` and ``pingCtlTestName`` (both SnmpAdminString, so
#: each index part is encoded as its length followed by its octets, RFC 2578
#: section 7.7).
PING_RESULTS_ENTRY: Final = f"{PING_MIB}.1.3.1"
PING_RESULTS_OPER_STATUS: Final = f"{PING_RESULTS_ENTRY}.1"
PING_RESULTS_IP_TARGET_ADDRESS_TYPE: Final = f"{PING_RESULTS_ENTRY}.2"
PING_RESULTS_IP_TARGET_ADDRESS: Final = f"{PING_RESULTS_ENTRY}.3"
#: RTTs are Unsigned32 in milliseconds (RFC 4560, ``UNITS "milliseconds"``).
PING_RESULTS_MIN_RTT: Final = f"{PING_RESULTS_ENTRY}.4"
PING_RESULTS_MAX_RTT: Final = f"{PING_RESULTS_ENTRY}.5"
PING_RESULTS_AVERAGE_RTT: Final = f"{PING_RESULTS_ENTRY}.6"
PING_RESULTS_PROBE_RESPONSES: Final = f"{PING_RESULTS_ENTRY}.7"
PING_RESULTS_SENT_PROBES: Final = f"{PING_RESULTS_ENTRY}.8"
PING_RESULTS_RTT_SUM_OF_SQUARES: Final = f"{PING_RESULTS_ENTRY}.9"
PING_RESULTS_LAST_GOOD_PROBE: Final = f"{PING_RESULTS_ENTRY}.10"

#: The columns of one probe-results poll, in request order.
PING_RESULTS_POLL_COLUMNS: Final = (
    PING_RESULTS_OPER_STATUS,
    PING_RESULTS_IP_TARGET_ADDRESS_TYPE,
    PING_RESULTS_IP_TARGET_ADDRESS,
    PING_RESULTS_MIN_RTT,
    PING_RESULTS_MAX_RTT,
    PING_RESULTS_AVERAGE_RTT,
    PING_RESULTS_PROBE_RESPONSES,
    PING_RESULTS_SENT_PROBES,
    PING_RESULTS_RTT_SUM_OF_SQUARES,
    PING_RESULTS_LAST_GOOD_PROBE,
)

#: ``pingProbeHistoryEntry`` (RFC 4560, section 4), indexed by owner, test
#: name and ``pingProbeHistoryIndex``; one row per probe packet.
PING_PROBE_HISTORY_ENTRY: Final = f"{PING_MIB}.1.4.1"
PING_PROBE_HISTORY_RESPONSE: Final = f"{PING_PROBE_HISTORY_ENTRY}.2"
PING_PROBE_HISTORY_STATUS: Final = f"{PING_PROBE_HISTORY_ENTRY}.3"
#: ``pingProbeHistoryLastRC``: the ICMP type of the reply (0, echo reply).
PING_PROBE_HISTORY_LAST_RC: Final = f"{PING_PROBE_HISTORY_ENTRY}.4"
#: ``pingProbeHistoryTime``: DateAndTime when the result was determined.
PING_PROBE_HISTORY_TIME: Final = f"{PING_PROBE_HISTORY_ENTRY}.5"

#: OperationResponseStatus codes (RFC 4560 section 4, textual convention).
RESPONSE_RECEIVED: Final = 1
REQUEST_TIMED_OUT: Final = 4

# --- netsla's extension of DISMAN-PING-MIB ---------------------------------

#: netsla holds no IANA Private Enterprise Number yet: its extension sits
#: under 32473, the enterprise number RFC 5612 reserves for documentation
#: and examples, until one is assigned.
NETSLA_ENTERPRISE: Final = "1.3.6.1.4.1.32473"
#: ``netslaProbeHistoryEntry``: AUGMENTS ``pingProbeHistoryEntry`` (same
#: index) with what the standard's milliseconds and deciseconds cannot hold.
NETSLA_PROBE_HISTORY_ENTRY: Final = f"{NETSLA_ENTERPRISE}.1.1.1"
#: Unsigned32, microseconds: the round-trip time of a reply (absent on a time-out).
NETSLA_PROBE_HISTORY_RTT_US: Final = f"{NETSLA_PROBE_HISTORY_ENTRY}.1"
#: OCTET STRING (SIZE (8)): when the request was sent, microseconds since
#: the Unix epoch, unsigned big-endian.
NETSLA_PROBE_HISTORY_SENT_US: Final = f"{NETSLA_PROBE_HISTORY_ENTRY}.2"

#: The columns of one probe-history poll, in request order.
PROBE_HISTORY_POLL_COLUMNS: Final = (
    PING_PROBE_HISTORY_RESPONSE,
    PING_PROBE_HISTORY_STATUS,
    PING_PROBE_HISTORY_TIME,
)
NETSLA_HISTORY_POLL_COLUMNS: Final = (NETSLA_PROBE_HISTORY_RTT_US, NETSLA_PROBE_HISTORY_SENT_US)


def oid_tuple(oid: str) -> tuple[int, ...]:
    """``"1.3.6"`` as ``(1, 3, 6)``."""
    return tuple(int(part) for part in oid.split("."))
