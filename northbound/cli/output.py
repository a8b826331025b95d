"""Output helpers shared by every ``netsla`` command.

Every command that lists or reports something accepts ``--format`` with
``table`` (for people) or ``json`` (for scripts).  Errors go to stderr with a
non-zero exit status: :data:`EXIT_FAILURE` when an operation failed,
:data:`EXIT_BAD_INPUT` when the input was wrong and nothing was done.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NoReturn

import click

from controller.sla.evaluate import format_time
from controller.store import displayed_url

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_text(moment: datetime) -> str:
    """A stored time as the other commands give theirs (:func:`format_time`, UTC with ``Z``).

    SQLite gives a stored time back without its zone; it was stored in UTC.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_time((moment - _EPOCH) // timedelta(microseconds=1))


def shown_command(words: Sequence[str]) -> str:
    """A command line as netsla shows or records it: database URLs without their password.

    Both ``--database URL`` and ``--database=URL`` are covered (any word
    with ``://`` is read as a URL).
    """
    return shlex.join(_without_password(w) for w in words)


def _without_password(word: str) -> str:
    if "://" not in word:
        return word
    option, equals, value = word.partition("=")
    if equals and option.startswith("--") and "://" not in option:
        return f"{option}={displayed_url(value)}"
    return displayed_url(word)


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in OutputFormat]),
    default=OutputFormat.TABLE.value,
    show_default=True,
    help="Output for people (table) or for scripts (json).",
)


def emit_json(data: Any) -> None:
    """Print ``data`` as one JSON document on stdout."""
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def emit(
    data: Any,
    output_format: str,
    *,
    headers: Sequence[str] | None = None,
    rows: Callable[[Any], Sequence[Sequence[Any]]] | None = None,
    text: Callable[[Any], str] | None = None,
) -> None:
    """Print ``data`` as JSON, or for people as a table (``headers``/``rows``) or text."""
    if output_format == OutputFormat.JSON:
        emit_json(data)
    elif headers is not None and rows is not None:
        click.echo(render_table(headers, rows(data)))
    elif text is not None:
        click.echo(text(data))
    else:
        emit_json(data)


def fail(message: str, *, status: int = EXIT_FAILURE) -> NoReturn:
    """Print ``netsla: error: message`` on stderr and exit with ``status``."""
    click.echo(f"netsla: error: {message}", err=True)
    sys.exit(status)


@contextmanager
def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """Report ``done/total`` on a terminal's stderr; silent when stderr is not a TTY."""
    interactive = sys.stderr.isatty()

    def advance(done: int) -> None:
        if interactive:
            click.echo(f"\r{label}: {done}/{total}", err=True, nl=False)

    try:
        yield advance
    finally:
        if interactive:
            click.echo("", err=True)
