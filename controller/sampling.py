"""Readings of operational state turned into store samples, with rates.

Pure: a :class:`Sampler` remembers the previous reading of every counter and
computes rates with :mod:`controller.counters`; it does no I/O.  Series are
named after RFC 8343's statistics leaves (``in-octets``...), plus
``oper-status`` (the IF-MIB code, 1 = up, RFC 2863 section 6) and the
DISMAN-PING-MIB results of each probe (RFC 4560): ``rtt-min-ms``,
``rtt-avg-ms``, ``rtt-max-ms``, ``probes-sent``, ``probes-received`` and
``loss-ratio``, whether read over SNMP (pingResultsTable, whole
milliseconds) or over NETCONF (netsla-router's ``/native-state``,
microseconds, stored in milliseconds unrounded).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Protocol

from controller.counters import CounterReading, counter_rate
from controller.store.telemetry import Sample, SeriesKey, SeriesKind, StoredSample
from southbound.opstate import InterfaceCounter, InterfaceState, OperStatus

US = 1_000_000
_OPER_CODES = {status: code for code, status in enumerate(OperStatus, start=1)}


class Source(StrEnum):
    SNMP = "snmp"
    NETCONF = "netconf"


class ProbeFigures(Protocol):
    """The figures of a probe's latest test, whichever protocol read them.

    :class:`southbound.opstate.ProbeResult` (SNMP) and
    :class:`southbound.opstate.NativeProbeState` (NETCONF) both have them.
    """

    @property
    def owner(self) -> str: ...
    @property
    def test(self) -> str: ...
    @property
    def min_rtt_ms(self) -> float | None: ...
    @property
    def average_rtt_ms(self) -> float | None: ...
    @property
    def max_rtt_ms(self) -> float | None: ...
    @property
    def sent(self) -> int | None: ...
    @property
    def responses(self) -> int | None: ...
    @property
    def loss_ratio(self) -> float | None: ...


class Sampler:
    """Turns readings into samples; keeps the previous reading of each counter."""

    def __init__(self) -> None:
        self._previous: dict[SeriesKey, CounterReading] = {}

    def forget(self, device: str) -> None:
        """Drop a device's previous readings (its next readings start afresh)."""
        for key in [k for k in self._previous if k.device == device]:
            del self._previous[key]

    def resume(self, latest: Mapping[SeriesKey, StoredSample]) -> int:
        """Take the newest stored readings as previous ones (a restarted collector).

        Only counters read together with the agent's sysUpTime are taken (an
        SNMP poll stores ``uptime-seconds`` at the same time as its counters):
        the uptime tells whether the agent restarted while nobody polled
        (:func:`controller.counters.is_discontinuity`), so the first rate is
        either right over the whole gap or none, never a wrong one.  Values
        above 2^53 come back from the store's float rounded.  Returns how many
        readings were taken.
        """
        taken = 0
        for key, stored in latest.items():
            if key.kind is not SeriesKind.COUNTER or key in self._previous:
                continue
            uptime = latest.get(
                SeriesKey(device=key.device, source=key.source, object="", metric="uptime-seconds")
            )
            if uptime is None or uptime.at_us != stored.at_us:
                continue
            self._previous[key] = CounterReading(
                value=int(stored.value),
                at=stored.at_us / US,
                uptime=round(uptime.value * 100),
            )
            taken += 1
        return taken

    def interfaces(
        self,
        *,
        device: str,
        source: Source,
        states: Iterable[InterfaceState],
        at_us: int,
        uptime: int | None = None,
    ) -> list[Sample]:
        """Samples of every counter (with its rate) and the oper-status of each interface."""
        samples = []
        for state in states:
            discontinuity = state.discontinuity
            for counter, value in state.counters.items():
                key = SeriesKey(
                    device=device,
                    source=source,
                    object=state.name,
                    metric=counter.value,
                    kind=SeriesKind.COUNTER,
                )
                reading = CounterReading(
                    value=value, at=at_us / US, uptime=uptime, discontinuity=discontinuity
                )
                samples.append(self._counter_sample(key, reading, at_us, counter))
            if state.oper_status is not None:
                key = SeriesKey(
                    device=device, source=source, object=state.name, metric="oper-status"
                )
                samples.append(
                    Sample(series=key, at_us=at_us, value=float(_OPER_CODES[state.oper_status]))
                )
        return samples

    def _counter_sample(
        self, key: SeriesKey, reading: CounterReading, at_us: int, counter: InterfaceCounter
    ) -> Sample:
        previous = self._previous.get(key)
        self._previous[key] = reading
        rate = None
        if previous is not None:
            rate = counter_rate(previous, reading, bits=counter.bits).per_second
        return Sample(series=key, at_us=at_us, value=float(reading.value), rate=rate)

    @staticmethod
    def uptime(*, device: str, source: Source, uptime: int, at_us: int) -> Sample:
        """The agent's sysUpTime in seconds (RFC 3418), as a gauge of the device."""
        key = SeriesKey(device=device, source=source, object="", metric="uptime-seconds")
        return Sample(series=key, at_us=at_us, value=uptime / 100)

    @staticmethod
    def probes(
        *, device: str, source: Source, results: Iterable[ProbeFigures], at_us: int
    ) -> list[Sample]:
        """Gauges of each probe's latest test (RFC 4560 pingResultsTable), object ``owner/test``."""
        samples = []
        for result in results:
            values = {
                "rtt-min-ms": result.min_rtt_ms,
                "rtt-avg-ms": result.average_rtt_ms,
                "rtt-max-ms": result.max_rtt_ms,
                "probes-sent": result.sent,
                "probes-received": result.responses,
                "loss-ratio": result.loss_ratio,
            }
            for metric, value in values.items():
                if value is None:
                    continue
                key = SeriesKey(
                    device=device,
                    source=source,
                    object=f"{result.owner}/{result.test}",
                    metric=metric,
                )
                samples.append(Sample(series=key, at_us=at_us, value=float(value)))
        return samples
