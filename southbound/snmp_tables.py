"""Pure parsers from walked SNMP table columns to operational state.

Input is what :meth:`southbound.snmp.SnmpPoller.walk` returns: per column
OID, the cells by instance index.  Output is :mod:`southbound.opstate` data.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Mapping

from southbound import oids
from southbound.errors import SouthboundError
from southbound.opstate import (
    ADMIN_STATUS_CODES,
    OPER_STATUS_CODES,
    PROBE_STATUS_CODES,
    InterfaceCounter,
    InterfaceState,
    ProbeHistoryEntry,
    ProbeResult,
)

Columns = Mapping[str, Mapping[tuple[int, ...], int | bytes | str]]

_IF_COUNTER_COLUMNS = {
    oids.IF_HC_IN_OCTETS: InterfaceCounter.IN_OCTETS,
    oids.IF_HC_IN_UCAST_PKTS: InterfaceCounter.IN_UNICAST_PKTS,
    oids.IF_IN_DISCARDS: InterfaceCounter.IN_DISCARDS,
    oids.IF_IN_ERRORS: InterfaceCounter.IN_ERRORS,
    oids.IF_HC_OUT_OCTETS: InterfaceCounter.OUT_OCTETS,
    oids.IF_HC_OUT_UCAST_PKTS: InterfaceCounter.OUT_UNICAST_PKTS,
    oids.IF_OUT_DISCARDS: InterfaceCounter.OUT_DISCARDS,
    oids.IF_OUT_ERRORS: InterfaceCounter.OUT_ERRORS,
}


class MibDecodeError(SouthboundError, ValueError):
    """A table index or value does not have the shape its MIB defines."""


def _int(columns: Columns, column: str, index: tuple[int, ...]) -> int | None:
    value = columns.get(column, {}).get(index)
    return value if isinstance(value, int) else None


def _text(value: int | bytes | str | None) -> str | None:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value if isinstance(value, str) else None


def interfaces_from_if_mib(columns: Columns) -> list[InterfaceState]:
    """Interfaces from ifTable and ifXTable columns (RFC 2863 section 6), by ifIndex.

    The name is ifName, falling back to ifDescr, then to the ifIndex.
    """
    indexes = sorted({index for cells in columns.values() for index in cells})
    states = []
    for index in indexes:
        if len(index) != 1:
            raise MibDecodeError(f"IF-MIB index {index} is not a single ifIndex")
        name = (
            _text(columns.get(oids.IF_NAME, {}).get(index))
            or _text(columns.get(oids.IF_DESCR, {}).get(index))
            or str(index[0])
        )
        oper = _int(columns, oids.IF_OPER_STATUS, index)
        admin = _int(columns, oids.IF_ADMIN_STATUS, index)
        counters = {
            counter: value
            for column, counter in _IF_COUNTER_COLUMNS.items()
            if (value := _int(columns, column, index)) is not None
        }
        states.append(
            InterfaceState(
                name=name,
                if_index=index[0],
                oper_status=OPER_STATUS_CODES.get(oper) if oper is not None else None,
                admin_status=ADMIN_STATUS_CODES.get(admin) if admin is not None else None,
                last_change=_int(columns, oids.IF_LAST_CHANGE, index),
                discontinuity=_int(columns, oids.IF_COUNTER_DISCONTINUITY_TIME, index),
                counters=counters,
            )
        )
    return states


def split_string_index(index: tuple[int, ...], count: int) -> tuple[list[str], tuple[int, ...]]:
    """Decode ``count`` length-prefixed string index parts (RFC 2578 section 7.7).

    Returns the strings and the rest of the index.
    """
    parts: list[str] = []
    rest = index
    for _ in range(count):
        if not rest or rest[0] > len(rest) - 1:
            raise MibDecodeError(f"bad string index {index}")
        length = rest[0]
        octets = rest[1 : 1 + length]
        if any(not 0 <= octet <= 255 for octet in octets):
            raise MibDecodeError(f"bad string index {index}")
        parts.append(bytes(octets).decode("utf-8", errors="replace"))
        rest = rest[1 + length :]
    return parts, rest


def string_index(*parts: str) -> tuple[int, ...]:
    """The index of length-prefixed strings (the inverse of :func:`split_string_index`)."""
    index: list[int] = []
    for part in parts:
        octets = part.encode()
        index.append(len(octets))
        index.extend(octets)
    return tuple(index)


def date_and_time(octets: bytes) -> dt.datetime | None:
    """RFC 2579 DateAndTime (8 or 11 octets) as a datetime; ``None`` if unset.

    Without the UTC offset octets the time is taken as UTC.
    """
    if len(octets) not in (8, 11) or octets[:2] == b"\x00\x00":
        return None
    year = int.from_bytes(octets[:2], "big")
    month, day, hour, minute, second, decisecond = octets[2:8]
    tz = dt.UTC
    if len(octets) == 11:
        sign = -1 if octets[8:9] == b"-" else 1
        tz = dt.timezone(sign * dt.timedelta(hours=octets[9], minutes=octets[10]))
    try:
        return dt.datetime(
            year, month, day, hour, minute, second, decisecond * 100_000, tzinfo=tz
        ).astimezone(dt.UTC)
    except ValueError as exc:
        raise MibDecodeError(f"bad DateAndTime {octets.hex()}: {exc}") from exc


def inet_address(address_type: int | None, octets: int | bytes | str | None) -> str | None:
    """RFC 4001 InetAddress of type ipv4(1) or ipv6(2) as text; ``None`` otherwise."""
    if not isinstance(octets, bytes):
        return None
    if address_type == 1 and len(octets) == 4:
        return str(ipaddress.IPv4Address(octets))
    if address_type == 2 and len(octets) == 16:
        return str(ipaddress.IPv6Address(octets))
    return None


def probe_results(columns: Columns) -> list[ProbeResult]:
    """Rows of a DISMAN-PING-MIB pingResultsTable (RFC 4560 section 4).

    Rows are indexed by pingCtlOwnerIndex and pingCtlTestName.
    """
    indexes = sorted({index for cells in columns.values() for index in cells})
    results = []
    for index in indexes:
        (owner, test), rest = split_string_index(index, 2)
        if rest:
            raise MibDecodeError(f"pingResultsTable index {index} has extra parts")
        status = _int(columns, oids.PING_RESULTS_OPER_STATUS, index)
        last_good = columns.get(oids.PING_RESULTS_LAST_GOOD_PROBE, {}).get(index)
        results.append(
            ProbeResult(
                owner=owner,
                test=test,
                status=PROBE_STATUS_CODES.get(status) if status is not None else None,
                target=inet_address(
                    _int(columns, oids.PING_RESULTS_IP_TARGET_ADDRESS_TYPE, index),
                    columns.get(oids.PING_RESULTS_IP_TARGET_ADDRESS, {}).get(index),
                ),
                min_rtt_ms=_int(columns, oids.PING_RESULTS_MIN_RTT, index),
                max_rtt_ms=_int(columns, oids.PING_RESULTS_MAX_RTT, index),
                average_rtt_ms=_int(columns, oids.PING_RESULTS_AVERAGE_RTT, index),
                responses=_int(columns, oids.PING_RESULTS_PROBE_RESPONSES, index),
                sent=_int(columns, oids.PING_RESULTS_SENT_PROBES, index),
                rtt_sum_of_squares=_int(columns, oids.PING_RESULTS_RTT_SUM_OF_SQUARES, index),
                last_good_probe=date_and_time(last_good) if isinstance(last_good, bytes) else None,
            )
        )
    return results


def probe_history(columns: Columns) -> list[ProbeHistoryEntry]:
    """Rows of pingProbeHistoryTable (RFC 4560 section 4) and netsla's augmentation.

    Rows are indexed by pingCtlOwnerIndex, pingCtlTestName and
    pingProbeHistoryIndex; the augmentation shares the index.
    """
    indexes = sorted({index for cells in columns.values() for index in cells})
    entries = []
    for index in indexes:
        (owner, test), rest = split_string_index(index, 2)
        if len(rest) != 1:
            raise MibDecodeError(f"pingProbeHistoryTable index {index} lacks a history index")
        determined = columns.get(oids.PING_PROBE_HISTORY_TIME, {}).get(index)
        sent = columns.get(oids.NETSLA_PROBE_HISTORY_SENT_US, {}).get(index)
        entries.append(
            ProbeHistoryEntry(
                owner=owner,
                test=test,
                index=rest[0],
                status=_int(columns, oids.PING_PROBE_HISTORY_STATUS, index),
                response_ms=_int(columns, oids.PING_PROBE_HISTORY_RESPONSE, index),
                determined=date_and_time(determined) if isinstance(determined, bytes) else None,
                rtt_us=_int(columns, oids.NETSLA_PROBE_HISTORY_RTT_US, index),
                sent_us=int.from_bytes(sent, "big")
                if isinstance(sent, bytes) and len(sent) == 8
                else None,
            )
        )
    return entries


#: Every column of a probe-history poll: the standard's and netsla's augmentation.
HISTORY_COLUMNS = oids.PROBE_HISTORY_POLL_COLUMNS + oids.NETSLA_HISTORY_POLL_COLUMNS


def history_subtree(column: str, owner: str, test: str) -> str:
    """The subtree of one probe's rows in one pingProbeHistoryTable column."""
    return ".".join((column, *(str(part) for part in string_index(owner, test))))


def probe_history_of_subtrees(
    cells: Mapping[str, Mapping[tuple[int, ...], int | bytes | str]],
    probes: Iterable[tuple[str, str]],
) -> list[ProbeHistoryEntry]:
    """:func:`probe_history` of a walk of per-probe subtrees (:func:`history_subtree`)."""
    columns: dict[str, dict[tuple[int, ...], int | bytes | str]] = {c: {} for c in HISTORY_COLUMNS}
    for owner, test in probes:
        index = string_index(owner, test)
        for column in HISTORY_COLUMNS:
            for rest, value in cells.get(history_subtree(column, owner, test), {}).items():
                columns[column][index + rest] = value
    return probe_history(columns)
