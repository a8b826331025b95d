"""RFC 3339 date-times, parsed a whole column at a time with NumPy.

RFC 3339 clause 5.6: ``full-date "T" full-time`` where full-time is
``HH:MM:SS[.frac](Z|+HH:MM|-HH:MM)``; "T" and "Z" may be lower case and the
separator may be a space (clause 5.6 NOTE). Fractions are kept to the
microsecond (further digits are truncated, which never moves a time across
a whole-microsecond boundary). A leap second (``:60``, clause 5.7) is
refused: the measurement clocks netsla reads (POSIX) never produce one.

Times are returned as int64 microseconds since 1970-01-01T00:00:00Z.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

US_PER_SECOND = 1_000_000
_MAX_FRACTION_DIGITS = 6
# A zone offset "+HH:MM" after the zone position needs 6 columns.
_ZONE_COLUMNS = 6
_DIGITS = {"year": (0, 4), "month": (5, 2), "day": (8, 2), "hour": (11, 2), "minute": (14, 2),
           "second": (17, 2)}  # fmt: skip
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def parse_column(chars: NDArray[np.uint8], lengths: NDArray[np.int64]) -> tuple[
    NDArray[np.int64], NDArray[np.bool_]]:  # fmt: skip
    """Parse ``n`` zero-padded times (``chars`` is ``n x width``) at once.

    Returns the times in microseconds and a mask of the rows that are not
    RFC 3339 date-times (their time is meaningless).
    """
    n, width = chars.shape
    padded = np.zeros((n, max(width, 20) + _ZONE_COLUMNS + 1), dtype=np.uint8)
    padded[:, :width] = chars
    ok = lengths >= 20
    fields = {name: _number(padded, start, size, ok) for name, (start, size) in _DIGITS.items()}
    ok &= (padded[:, 4] == ord("-")) & (padded[:, 7] == ord("-"))
    ok &= np.isin(padded[:, 10], np.frombuffer(b"Tt ", dtype=np.uint8))
    ok &= (padded[:, 13] == ord(":")) & (padded[:, 16] == ord(":"))
    fraction_us, zone_at = _fraction(padded, lengths, ok)
    offset_minutes = _zone(padded, lengths, zone_at, ok)
    year, month, day = fields["year"], fields["month"], fields["day"]
    ok &= (month >= 1) & (month <= 12) & (day >= 1)
    ok &= day <= _days_in_month(year, np.clip(month, 1, 12))
    ok &= (fields["hour"] <= 23) & (fields["minute"] <= 59) & (fields["second"] <= 59)
    minutes = (days_from_civil(year, month, day) * 24 + fields["hour"]) * 60 + fields["minute"]
    seconds = (minutes - offset_minutes) * 60 + fields["second"]
    times: NDArray[np.int64] = seconds * US_PER_SECOND + fraction_us
    return times, ~ok


def parse_one(text: str) -> int | None:
    """One RFC 3339 date-time in microseconds since the epoch, or ``None`` if invalid."""
    raw = text.encode("utf-8", errors="replace")
    if not raw:
        return None
    chars = np.frombuffer(raw, dtype=np.uint8).reshape(1, len(raw))
    times, bad = parse_column(chars, np.array([len(raw)], dtype=np.int64))
    return None if bad[0] else int(times[0])


def days_from_civil(year: NDArray[np.int64], month: NDArray[np.int64],
                    day: NDArray[np.int64]) -> NDArray[np.int64]:  # fmt: skip
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm)."""
    y = year - (month <= 2)
    era = np.floor_divide(y, 400)
    year_of_era = y - era * 400
    shifted_month = (month + 9) % 12
    day_of_year = (153 * shifted_month + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days: NDArray[np.int64] = era * 146097 + day_of_era - 719468
    return days


def _number(chars: NDArray[np.uint8], start: int, size: int, ok: NDArray[np.bool_]) -> NDArray[
    np.int64]:  # fmt: skip
    value = np.zeros(chars.shape[0], dtype=np.int64)
    for column in range(start, start + size):
        digit = chars[:, column] - np.uint8(ord("0"))  # wraps above 9 when not a digit
        ok &= digit <= 9
        value = value * 10 + digit
    return value


def _fraction(chars: NDArray[np.uint8], lengths: NDArray[np.int64], ok: NDArray[np.bool_]) -> tuple[
    NDArray[np.int64], NDArray[np.int64]]:  # fmt: skip
    """Microseconds of an optional ``.frac`` at column 19, and where the zone starts."""
    n, width = chars.shape
    has_dot = chars[:, 19] == ord(".")
    in_fraction = has_dot.copy()
    digits = np.zeros(n, dtype=np.int64)
    value = np.zeros(n, dtype=np.int64)
    for column in range(20, width - _ZONE_COLUMNS):
        if not in_fraction.any():
            break
        digit = (chars[:, column] - np.uint8(ord("0"))).astype(np.int64)
        is_digit = in_fraction & (digit <= 9) & (column < lengths)
        kept = is_digit & (digits < _MAX_FRACTION_DIGITS)
        value = np.where(kept, value * 10 + np.where(kept, digit, 0), value)
        digits += is_digit
        in_fraction &= is_digit
    ok &= ~has_dot | (digits >= 1)
    scale = 10 ** (_MAX_FRACTION_DIGITS - np.minimum(digits, _MAX_FRACTION_DIGITS))
    zone_at = np.where(has_dot, 20 + digits, 19)
    ok &= zone_at < width - _ZONE_COLUMNS
    return value * scale, np.minimum(zone_at, width - _ZONE_COLUMNS - 1)


def _zone(chars: NDArray[np.uint8], lengths: NDArray[np.int64], zone_at: NDArray[np.int64],
          ok: NDArray[np.bool_]) -> NDArray[np.int64]:  # fmt: skip
    """Minutes east of UTC of the ``Z`` / ``+HH:MM`` / ``-HH:MM`` designator."""
    rows = np.arange(chars.shape[0])

    def at(offset: int) -> NDArray[np.uint8]:
        return chars[rows, zone_at + offset]

    designator = at(0)
    utc = np.isin(designator, np.frombuffer(b"Zz", dtype=np.uint8)) & (lengths == zone_at + 1)
    sign = np.where(designator == ord("-"), -1, 1)
    numeric = np.isin(designator, np.frombuffer(b"+-", dtype=np.uint8))
    numeric &= (lengths == zone_at + _ZONE_COLUMNS) & (at(3) == ord(":"))
    hours, hours_ok = _two_digits(at(1), at(2))
    minutes, minutes_ok = _two_digits(at(4), at(5))
    numeric &= hours_ok & minutes_ok
    numeric &= (hours <= 23) & (minutes <= 59)
    ok &= utc | numeric
    return np.where(numeric, sign * (hours * 60 + minutes), 0)


def _two_digits(tens: NDArray[np.uint8], units: NDArray[np.uint8]) -> tuple[
    NDArray[np.int64], NDArray[np.bool_]]:  # fmt: skip
    high = (tens - np.uint8(ord("0"))).astype(np.int64)
    low = (units - np.uint8(ord("0"))).astype(np.int64)
    ok = (high <= 9) & (low <= 9)
    return np.where(ok, high * 10 + low, 0), ok


def _days_in_month(year: NDArray[np.int64], month: NDArray[np.int64]) -> NDArray[np.int64]:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days: NDArray[np.int64] = _DAYS_IN_MONTH[month] + (leap & (month == 2))
    return days
