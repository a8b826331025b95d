"""Telemetry store: batched samples, rollups, retention, events, status."""

from __future__ import annotations

from datetime import timedelta

import pytest

from controller.store import Store
from controller.store.availability import AvailabilityRepository, EventKind, PollRecord
from controller.store.telemetry import (
    RetentionPolicy,
    Sample,
    SeriesKey,
    SeriesKind,
    TelemetryRepository,
)

MIN = 60_000_000
OCTETS = SeriesKey(
    device="pe1", source="snmp", object="eth1", metric="in-octets", kind=SeriesKind.COUNTER
)
STATUS = SeriesKey(device="pe1", source="snmp", object="eth1", metric="oper-status")


def test_samples_round_trip(store: Store) -> None:
    repo = TelemetryRepository(store)
    written = repo.write_samples(
        [
            Sample(series=OCTETS, at_us=1_000, value=5.0),
            Sample(series=OCTETS, at_us=2_000, value=9.0, rate=4.0),
            Sample(series=STATUS, at_us=2_000, value=1.0),
        ]
    )
    assert written == 3
    # A second repository (another process) finds the same series.
    again = TelemetryRepository(store)
    got = again.samples(OCTETS)
    assert [(s.at_us, s.value, s.rate) for s in got] == [(1_000, 5.0, None), (2_000, 9.0, 4.0)]
    assert [s.value for s in again.samples(STATUS, since_us=1_500)] == [1.0]
    assert again.samples(OCTETS, until_us=2_000)[-1].at_us == 1_000


def test_rollup_uses_rates_of_counters_and_values_of_gauges(store: Store) -> None:
    repo = TelemetryRepository(store)
    policy = RetentionPolicy()
    bucket = policy.bucket_us
    base = 1_000 * bucket
    samples = []
    for i in range(10):  # two buckets, one sample a minute
        at = base + i * MIN
        samples.append(Sample(series=OCTETS, at_us=at, value=1e9 + i, rate=None if i == 0 else i))
        samples.append(Sample(series=STATUS, at_us=at, value=1.0 if i % 2 else 2.0))
    repo.write_samples(samples)
    assert repo.roll_up(now_us=base + 2 * bucket, policy=policy) == 4
    first, second = repo.rollups(OCTETS)
    assert first.bucket_us == base
    assert (first.count, first.minimum, first.mean, first.maximum) == (4, 1.0, 2.5, 4.0)
    assert (second.count, second.mean) == (5, 7.0)
    gauge = repo.rollups(STATUS)
    assert [(r.count, r.mean) for r in gauge] == [(5, pytest.approx(1.6)), (5, pytest.approx(1.4))]
    # Nothing new to roll up; an incomplete bucket is left alone.
    repo.write_samples([Sample(series=STATUS, at_us=base + 2 * bucket + MIN, value=1.0)])
    assert repo.roll_up(now_us=base + 2 * bucket + 2 * MIN, policy=policy) == 0
    assert repo.roll_up(now_us=base + 3 * bucket, policy=policy) == 1


def test_retention_deletes_old_raw_samples_and_rollups(store: Store) -> None:
    repo = TelemetryRepository(store)
    policy = RetentionPolicy(raw=timedelta(days=1), rollups=timedelta(days=3))
    day = 24 * 60 * MIN
    now = 10 * day
    repo.write_samples(
        [Sample(series=STATUS, at_us=now - k * day - MIN, value=float(k)) for k in range(5)]
    )
    repo.roll_up(now_us=now, policy=policy)
    assert repo.prune(now_us=now, policy=policy) == (4, 2)
    assert [s.value for s in repo.samples(STATUS)] == [0.0]
    assert len(repo.rollups(STATUS)) == 3


def test_availability_events_open_and_close(store: Store) -> None:
    repo = AvailabilityRepository(store)
    device = repo.open_event(
        device="pe2",
        interface="",
        kind=EventKind.DEVICE_UNREACHABLE,
        reason="timeout",
        started_us=100,
    )
    link = repo.open_event(
        device="pe2",
        interface="eth1",
        kind=EventKind.INTERFACE_DOWN,
        reason="down",
        started_us=150,
    )
    repo.close_event(device.id, ended_us=400)
    repo.close_event(device.id, ended_us=999)  # closing twice keeps the first end
    assert [(e.id, e.ended_us) for e in repo.events(device="pe2")] == [
        (device.id, 400),
        (link.id, None),
    ]
    assert [e.id for e in repo.events(open_only=True)] == [link.id]
    assert [e.id for e in repo.events(since_us=500)] == [link.id]


def test_poll_records_count_failures(store: Store) -> None:
    repo = AvailabilityRepository(store)

    def record(at: int, error: str | None) -> PollRecord:
        return PollRecord(
            device="pe3",
            group="if-mib",
            at_us=at,
            duration_ms=5,
            samples=0 if error else 40,
            error=error,
        )

    repo.record_polls([record(1, None), record(2, "timeout")])
    repo.record_polls([record(3, "timeout")])
    (status,) = repo.statuses()
    assert (status.polls, status.failures, status.consecutive_failures) == (3, 2, 2)
    assert (status.samples, status.last_success_us, status.last_error) == (40, 1, "timeout")
    repo.record_polls([record(4, None)])
    (status,) = repo.statuses()
    assert (status.consecutive_failures, status.last_error, status.last_success_us) == (0, None, 4)
