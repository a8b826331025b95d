"""Options and helpers shared by the SLA commands that use the store."""

from __future__ import annotations

import time
from pathlib import Path

import click

from controller.sla import csvinput, rfc3339
from controller.sla.csvinput import SampleChunk
from controller.sla.errors import SlaInputError
from controller.store import Store, open_store

samples_option = click.option(
    "--samples",
    "samples_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Probe results as CSV time,probe,seq,delay_ms, fed to the evaluation.",
)


def store_at(database: str | None) -> Store:
    return open_store(database)


def now_us() -> int:
    return int(time.time() * 1_000_000)


def time_us(option: str, text: str | None) -> int:
    """An RFC 3339 option's value in microseconds; now when not given."""
    if text is None:
        return now_us()
    value = rfc3339.parse_one(text)
    if value is None:
        raise SlaInputError(source=option, problem=f"{text!r} is not an RFC 3339 date-time")
    return value


def samples(path: Path | None) -> list[SampleChunk]:
    """All sample chunks of a CSV file (read once: several services share them)."""
    return [] if path is None else list(csvinput.read_samples(path))
