"""Streaming CSV readers for the SLA engine, with row-precise errors.

``samples.csv`` (header ``time,probe,seq,delay_ms``; an empty ``delay_ms``
means the packet was lost) is read in blocks of bytes and each block is
split and converted column by column with NumPy: no Python object is made
per row. A block holding a double quote (an RFC 4180 quoted field) is read
by the :mod:`csv` module instead, and from there on the rest of the file,
into the same column form, so both paths check rows with the same code.

Every error names the file, the row (the physical line number, the header
being row 1) and the problem; nothing is returned for a file with an error
in a later block because the caller consumes chunks before reporting.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from controller.sla import rfc3339
from controller.sla.errors import SlaInputError
from controller.sla.process import Incident, Order

SAMPLE_HEADER = ("time", "probe", "seq", "delay_ms")
INCIDENT_HEADER = ("id", "opened", "cleared", "excluded")
INCIDENT_OPTIONAL = ("responded",)
ORDER_HEADER = ("id", "ordered", "delivered")
DEFAULT_BLOCK_BYTES = 1 << 24
_SLOW_PATH_ROWS = 65536
_MAX_WIDTH = {"time": 64, "probe": 255, "seq": 20, "delay_ms": 32}
_NUMBER_CHARS = np.frombuffer(b"0123456789.eE+-", dtype=np.uint8)
_NEWLINE, _COMMA, _QUOTE, _CR = ord("\n"), ord(","), ord('"'), ord("\r")


@dataclass(frozen=True, slots=True, kw_only=True)
class SampleChunk:
    """Rows of samples as columns. ``probe_index`` indexes ``probe_names``.

    ``delay_ms`` is NaN for a lost packet. A source other than CSV (a
    database query) produces the same chunks.
    """

    time_us: NDArray[np.int64]
    probe_index: NDArray[np.intp]
    probe_names: tuple[str, ...]
    delay_ms: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.time_us.shape[0])


@dataclass(frozen=True, slots=True)
class _Column:
    chars: NDArray[np.uint8]  # n x width, zero padded
    lengths: NDArray[np.int64]

    def text(self, i: int) -> str:
        raw = self.chars[i, : self.lengths[i]].tobytes()
        shown = raw.decode("utf-8", errors="replace")
        return shown if len(shown) <= 40 else shown[:37] + "..."


class _Failer(Protocol):
    def __call__(self, bad: NDArray[np.bool_], problem: str, column: _Column) -> None: ...


@dataclass(frozen=True, slots=True)
class _Fields:
    rows: NDArray[np.int64]
    columns: dict[str, _Column]


def read_samples(path: Path, *, block_bytes: int = DEFAULT_BLOCK_BYTES) -> Iterator[SampleChunk]:
    """Yield the samples of ``path`` block by block (raises :class:`SlaInputError`)."""
    source = str(path)
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise SlaInputError(source=source, problem=exc.strerror or str(exc)) from None
    with stream:
        _check_header(stream.readline(), source)
        for fields in _blocks(stream, source, block_bytes):
            if fields.rows.shape[0]:
                yield _convert(fields, source)


def _check_header(line: bytes, source: str) -> None:
    text = line.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
    if tuple(text.split(",")) != SAMPLE_HEADER:
        expected = ",".join(SAMPLE_HEADER)
        shown = text[:60] if text else "nothing"
        raise SlaInputError(
            source=source, row=1, problem=f"header must be {expected}, found {shown}"
        )


def _blocks(stream: BinaryIO, source: str, block_bytes: int) -> Iterator[_Fields]:
    row = 2
    carry = b""
    while True:
        data = stream.read(block_bytes)
        block = carry + data
        if not block:
            return
        cut = block.rfind(b"\n") + 1 if data else len(block)
        if cut == 0:
            carry = block
            continue
        block, carry = block[:cut], block[cut:]
        if b'"' in block:
            rest = itertools.chain([block + carry], iter(lambda: stream.read(block_bytes), b""))
            yield from _slow_path(rest, row, source)
            return
        if not block.endswith(b"\n"):
            block += b"\n"
        fields = _split_fast(np.frombuffer(block, dtype=np.uint8), row, source)
        row += block.count(b"\n")
        yield fields


def _split_fast(data: NDArray[np.uint8], first_row: int, source: str) -> _Fields:
    """Split a block of whole lines into columns (no quotes in it)."""
    newlines = np.flatnonzero(data == _NEWLINE)
    starts = np.concatenate(([0], newlines[:-1] + 1))
    ends = newlines.copy()
    ends[(ends > starts) & (data[ends - 1] == _CR)] -= 1
    rows = np.arange(first_row, first_row + newlines.shape[0], dtype=np.int64)
    commas = np.flatnonzero(data == _COMMA)
    per_line = np.bincount(np.searchsorted(newlines, commas), minlength=newlines.shape[0])
    blank = ends == starts
    wrong = ~blank & (per_line != len(SAMPLE_HEADER) - 1)
    if wrong.any():
        i = int(np.argmax(wrong))
        problem = f"expected {len(SAMPLE_HEADER)} fields, found {per_line[i] + 1}"
        raise SlaInputError(source=source, row=int(rows[i]), problem=problem)
    keep = ~blank
    at = commas.reshape(-1, len(SAMPLE_HEADER) - 1)
    starts, ends, rows = starts[keep], ends[keep], rows[keep]
    bounds = [(starts, at[:, 0]), (at[:, 0] + 1, at[:, 1]), (at[:, 1] + 1, at[:, 2]),
              (at[:, 2] + 1, ends)]  # fmt: skip
    columns = {
        name: _gather(data, begin, end - begin, _MAX_WIDTH[name])
        for name, (begin, end) in zip(SAMPLE_HEADER, bounds, strict=True)
    }
    return _Fields(rows, columns)


def _gather(data: NDArray[np.uint8], begin: NDArray[np.int64], length: NDArray[np.int64],
            limit: int) -> _Column:  # fmt: skip
    """Copy variable-length fields into a zero-padded ``n x width`` array, a column at a time."""
    n = begin.shape[0]
    width = min(int(length.max()) if n else 0, limit)
    chars = np.zeros((n, width), dtype=np.uint8)
    last = data.shape[0] - 1
    for j in range(width):
        column = data[np.minimum(begin + j, last)]
        chars[:, j] = np.where(length > j, column, 0)
    return _Column(chars, length.astype(np.int64))


def _slow_path(blocks: Iterable[bytes], first_row: int, source: str) -> Iterator[_Fields]:
    """Rows with quoted fields, through the csv module, in batches."""
    raw = cast(BinaryIO, io.BufferedReader(_BytesIterator(blocks)))
    text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
    reader = csv.reader(text, strict=True)
    rows: list[int] = []
    records: list[list[str]] = []
    line = first_row - 1
    try:
        for record in reader:
            row, line = line + 1, first_row - 1 + reader.line_num
            if not record:
                continue
            if len(record) != len(SAMPLE_HEADER):
                problem = f"expected {len(SAMPLE_HEADER)} fields, found {len(record)}"
                raise SlaInputError(source=source, row=row, problem=problem)
            rows.append(row)
            records.append(record)
            if len(records) == _SLOW_PATH_ROWS:
                yield _fields_of(records, rows)
                rows, records = [], []
    except csv.Error as exc:
        raise SlaInputError(source=source, row=line + 1, problem=f"bad CSV: {exc}") from None
    if records:
        yield _fields_of(records, rows)


def _fields_of(records: list[list[str]], rows: list[int]) -> _Fields:
    columns: dict[str, _Column] = {}
    for index, name in enumerate(SAMPLE_HEADER):
        raw = [record[index].encode("utf-8") for record in records]
        lengths = np.fromiter((len(value) for value in raw), dtype=np.int64, count=len(raw))
        width = max(1, min(int(lengths.max()), _MAX_WIDTH[name]))
        fixed = np.array([value[:width] for value in raw], dtype=f"S{width}")
        chars = fixed.view(np.uint8).reshape(len(raw), width)
        columns[name] = _Column(chars, lengths)
    return _Fields(np.array(rows, dtype=np.int64), columns)


class _BytesIterator(io.RawIOBase):
    """A readable raw stream over an iterable of byte blocks."""

    def __init__(self, blocks: Iterable[bytes]) -> None:
        self._blocks = iter(blocks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            self._pending = next(self._blocks, b"")
            if not self._pending:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _convert(fields: _Fields, source: str) -> SampleChunk:
    """Check and convert the columns of one batch of rows."""
    columns = fields.columns

    def fail_first(bad: NDArray[np.bool_], problem: str, column: _Column) -> None:
        if bad.any():
            i = int(np.argmax(bad))
            detail = problem.format(value=column.text(i))
            raise SlaInputError(source=source, row=int(fields.rows[i]), problem=detail)

    for name, column in columns.items():
        fail_first(column.lengths > _MAX_WIDTH[name], f"{name} {{value!r}} is too long", column)
    time = columns["time"]
    time_us, bad_time = rfc3339.parse_column(time.chars, time.lengths)
    fail_first(bad_time, "time {value!r} is not an RFC 3339 date-time", time)
    seq = columns["seq"]
    fail_first(~_all_within(seq, _DIGITS) | (seq.lengths == 0),
               "seq {value!r} is not a non-negative integer", seq)  # fmt: skip
    delay_ms = _delays(columns["delay_ms"], fail_first)
    probe_index, probe_names = _probes(columns["probe"], fail_first)
    return SampleChunk(time_us=time_us, probe_index=probe_index, probe_names=probe_names,
                       delay_ms=delay_ms)  # fmt: skip


_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


def _all_within(column: _Column, allowed: NDArray[np.uint8]) -> NDArray[np.bool_]:
    inside = np.arange(column.chars.shape[1]) < column.lengths[:, None]
    lookup = np.zeros(256, dtype=np.bool_)
    lookup[allowed] = True
    result = (lookup[column.chars] | ~inside).all(axis=1)
    return cast(NDArray[np.bool_], result)


def _delays(column: _Column, fail_first: _Failer) -> NDArray[np.float64]:
    lost = column.lengths == 0
    fail_first(~_all_within(column, _NUMBER_CHARS), "delay_ms {value!r} is not a number", column)
    delay = np.full(column.lengths.shape[0], np.nan)
    width = column.chars.shape[1]
    if width and not lost.all():
        text = column.chars.view(f"S{width}").ravel()
        try:
            delay[~lost] = text[~lost].astype(np.float64)
        except ValueError:
            bad = np.array([not lost[i] and not _is_float(text[i]) for i in range(text.shape[0])])
            fail_first(bad, "delay_ms {value!r} is not a number", column)
            raise
    fail_first(~lost & ~(np.isfinite(delay) & (delay >= 0)),
               "delay_ms {value!r} is not a finite non-negative number", column)  # fmt: skip
    return delay


def _is_float(text: bytes) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _probes(column: _Column, fail_first: _Failer) -> tuple[NDArray[np.intp], tuple[str, ...]]:
    fail_first(column.lengths == 0, "probe is empty", column)
    width = column.chars.shape[1]
    names, inverse = np.unique(column.chars.view(f"S{width}").ravel(), return_inverse=True)
    decoded: list[str] = []
    for index, name in enumerate(names.tolist()):
        try:
            decoded.append(name.decode("utf-8"))
        except UnicodeDecodeError:
            fail_first(inverse == index, "probe {value!r} is not UTF-8", column)
    return inverse.astype(np.intp, copy=False), tuple(decoded)


def read_incidents(path: Path) -> list[Incident]:
    """Incidents of ``incidents.csv``: ``id,opened,cleared,excluded[,responded]``.

    An empty ``cleared``: still open; an empty or absent ``responded``: no
    response recorded (the first response to the ticket, for
    ticket-response-minutes).
    """
    incidents = []
    for row, record in _records(path, INCIDENT_HEADER, INCIDENT_OPTIONAL):
        ident, opened, cleared, excluded, responded = record
        if excluded not in ("true", "false"):
            problem = f"excluded {excluded!r} is not true or false"
            raise SlaInputError(source=str(path), row=row, problem=problem)
        opened_us = _time(opened, "opened", path, row)
        cleared_us = _time(cleared, "cleared", path, row) if cleared else None
        if cleared_us is not None and cleared_us < opened_us:
            raise SlaInputError(source=str(path), row=row, problem="cleared is before opened")
        responded_us = _time(responded, "responded", path, row) if responded else None
        if responded_us is not None and responded_us < opened_us:
            raise SlaInputError(source=str(path), row=row, problem="responded is before opened")
        incidents.append(
            Incident(
                id=ident,
                opened_us=opened_us,
                cleared_us=cleared_us,
                excluded=excluded == "true",
                responded_us=responded_us,
            )
        )
    return incidents


def read_orders(path: Path) -> list[Order]:
    """Orders of ``orders.csv`` (``id,ordered,delivered``; empty delivered: not yet)."""
    orders = []
    for row, (ident, ordered, delivered) in _records(path, ORDER_HEADER):
        ordered_us = _time(ordered, "ordered", path, row)
        delivered_us = _time(delivered, "delivered", path, row) if delivered else None
        if delivered_us is not None and delivered_us < ordered_us:
            raise SlaInputError(source=str(path), row=row, problem="delivered is before ordered")
        orders.append(Order(id=ident, ordered_us=ordered_us, delivered_us=delivered_us))
    return orders


def _records(
    path: Path, header: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Iterator[tuple[int, list[str]]]:
    """The file's rows under ``header``, which may go on with the ``optional`` columns.

    A row of a file without the optional columns is given them empty.
    """
    source = str(path)
    try:
        stream = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise SlaInputError(source=source, problem=exc.strerror or str(exc)) from None
    with stream:
        reader = csv.reader(stream, strict=True)
        try:
            found = tuple(next(reader, []))
            if found not in (header, header + optional):
                expected = ",".join(header) + "".join(f"[,{o}]" for o in optional)
                raise SlaInputError(source=source, row=1, problem=f"header must be {expected}")
            missing = [""] * (len(header) + len(optional) - len(found))
            row = 1
            for record in reader:
                row, end = row + 1, reader.line_num
                if record and len(record) != len(found):
                    problem = f"expected {len(found)} fields, found {len(record)}"
                    raise SlaInputError(source=source, row=row, problem=problem)
                if record:
                    yield row, record + missing
                row = end
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SlaInputError(
                source=source, row=reader.line_num, problem=f"bad CSV: {exc}"
            ) from None


def _time(text: str, name: str, path: Path, row: int) -> int:
    value = rfc3339.parse_one(text)
    if value is None:
        problem = f"{name} {text[:40]!r} is not an RFC 3339 date-time"
        raise SlaInputError(source=str(path), row=row, problem=problem)
    return value
