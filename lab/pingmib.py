"""Probe results as DISMAN-PING-MIB rows, served over net-snmp's pass_persist protocol (pure).

:func:`mib_view` turns the prober's snapshots into the rows of
``pingResultsTable`` and ``pingProbeHistoryTable`` (RFC 4560, section 4)
plus netsla's augmentation of the history (microsecond RTT and send time,
:data:`southbound.oids.NETSLA_PROBE_HISTORY_ENTRY`).  :class:`Responder`
speaks the pass_persist protocol of snmpd.conf(5): ``PING`` -> ``PONG``;
``get``/``getnext`` and an OID -> the OID, its type and value on three lines,
or ``NONE``; ``set`` and an OID and a value -> ``not-writable`` (the lab's
probes are configured over NETCONF, not through ``pingCtlTable``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import ipaddress
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from lab.probes import ProbeSnapshot, ResponseStatus, to_ms
from southbound import oids

Oid = tuple[int, ...]

ENABLED = 1  # pingResultsOperStatus enabled(1)
INET_IPV4 = 1  # InetAddressType ipv4(1), RFC 4001
ECHO_REPLY = 0  # ICMP type 0 (RFC 792), reported in pingProbeHistoryLastRC


class VarType(StrEnum):
    """The pass_persist type names (snmpd.conf(5), ``pass``)."""

    INTEGER = "integer"
    GAUGE = "gauge"  # Gauge32 and Unsigned32 share one encoding (RFC 2578, 7.1.7)
    OCTET = "octet"


@dataclass(frozen=True, slots=True)
class Var:
    type: VarType
    value: int | bytes

    def text(self) -> str:
        """The value line: decimal, or octets as space-separated hex (snmpd.conf(5))."""
        if isinstance(self.value, bytes):
            return " ".join(f"{octet:02x}" for octet in self.value)
        return str(self.value)


def oid(dotted: str) -> Oid:
    return oids.oid_tuple(dotted)


def date_and_time(at_us: int) -> bytes:
    """RFC 2579 DateAndTime of 11 octets, UTC, to the decisecond."""
    at = dt.datetime.fromtimestamp(at_us / 1_000_000, tz=dt.UTC)
    return (
        at.year.to_bytes(2, "big")
        + bytes([at.month, at.day, at.hour, at.minute, at.second, at.microsecond // 100_000])
        + b"+\x00\x00"
    )


def _index(snapshot: ProbeSnapshot) -> Oid:
    """pingCtlOwnerIndex and pingCtlTestName as length-prefixed strings (RFC 2578 7.7)."""
    index: list[int] = []
    for part in (snapshot.owner, snapshot.test_name):
        octets = part.encode()
        index += [len(octets), *octets]
    return tuple(index)


def _gauge(value: int) -> Var:
    return Var(VarType.GAUGE, min(max(value, 0), 0xFFFFFFFF))


def _ms(value_us: int | None) -> Var:
    return _gauge(to_ms(value_us) if value_us is not None else 0)


def results_rows(snapshot: ProbeSnapshot) -> Iterator[tuple[Oid, Var]]:
    """One pingResultsEntry; RTT figures of the last complete test (0 when none)."""
    index = _index(snapshot)
    test = snapshot.last_test
    columns: dict[str, Var] = {
        oids.PING_RESULTS_OPER_STATUS: Var(VarType.INTEGER, ENABLED),
        oids.PING_RESULTS_IP_TARGET_ADDRESS_TYPE: Var(VarType.INTEGER, INET_IPV4),
        oids.PING_RESULTS_IP_TARGET_ADDRESS: Var(
            VarType.OCTET, ipaddress.IPv4Address(snapshot.target).packed
        ),
        oids.PING_RESULTS_MIN_RTT: _ms(test.min_rtt_us if test else None),
        oids.PING_RESULTS_MAX_RTT: _ms(test.max_rtt_us if test else None),
        oids.PING_RESULTS_AVERAGE_RTT: _ms(test.average_rtt_us if test else None),
        oids.PING_RESULTS_PROBE_RESPONSES: _gauge(test.responses if test else 0),
        oids.PING_RESULTS_SENT_PROBES: _gauge(test.sent if test else 0),
        oids.PING_RESULTS_RTT_SUM_OF_SQUARES: _gauge(test.sum_of_squares_ms if test else 0),
    }
    if snapshot.last_good_us is not None:
        columns[oids.PING_RESULTS_LAST_GOOD_PROBE] = Var(
            VarType.OCTET, date_and_time(snapshot.last_good_us)
        )
    for column, var in columns.items():
        yield oid(column) + index, var


def history_rows(snapshot: ProbeSnapshot) -> Iterator[tuple[Oid, Var]]:
    """pingProbeHistoryEntry rows and netsla's augmentation, one per packet result."""
    base = _index(snapshot)
    for packet in snapshot.history:
        index = (*base, packet.index)
        yield oid(oids.PING_PROBE_HISTORY_RESPONSE) + index, _gauge(packet.response_ms)
        status = packet.status.code
        yield oid(oids.PING_PROBE_HISTORY_STATUS) + index, Var(VarType.INTEGER, status)
        if packet.status is ResponseStatus.RESPONSE_RECEIVED:
            yield oid(oids.PING_PROBE_HISTORY_LAST_RC) + index, Var(VarType.INTEGER, ECHO_REPLY)
        yield (
            oid(oids.PING_PROBE_HISTORY_TIME) + index,
            Var(VarType.OCTET, date_and_time(packet.done_us)),
        )
        if packet.rtt_us is not None:
            yield oid(oids.NETSLA_PROBE_HISTORY_RTT_US) + index, _gauge(packet.rtt_us)
        sent = packet.sent_us.to_bytes(8, "big")
        yield oid(oids.NETSLA_PROBE_HISTORY_SENT_US) + index, Var(VarType.OCTET, sent)


