"""Counter deltas, wraps, discontinuities and rates (controller.counters)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.counters import (
    CounterReading,
    DeltaKind,
    agent_restarted,
    counter_delta,
    counter_rate,
    elapsed_seconds,
)

TOP64 = 2**64 - 1


def reading(
    value: int, at: float, uptime: int | None = None, disc: int | None = None
) -> CounterReading:
    return CounterReading(value=value, at=at, uptime=uptime, discontinuity=disc)


def test_plain_increase_gives_delta_over_agent_time() -> None:
    rate = counter_rate(reading(1_000, 100.0, 50_000), reading(126_000, 110.3, 51_000))
    assert rate.kind is DeltaKind.NORMAL
    assert rate.delta == 125_000
    # The agent's sysUpTime says 10.00 s passed, not the poller's 10.3 s.
    assert rate.seconds == pytest.approx(10.0)
    assert rate.per_second == pytest.approx(12_500.0)


def test_wall_clock_is_used_without_uptime() -> None:
    rate = counter_rate(reading(0, 100.0), reading(500, 105.0))
    assert rate.seconds == pytest.approx(5.0)
    assert rate.per_second == pytest.approx(100.0)


def test_64_bit_wrap_near_the_top() -> None:
    previous = reading(TOP64 - 999, 0.0, 1_000)
    current = reading(24_000, 10.0, 2_000)
    rate = counter_rate(previous, current)
    assert rate.kind is DeltaKind.WRAPPED
    assert rate.delta == 25_000
    assert rate.per_second == pytest.approx(2_500.0)


def test_32_bit_wrap() -> None:
    assert counter_delta(2**32 - 10, 5, bits=32) == (15, DeltaKind.WRAPPED)


def test_counter_reset_is_a_discontinuity_not_a_giant_rate() -> None:
    rate = counter_rate(reading(9_000_000_000, 0.0, 1_000), reading(1_200, 10.0, 2_000))
    assert rate.kind is DeltaKind.DISCONTINUITY
    assert rate.per_second is None


def test_sysuptime_going_backwards_is_a_restart() -> None:
    # The counter itself kept counting (kernel counters survive snmpd):
    # the interval still yields no rate.
    rate = counter_rate(reading(5_000, 0.0, 900_000), reading(9_000, 10.0, 300))
    assert rate.kind is DeltaKind.DISCONTINUITY
    assert rate.per_second is None


def test_sysuptime_advancing_too_little_is_a_restart() -> None:
    # 60 s passed, sysUpTime grew by 5 s: the agent restarted in between.
    assert agent_restarted(previous_uptime=1_000, current_uptime=1_500, wall_seconds=60.0)
    assert not agent_restarted(previous_uptime=1_000, current_uptime=7_050, wall_seconds=60.0)


def test_sysuptime_wrap_is_not_a_restart() -> None:
    previous_uptime = 2**32 - 300  # 3 s before TimeTicks wrap
    current_uptime = 700  # 10 s later
    assert not agent_restarted(
        previous_uptime=previous_uptime, current_uptime=current_uptime, wall_seconds=10.0
    )
    rate = counter_rate(reading(0, 0.0, previous_uptime), reading(1_000, 10.0, current_uptime))
    assert rate.kind is DeltaKind.NORMAL
    assert rate.seconds == pytest.approx(10.0)


def test_discontinuity_time_change() -> None:
    rate = counter_rate(reading(10, 0.0, 1_000, 0), reading(20, 10.0, 2_000, 1_500))
    assert rate.kind is DeltaKind.DISCONTINUITY
    unchanged = counter_rate(reading(10, 0.0, 1_000, 0), reading(20, 10.0, 2_000, 0))
    assert unchanged.delta == 10


def test_rate_ceiling_rejects_implausible_increase() -> None:
    rate = counter_rate(reading(0, 0.0), reading(10**12, 1.0), max_per_second=1.25e9)
    assert rate.kind is DeltaKind.DISCONTINUITY


def test_zero_elapsed_gives_no_rate() -> None:
    rate = counter_rate(reading(0, 5.0, 100), reading(10, 5.0, 100))
    assert rate.per_second is None


def test_out_of_range_value_is_rejected() -> None:
    with pytest.raises(ValueError, match="outside"):
        counter_delta(0, 2**64, bits=64)


def test_elapsed_uses_ticks_modulo() -> None:
    assert elapsed_seconds(reading(0, 0.0, 2**32 - 100), reading(0, 2.0, 100)) == pytest.approx(2.0)


@given(
    start=st.integers(min_value=0, max_value=TOP64),
    delta=st.integers(min_value=0, max_value=2**63 - 1),
)
def test_any_increase_below_half_range_is_recovered(start: int, delta: int) -> None:
    current = (start + delta) % 2**64
    outcome = counter_delta(start, current, bits=64)
    assert outcome is not None
    assert outcome[0] == delta
    assert outcome[1] is (DeltaKind.WRAPPED if current < start else DeltaKind.NORMAL)
