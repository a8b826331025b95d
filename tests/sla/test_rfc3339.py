from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controller.sla.evaluate import format_time
from controller.sla.rfc3339 import parse_one

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01T00:00:00Z", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01t00:00:00z", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01 00:00:00Z", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T01:30:00+01:30", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-10-31T23:00:00-01:00", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2024-02-29T12:00:00.5Z", datetime(2024, 2, 29, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2026-11-01T00:00:00.1234569Z", datetime(2026, 11, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("1969-12-31T23:59:59Z", datetime(1969, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_valid_times(text: str, expected: datetime) -> None:
    assert parse_one(text) == (expected - EPOCH) // timedelta(microseconds=1)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026-11-01",
        "2026-11-01T00:00:00",  # no zone: not RFC 3339
        "2026-11-01T00:00:00.Z",  # a fraction needs a digit
        "2026-11-31T00:00:00Z",
        "2025-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-11-01T24:00:00Z",
        "2026-11-01T00:60:00Z",
        "2026-11-01T00:00:60Z",  # leap seconds are refused
        "2026-11-01T00:00:00Zjunk",
        "2026-11-01T00:00:00+0100",
        "2026-11-01T00:00:00+24:00",
        "2026/11/01T00:00:00Z",
        "\uff12\uff10\uff12\uff16-11-01T00:00:00Z",
    ],
)
def test_invalid_times(text: str) -> None:
    assert parse_one(text) is None


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)))
def test_round_trip_with_format_time(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC)
    micros = (aware - EPOCH) // timedelta(microseconds=1)
    assert parse_one(aware.isoformat().replace("+00:00", "Z")) == micros
    assert parse_one(format_time(micros)) == micros
