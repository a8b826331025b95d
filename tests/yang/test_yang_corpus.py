"""The corpus of invalid documents: each is rejected with its expected code
and path (tests/yang/invalid/manifest.json), none with a traceback, and the
CLI reports them all at once with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from controller.validation import DocFormat, ProblemCode, validate_document
from northbound.cli import cli

CORPUS = Path(__file__).resolve().parent / "invalid"
MANIFEST: list[dict[str, str]] = json.loads((CORPUS / "manifest.json").read_text())


def test_the_corpus_is_large_and_covers_every_kind() -> None:
    assert len(MANIFEST) >= 30
    assert {m["file"] for m in MANIFEST} == {
        p.name for p in CORPUS.iterdir() if p.name != "manifest.json"
    }
    kinds = {m["code"] for m in MANIFEST}
    for code in (
        "invalid-type",
        "pattern-mismatch",
        "out-of-range",
        "missing-mandatory",
        "dangling-leafref",
        "must-violation",
        "when-violation",
        "duplicate-key",
        "unique-violation",
        "unknown-node",
        "malformed-json",
        "malformed-xml",
        "hostile-xml",
        "document-too-deep",
    ):
        assert code in kinds, code


@pytest.mark.parametrize("case", MANIFEST, ids=lambda c: c["file"])
def test_each_invalid_document_is_rejected_as_expected(case: dict[str, Any]) -> None:
    path = CORPUS / case["file"]
    fmt = DocFormat.XML if path.suffix == ".xml" else DocFormat.JSON
    result = validate_document(path.read_bytes(), fmt=fmt, source=case["file"])
    assert not result.ok
    assert result.data is None
    found = {(str(p.code), p.path) for p in result.problems}
    assert (case["code"], case["path"]) in found, result.problems
    assert ProblemCode.INVALID_DATA not in {p.code for p in result.problems}


def test_entities_are_never_expanded() -> None:
    result = validate_document(
        (CORPUS / "hostile-external-entity.xml").read_bytes(), fmt=DocFormat.XML
    )
    assert "root:" not in " ".join(p.message for p in result.problems)


def test_cli_reports_every_file_at_once() -> None:
    files = [str(CORPUS / m["file"]) for m in MANIFEST]
    result = CliRunner().invoke(cli, ["validate", *files], catch_exceptions=False)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    for case in MANIFEST:
        assert f"{CORPUS / case['file']}: " in result.output, case["file"]
