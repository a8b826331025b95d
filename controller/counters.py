"""Counter arithmetic: deltas across wraps, discontinuities, rates.

Pure functions over two readings of the same counter.  The rules:

- A Counter32/Counter64 only increases and wraps to zero after reaching
  2^32 - 1 or 2^64 - 1 (RFC 2578 section 7.1.6 and 7.1.10); its absolute
  value means nothing, only the difference between two readings does.
- Such a difference is meaningless across a *discontinuity*: the agent
  re-initialised (its sysUpTime, RFC 3418, went backwards or advanced much
  less than the real time that passed), or the interface's
  ``ifCounterDiscontinuityTime`` changed (RFC 2863 section 3.1.5).  Then
  there is no rate for that interval, never a negative or a giant one.
- A value that went down without a discontinuity is a wrap only when the
  wrapped difference is less than half the counter's range (and below an
  optional rate ceiling); a bigger one is a counter reset seen as a
  discontinuity.  A 64-bit counter at 400 Gb/s takes 11 years to wrap, so a
  64-bit "wrap" between two polls is nearly always a reset.
- The rate is the difference over the real time between the two readings:
  the agent's own sysUpTime difference when both readings carry it (it is
  taken when the agent reads its counters, so it is free of the poller's
  network and scheduling delays), else the poller's wall-clock difference.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

TIMETICKS_MODULUS = 2**32
"""TimeTicks is an unsigned 32-bit count of hundredths of a second (RFC 2578 section 7.1.8)."""

TICKS_PER_SECOND = 100

# How far sysUpTime may lag behind the wall clock before we call it a restart:
# the wall-clock times include network and scheduling delays.
_UPTIME_SLACK_SECONDS = 2.0
_UPTIME_SLACK_RATIO = 0.1


class DeltaKind(StrEnum):
    NORMAL = "normal"
    WRAPPED = "wrapped"
    DISCONTINUITY = "discontinuity"


@dataclass(frozen=True, kw_only=True)
class CounterReading:
    """One reading of a counter with the times it was taken at.

    ``at`` is the poller's wall clock in seconds; ``uptime`` the agent's
    sysUpTime in TimeTicks; ``discontinuity`` the interface's
    ifCounterDiscontinuityTime in TimeTicks (or RFC 8343 discontinuity-time),
    when the agent has it.
    """

    value: int
    at: float
    uptime: int | None = None
    discontinuity: int | dt.datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Rate:
    """The outcome for one interval: delta and per-second rate, or none."""

    kind: DeltaKind
    seconds: float
    delta: int | None
    per_second: float | None


def agent_restarted(*, previous_uptime: int, current_uptime: int, wall_seconds: float) -> bool:
    """Whether the agent re-initialised between two sysUpTime readings.

    sysUpTime wraps after 497 days (RFC 2578 section 7.1.8): a smaller value
    that the wrap explains, given the wall-clock time that passed, is no
    restart.  A value that advanced much less than the wall clock is one.
    """
    expected = wall_seconds * TICKS_PER_SECOND
    advanced = (current_uptime - previous_uptime) % TIMETICKS_MODULUS
    slack = max(_UPTIME_SLACK_SECONDS, _UPTIME_SLACK_RATIO * wall_seconds) * TICKS_PER_SECOND
    return abs(advanced - expected) > slack


def elapsed_seconds(previous: CounterReading, current: CounterReading) -> float:
    """Real time between two readings: agent uptime difference, else wall clock."""
    if previous.uptime is not None and current.uptime is not None:
        ticks = (current.uptime - previous.uptime) % TIMETICKS_MODULUS
        return ticks / TICKS_PER_SECOND
    return current.at - previous.at


def is_discontinuity(previous: CounterReading, current: CounterReading) -> bool:
    """Agent restart or a change of ifCounterDiscontinuityTime between the readings."""
    if None not in (previous.discontinuity, current.discontinuity) and (
        previous.discontinuity != current.discontinuity
    ):
        return True
    if previous.uptime is not None and current.uptime is not None:
        return agent_restarted(
            previous_uptime=previous.uptime,
            current_uptime=current.uptime,
            wall_seconds=current.at - previous.at,
        )
    return False


def counter_delta(previous: int, current: int, *, bits: int) -> tuple[int, DeltaKind] | None:
    """Increase of a ``bits``-bit counter from ``previous`` to ``current``.

    ``None`` when the counter went down by more than a wrap explains (a reset).
    """
    modulus = 2**bits
    if not (0 <= previous < modulus and 0 <= current < modulus):
        raise ValueError(f"counter value outside 0..2^{bits}-1")
    if current >= previous:
        return current - previous, DeltaKind.NORMAL
    wrapped = current + modulus - previous
    if wrapped < modulus // 2:
        return wrapped, DeltaKind.WRAPPED
    return None


def counter_rate(
    previous: CounterReading,
    current: CounterReading,
    *,
    bits: int = 64,
    max_per_second: float | None = None,
) -> Rate:
    """Delta and rate of a counter between two readings, or a discontinuity.

    ``max_per_second`` (for example an interface's speed in octets per
    second) turns an implausible increase into a discontinuity.
    """
    seconds = elapsed_seconds(previous, current)
    none = Rate(kind=DeltaKind.DISCONTINUITY, seconds=seconds, delta=None, per_second=None)
    if seconds <= 0 or is_discontinuity(previous, current):
        return none
    outcome = counter_delta(previous.value, current.value, bits=bits)
    if outcome is None:
        return none
    delta, kind = outcome
    per_second = delta / seconds
    if max_per_second is not None and per_second > max_per_second:
        return none
    return Rate(kind=kind, seconds=seconds, delta=delta, per_second=per_second)