class MibView:
    """An ordered set of (OID, value) with GET and GETNEXT (RFC 3416 lexicographic order)."""

    def __init__(self, entries: Iterable[tuple[Oid, Var]]) -> None:
        self._values = dict(entries)
        self._order = sorted(self._values)

    def __len__(self) -> int:
        return len(self._order)

    def get(self, name: Oid) -> Var | None:
        return self._values.get(name)

    def next(self, name: Oid) -> tuple[Oid, Var] | None:
        position = bisect.bisect_right(self._order, name)
        if position == len(self._order):
            return None
        found = self._order[position]
        return found, self._values[found]


def mib_view(snapshots: Iterable[ProbeSnapshot]) -> MibView:
    entries: list[tuple[Oid, Var]] = []
    for snapshot in snapshots:
        entries += results_rows(snapshot)
        entries += history_rows(snapshot)
    return MibView(entries)


def parse_oid(text: str) -> Oid | None:
    try:
        return tuple(int(part) for part in text.strip().strip(".").split("."))
    except ValueError:
        return None


def _dotted(name: Oid) -> str:
    return "." + ".".join(str(arc) for arc in name)


class Command(StrEnum):
    PING = "PING"
    GET = "get"
    GETNEXT = "getnext"
    SET = "set"


NONE = "NONE"
NOT_WRITABLE = "not-writable"


class Responder:
    """The pass_persist protocol for the subtree ``root``, one input line at a time.

    ``view`` is called for every request, so the caller decides when the
    published data is re-read.
    """

    def __init__(self, *, root: Oid, view: Callable[[], MibView]) -> None:
        self._root = root
        self._view = view
        self._pending: list[str] = []

    def _within(self, name: Oid) -> bool:
        return name[: len(self._root)] == self._root

    def feed(self, line: str) -> list[str]:
        """The lines to answer once ``line`` completes a request (``[]`` while incomplete)."""
        line = line.strip()
        if not self._pending:
            if line == Command.PING:
                return ["PONG"]
            if line in (Command.GET, Command.GETNEXT, Command.SET):
                self._pending = [line]
            return []
        self._pending.append(line)
        command = self._pending[0]
        if command == Command.SET:
            if len(self._pending) < 3:
                return []
            self._pending = []
            return [NOT_WRITABLE]
        self._pending = []
        return self._answer(command, parse_oid(line))

    def _answer(self, command: str, name: Oid | None) -> list[str]:
        if name is None:
            return [NONE]
        view = self._view()
        if command == Command.GET:
            var = view.get(name) if self._within(name) else None
            return [_dotted(name), var.type.value, var.text()] if var else [NONE]
        found = view.next(max(name, self._root))
        if found is None or not self._within(found[0]):
            return [NONE]
        return [_dotted(found[0]), found[1].type.value, found[1].text()]
