"""``netsla validate``: output format, exit status, JSON report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from conftest import EXAMPLE_FILES

from northbound.cli import cli


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["validate", *args], catch_exceptions=False)


def test_valid_examples_print_ok_and_exit_0() -> None:
    result = run(*map(str, EXAMPLE_FILES))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{f}: ok" for f in EXAMPLE_FILES]


def test_problem_lines_name_file_path_code(tmp_path: Path, valid: dict[str, Any]) -> None:
    valid["netsla-sla:sla-templates"]["sla-template"][0]["objectives"]["delay-ms"] = "-3.0"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(valid))
    result = run(str(bad), str(tmp_path / "missing.json"))
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert (
        lines[0]
        == f"{tmp_path / 'missing.json'}: /: unreadable-document: No such file or directory"
    )
    assert lines[1].startswith(
        f"{bad}: /netsla-sla:sla-templates/sla-template[name='gold']/objectives/delay-ms:"
        " out-of-range: "
    )


def test_json_report(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<tiers")
    result = run("--format", "json", str(bad), *map(str, EXAMPLE_FILES))
    assert result.exit_code == 2
    report = json.loads(result.output)
    assert report["ok"] is False
    assert [p["code"] for p in report["problems"]] == ["malformed-xml"]
    assert {f["file"]: f["ok"] for f in report["files"]}[str(bad)] is False


def test_unknown_suffix_needs_input_format(tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text(EXAMPLE_FILES[0].read_text())
    assert run(str(doc)).exit_code == 2
    assert run("--input-format", "json", str(doc)).exit_code == 2  # alone: leafrefs dangle
    assert "unreadable" not in run("--input-format", "json", str(doc)).output


def test_stored_catalog_validates_a_service_alone(tmp_path: Path) -> None:
    files = {f.name: f for f in EXAMPLE_FILES}
    templates, acme = files["sla-templates.json"], files["acme-gold-any-to-any.json"]
    database = f"sqlite:///{tmp_path / 'netsla.db'}"
    assert run(str(acme)).exit_code == 2  # its customer's tier is in no file
    assert run("--stored-catalog", "--database", database, str(acme)).exit_code == 2  # nor stored
    loaded = CliRunner().invoke(
        cli, ["sla", "load", "--sla", str(templates), "--database", database]
    )
    assert loaded.exit_code == 0, loaded.output
    result = run("--stored-catalog", "--database", database, str(acme))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{acme}: ok"]
    # An XML document's tier takes the stored one's place (no duplicate gold).
    tier = tmp_path / "gold.xml"
    tier.write_text(
        '<tiers xmlns="urn:netsla:yang:netsla-sla"><tier><name>gold</name><rank>1</rank>'
        "<default-sla-template>silver</default-sla-template></tier></tiers>"
    )
    result = run("--stored-catalog", "--database", database, str(tier), str(acme))
    assert result.exit_code == 0, result.output
