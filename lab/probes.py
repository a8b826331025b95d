"""SLA probes of a lab router: their configuration and their results (pure).

The prober (:mod:`lab.prober`) reads the probes from the router's committed
configuration (:func:`parse_probes`), keeps each probe's tests and
per-packet history in a :class:`ProbeState` shaped like DISMAN-PING-MIB
(RFC 4560, section 4: ``pingResultsEntry`` and ``pingProbeHistoryEntry``),
and writes every probe's :class:`ProbeSnapshot` as JSON (:func:`dump`), which
the pass_persist helper (:mod:`lab.passpersist`) reads (:func:`load`).

Choices, where RFC 4560 leaves room:

- A test is ``packets`` echo requests spread evenly over
  ``interval-seconds``; a new test starts every ``interval-seconds``.
- The results row shows the most recent *complete* test (every packet
  answered or timed out), so that sent and responses always agree; the RFC's
  "current test" would count packets still in flight as lost.
- The history keeps the last ``history_rows`` results per probe (RFC 4560's
  ``pingCtlMaxRows``); ``pingProbeHistoryIndex`` starts at 1 and wraps after
  ``index_max`` (0xffffffff) back to 1.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from lxml import etree

NATIVE_NS = "urn:netsla:yang:netsla-router"
DEFAULT_OWNER = "netsla"  # docs/CONTRACTS.md: owner index when the probe has none
US = 1_000_000
#: RFC 4560 ``pingCtlTimeOut`` DEFVAL: 3 seconds.
TIMEOUT_US = 3 * US
HISTORY_ROWS = 300
INDEX_MAX = 0xFFFFFFFF  # RFC 4560 pingProbeHistoryIndex: Unsigned32 (1..'ffffffff'h)


def to_ms(value_us: int) -> int:
    """Microseconds as whole milliseconds, halves rounded up (the MIB's RTT unit)."""
    return (value_us + 500) // 1000


class ProbeType(StrEnum):
    ICMP_ECHO = "icmp-echo"
    UDP_ECHO = "udp-echo"


class ResponseStatus(StrEnum):
    """OperationResponseStatus (RFC 4560 section 4) values the prober reports."""

    RESPONSE_RECEIVED = "responseReceived"
    REQUEST_TIMED_OUT = "requestTimedOut"

    @property
    def code(self) -> int:
        return 1 if self is ResponseStatus.RESPONSE_RECEIVED else 4


@dataclass(frozen=True, kw_only=True)
class ProbeConfig:
    """One ``/native/sla-probes/probe`` of netsla-router, defaults applied."""

    id: int
    owner: str
    target: str
    type: ProbeType = ProbeType.ICMP_ECHO
    vrf: str | None = None
    source: str | None = None
    interval_seconds: int = 10
    packets: int = 10
    dscp: int = 0

    @property
    def test_name(self) -> str:
        """pingCtlTestName: the probe id in decimal (docs/CONTRACTS.md)."""
        return str(self.id)

    @property
    def spacing_us(self) -> int:
        """Time between two packets of a test: the interval spread evenly."""
        return self.interval_seconds * US // self.packets


def _leaf(entry: etree._Element, name: str) -> str | None:
    node = entry.find(f"{{{NATIVE_NS}}}{name}")
    return node.text.strip() if node is not None and node.text else None


def _probe(entry: etree._Element) -> ProbeConfig | None:
    ident, target = _leaf(entry, "id"), _leaf(entry, "target")
    if ident is None or target is None:
        return None
    try:
        return ProbeConfig(
            id=int(ident),
            owner=_leaf(entry, "owner") or DEFAULT_OWNER,
            target=target,
            type=ProbeType(_leaf(entry, "type") or ProbeType.ICMP_ECHO),
            vrf=_leaf(entry, "vrf"),
            source=_leaf(entry, "source"),
            interval_seconds=int(_leaf(entry, "interval-seconds") or 10),
            packets=int(_leaf(entry, "packets") or 10),
            dscp=int(_leaf(entry, "dscp") or 0),
        )
    except ValueError:
        return None


def parse_probes(xml: bytes) -> list[ProbeConfig]:
    """The probes of a committed configuration (netconfd's startup file), by id.

    Entries the model would refuse (no id or target, bad numbers) are skipped.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(xml, parser)
    path = f"{{{NATIVE_NS}}}native/{{{NATIVE_NS}}}sla-probes/{{{NATIVE_NS}}}probe"
    found = (_probe(entry) for entry in root.iterfind(path))
    return sorted((p for p in found if p is not None), key=lambda p: p.id)


@dataclass(frozen=True, kw_only=True)
class PacketResult:
    """One ``pingProbeHistoryEntry``: the result of one echo request."""

    index: int
    sent_us: int
    rtt_us: int | None  # None: timed out
    done_us: int  # pingProbeHistoryTime: when the result was determined

    @property
    def status(self) -> ResponseStatus:
        if self.rtt_us is None:
            return ResponseStatus.REQUEST_TIMED_OUT
        return ResponseStatus.RESPONSE_RECEIVED

    @property
    def response_ms(self) -> int:
        """pingProbeHistoryResponse: ms from sending to the response or the time-out."""
        return to_ms(self.done_us - self.sent_us if self.rtt_us is None else self.rtt_us)


@dataclass(frozen=True, kw_only=True)
class TestResult:
    """The figures of one complete test (RFC 4560 pingResultsEntry columns)."""

    sent: int
    responses: int
    min_rtt_us: int | None
    max_rtt_us: int | None
    sum_rtt_us: int
    sum_of_squares_ms: int  # pingResultsRttSumOfSquares, of RTTs in milliseconds

    @property
    def average_rtt_us(self) -> int | None:
        return self.sum_rtt_us // self.responses if self.responses else None


@dataclass
class _Accumulator:
    expected: int
    results: list[int | None] = field(default_factory=list)

    def result(self) -> TestResult:
        rtts = [r for r in self.results if r is not None]
        return TestResult(
            sent=len(self.results),
            responses=len(rtts),
            min_rtt_us=min(rtts, default=None),
            max_rtt_us=max(rtts, default=None),
            sum_rtt_us=sum(rtts),
            sum_of_squares_ms=sum(to_ms(r) ** 2 for r in rtts),
        )


@dataclass(frozen=True, kw_only=True)
class ProbeSnapshot:
    """Everything published about one probe at one moment."""

    owner: str
    test_name: str
    target: str
    last_test: TestResult | None
    last_good_us: int | None
    history: tuple[PacketResult, ...]


class ProbeState:
    """Tests and bounded history of one probe (see the module's text)."""

    def __init__(
        self, config: ProbeConfig, *, history_rows: int = HISTORY_ROWS, index_max: int = INDEX_MAX
    ) -> None:
        self.config = config
        self._index_max = index_max
        self._history: deque[PacketResult] = deque(maxlen=history_rows)
        self._tests: dict[int, _Accumulator] = {}
        self._last_test: tuple[int, TestResult] | None = None
        self._last_good_us: int | None = None
        self._next_index = 1

    def restore(self, snapshot: ProbeSnapshot) -> None:
        """Continue after ``snapshot`` (a restarted prober keeps history and indexes)."""
        self._history.extend(snapshot.history)
        self._last_good_us = snapshot.last_good_us
        if snapshot.last_test is not None:
            self._last_test = (-1, snapshot.last_test)
        if snapshot.history:
            self._next_index = self._after(snapshot.history[-1].index)

    def _after(self, index: int) -> int:
        return 1 if index >= self._index_max else index + 1

    def record(self, *, test: int, sent_us: int, rtt_us: int | None, done_us: int) -> PacketResult:
        """Record the result of one packet of test number ``test``."""
        result = PacketResult(
            index=self._next_index, sent_us=sent_us, rtt_us=rtt_us, done_us=done_us
        )
        self._next_index = self._after(self._next_index)
        self._history.append(result)
        if rtt_us is not None:
            self._last_good_us = done_us
        accumulator = self._tests.setdefault(test, _Accumulator(expected=self.config.packets))
        accumulator.results.append(rtt_us)
        if len(accumulator.results) >= accumulator.expected:
            del self._tests[test]
            if self._last_test is None or test > self._last_test[0]:
                self._last_test = (test, accumulator.result())
        return result

    def snapshot(self) -> ProbeSnapshot:
        return ProbeSnapshot(
            owner=self.config.owner,
            test_name=self.config.test_name,
            target=self.config.target,
            last_test=self._last_test[1] if self._last_test else None,
            last_good_us=self._last_good_us,
            history=tuple(self._history),
        )


def _test_json(test: TestResult | None) -> dict[str, Any] | None:
    if test is None:
        return None
    return {
        "sent": test.sent,
        "responses": test.responses,
        "min-rtt-us": test.min_rtt_us,
        "max-rtt-us": test.max_rtt_us,
        "sum-rtt-us": test.sum_rtt_us,
        "sum-of-squares-ms": test.sum_of_squares_ms,
    }


def dump(snapshots: Iterable[ProbeSnapshot]) -> str:
    """The results file: JSON with per-packet history as compact arrays."""
    probes = [
        {
            "owner": s.owner,
            "test-name": s.test_name,
            "target": s.target,
            "last-test": _test_json(s.last_test),
            "last-good-us": s.last_good_us,
            "history": [[p.index, p.sent_us, p.rtt_us, p.done_us] for p in s.history],
        }
        for s in snapshots
    ]
    return json.dumps({"probes": probes}, separators=(",", ":"))


def _test(data: dict[str, Any] | None) -> TestResult | None:
    if data is None:
        return None
    return TestResult(
        sent=data["sent"],
        responses=data["responses"],
        min_rtt_us=data["min-rtt-us"],
        max_rtt_us=data["max-rtt-us"],
        sum_rtt_us=data["sum-rtt-us"],
        sum_of_squares_ms=data["sum-of-squares-ms"],
    )


def load(text: str) -> list[ProbeSnapshot]:
    """The snapshots of a results file (the inverse of :func:`dump`)."""
    return [
        ProbeSnapshot(
            owner=item["owner"],
            test_name=item["test-name"],
            target=item["target"],
            last_test=_test(item["last-test"]),
            last_good_us=item["last-good-us"],
            history=tuple(
                PacketResult(index=i, sent_us=s, rtt_us=r, done_us=d)
                for i, s, r, d in item["history"]
            ),
        )
        for item in json.loads(text)["probes"]
    ]
