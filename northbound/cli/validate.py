"""``netsla validate FILE...``: check instance documents against netsla's models.

The files are validated together, as one datastore (a service file may
refer to the SLA templates of another), and every problem of every file is
printed: ``FILE: PATH: CODE: message``.  Exit status 2 when any problem is
found, 0 when all files are valid.  With ``--stored-catalog`` the store's
SLA templates, tiers and customers are validated with them, as
``service apply`` does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from controller.sla.catalog import with_stored_catalog
from controller.store import open_store
from controller.validation import (
    DocFormat,
    Document,
    Limits,
    Problem,
    ProblemCode,
    ValidationResult,
    validate_documents,
)
from northbound.cli.options import database_option
from northbound.cli.output import EXIT_BAD_INPUT, OutputFormat, emit_json, format_option

_SUFFIXES = {".json": DocFormat.JSON, ".xml": DocFormat.XML}


def _read(path: Path, fmt: DocFormat | None, limits: Limits) -> Document | Problem:
    """The file as a document, or the problem that keeps it from being read."""
    source = str(path)
    chosen = fmt or _SUFFIXES.get(path.suffix.lower())
    if chosen is None:
        message = "cannot tell JSON from XML by the file name: use --input-format"
        return Problem(ProblemCode.UNREADABLE, "/", message, source)
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            message = f"document has {size} bytes, more than the limit of {limits.max_bytes}"
            return Problem(ProblemCode.DOCUMENT_TOO_LARGE, "/", message, source)
        return Document(path.read_bytes(), chosen, source)
    except OSError as exc:
        return Problem(ProblemCode.UNREADABLE, "/", exc.strerror or str(exc), source)


def _report(files: list[str], problems: list[Problem], output_format: str) -> None:
    if output_format == OutputFormat.JSON:
        emit_json(
            {
                "ok": not problems,
                "files": [{"file": f, "ok": all(p.file != f for p in problems)} for f in files],
                "problems": [
                    {"file": p.file, "path": p.path, "code": str(p.code), "message": p.message}
                    | ({"line": p.line} if p.line is not None else {})
                    for p in problems
                ],
            }
        )
        return
    for problem in problems:
        where = problem.file or "<all files>"
        line = f" (line {problem.line})" if problem.line is not None else ""
        click.echo(f"{where}: {problem.path}: {problem.code}: {problem.message}{line}")
    for name in files:
        if all(p.file != name for p in problems):
            click.echo(f"{name}: ok")


@click.command(name="validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--input-format",
    type=click.Choice([f.value for f in DocFormat]),
    default=None,
    help="Encoding of the files (default: from the .json/.xml suffix).",
)
@click.option(
    "--max-problems",
    type=click.IntRange(min=1),
    default=Limits().max_problems,
    show_default=True,
    help="Stop after this many problems (each costs a re-validation).",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    default=Limits().max_bytes,
    show_default=True,
    help="Refuse documents larger than this.",
)
@click.option(
    "--stored-catalog",
    is_flag=True,
    help="Validate with the SLA templates, tiers and customers the store keeps "
    "(those the files do not define), as service apply does.",
)
@database_option
@format_option
def command(
    *,
    files: tuple[Path, ...],
    input_format: str | None,
    max_problems: int,
    max_bytes: int,
    stored_catalog: bool,
    database: str | None,
    output_format: str,
) -> None:
    """Validate YANG instance documents (RFC 7951 JSON or XML) together.

    Only the files, unless --stored-catalog: then the store (--database) too.
    """
    limits = Limits(max_bytes=max_bytes, max_problems=max_problems)
    fmt = DocFormat(input_format) if input_format else None
    documents: list[Document] = []
    problems: list[Problem] = []
    for path in files:
        read = _read(path, fmt, limits)
        if isinstance(read, Problem):
            problems.append(read)
        else:
            documents.append(read)
    if stored_catalog and documents:
        with open_store(database).session() as session:
            documents = with_stored_catalog(session, documents)
    result = validate_documents(documents, limits=limits) if documents else ValidationResult(())
    problems.extend(result.problems)
    _report([str(f) for f in files], problems, output_format)
    if problems:
        sys.exit(EXIT_BAD_INPUT)
