"""``netsla sla evaluate`` run as a subprocess on small files."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

NETSLA = str(Path(sys.executable).with_name("netsla"))
FROM, TO = "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"
SLA = {
    "netsla-sla:sla-templates": {
        "sla-template": [
            {
                "name": "gold",
                "y1541-class": 0,
                "objectives": {
                    "delay-ms": "30.000",
                    "availability-percent": "99.990",
                    "mttr-minutes": "240.000",
                    "provisioning-days": "20.000",
                },
                "availability": {"interval-minutes": 5, "loss-threshold": "0.750"},
                "credits": {
                    "credit": [
                        {"metric": "availability-percent", "credit-percent": "10.000"},
                        {"metric": "mttr-minutes", "credit-percent": "20.000"},
                    ]
                },
                "max-credit-percent": "25.000",
            }
        ]
    }
}
SAMPLES = """time,probe,seq,delay_ms
2026-11-01T00:00:00Z,a,1,10
2026-11-01T00:01:00Z,a,2,20
2026-11-01T00:05:00Z,a,3,
2026-11-01T00:06:00Z,b,1,40
2026-11-01T00:07:00Z,b,2,20
"""
INCIDENTS = """id,opened,cleared,excluded
i1,2026-10-31T22:00:00Z,2026-11-01T02:00:00Z,false
i2,2026-11-10T00:00:00Z,2026-11-10T10:00:00Z,false
i3,2026-11-11T00:00:00Z,2026-11-12T00:00:00Z,true
"""
ORDERS = """id,ordered,delivered
o1,2026-10-20T00:00:00Z,2026-11-02T00:00:00Z
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "sla": tmp_path / "sla.json",
        "samples": tmp_path / "samples.csv",
        "incidents": tmp_path / "incidents.csv",
        "orders": tmp_path / "orders.csv",
    }
    paths["sla"].write_text(json.dumps(SLA))
    paths["samples"].write_text(SAMPLES)
    paths["incidents"].write_text(INCIDENTS)
    paths["orders"].write_text(ORDERS)
    return paths


def _run(
    files: dict[str, Path], *extra: str, template: str = "gold"
) -> subprocess.CompletedProcess[str]:
    command = [
        NETSLA,
        "sla",
        "evaluate",
        "--sla",
        str(files["sla"]),
        "--template",
        template,
        "--from",
        FROM,
        "--to",
        TO,
        "--samples",
        str(files["samples"]),
        *extra,
    ]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)


def test_evaluate_prints_the_hand_computed_report(files: dict[str, Path]) -> None:
    result = _run(files, "--incidents", str(files["incidents"]), "--orders", str(files["orders"]))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # a: interval 0 has 10, 20 (available); interval 1 one lost packet (unavailable).
    # b: interval 1 has 40 and 20; nearest rank of 0.999 x 2 is rank 2 = 40, minus 20.
    assert report["probes"] == {
        "a": {
            "delay-ms": 15.0,
            "delay-variation-ms": 10.0,
            "loss-ratio": 0.0,
            "availability-percent": 50.0,
        },
        "b": {
            "delay-ms": 30.0,
            "delay-variation-ms": 20.0,
            "loss-ratio": 0.0,
            "availability-percent": 100.0,
        },
    }
    # MTTR: i1 (opened before the period, 240 min) and i2 (600 min); i3 excluded.
    # Ticket response: of the tickets opened in the period, i2 alone (no response
    # recorded: its clearing answered it, 600 min); i1 opened before, i3 excluded.
    assert report["metrics"] == {
        "delay-ms": 30.0,
        "delay-variation-ms": 20.0,
        "loss-ratio": 0.0,
        "availability-percent": 50.0,
        "mttr-minutes": 420.0,
        "provisioning-days": 13.0,
        "ticket-response-minutes": 600.0,
    }
    # Objectives: delay 30 (met, the template's own wins over class 0's 100), IPDV 50 and
    # IPLR 0.001 from Y.1541 class 0 (met), availability (violated), MTTR (violated).
    assert report["violations"] == [
        {"metric": "availability-percent", "objective": 99.99, "measured": 50.0},
        {"metric": "mttr-minutes", "objective": 240.0, "measured": 420.0},
    ]
    assert report["compliant"] is False
    assert report["credit-percent"] == 25.0  # 10 + 20 capped at 25
    assert report["template"] == "gold" and report["from"] == FROM and report["to"] == TO


def test_ticket_response_is_the_longest_wait_for_an_answer(files: dict[str, Path]) -> None:
    sla: Any = copy.deepcopy(SLA)
    sla["netsla-sla:sla-templates"]["sla-template"][0]["objectives"]["ticket-response-minutes"] = (
        "30"
    )
    files["sla"].write_text(json.dumps(sla))
    # i2 answered 20 min after opening, cleared later; i4 answered by its clearing
    # (25 min) though its response was recorded after; i3 excluded.
    files["incidents"].write_text(
        "id,opened,cleared,excluded,responded\n"
        "i1,2026-10-31T22:00:00Z,2026-11-01T02:00:00Z,false,\n"
        "i2,2026-11-10T00:00:00Z,2026-11-10T10:00:00Z,false,2026-11-10T00:20:00Z\n"
        "i3,2026-11-11T00:00:00Z,2026-11-12T00:00:00Z,true,2026-11-11T05:00:00Z\n"
        "i4,2026-11-12T00:00:00Z,2026-11-12T00:25:00Z,false,2026-11-12T01:00:00Z\n"
    )
    report = json.loads(_run(files, "--incidents", str(files["incidents"])).stdout)
    assert report["metrics"]["ticket-response-minutes"] == 25.0
    assert "ticket-response-minutes" not in {v["metric"] for v in report["violations"]}
    # A ticket nobody answered by the period's end counts until then: 1 h 30 min.
    with files["incidents"].open("a") as more:
        more.write("i5,2026-11-30T22:30:00Z,,false,\n")
    report = json.loads(_run(files, "--incidents", str(files["incidents"])).stdout)
    assert report["metrics"]["ticket-response-minutes"] == 90.0
    assert {"metric": "ticket-response-minutes", "objective": 30.0, "measured": 90.0} in report[
        "violations"
    ]
    files["incidents"].write_text(INCIDENTS.replace("excluded\n", "excluded,responded\n", 1))
    assert _run(files, "--incidents", str(files["incidents"])).returncode == 2  # 4 fields a row


def test_metrics_without_input_are_null_and_no_data(files: dict[str, Path]) -> None:
    report = json.loads(_run(files).stdout)
    assert report["metrics"]["mttr-minutes"] is None
    assert report["no-data"] == ["mttr-minutes", "provisioning-days"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"samples": SAMPLES + "2026-11-01T00:08:00Z,b,3\n"},
            "samples.csv: row 7: expected 4 fields",
        ),
        ({"samples": SAMPLES + "2026-11-01T25:00:00Z,b,3,1\n"}, "samples.csv: row 7: time"),
        ({"incidents": INCIDENTS + "i4,soon,,false\n"}, "incidents.csv: row 5: opened 'soon'"),
        ({"orders": "id,when\n"}, "orders.csv: row 1: header"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    files: dict[str, Path], change: dict[str, str], message: str
) -> None:
    for name, text in change.items():
        files[name].write_text(text)
    result = _run(files, "--incidents", str(files["incidents"]), "--orders", str(files["orders"]))
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_unknown_template_missing_file_and_bad_period(files: dict[str, Path]) -> None:
    unknown = _run(files, template="platinum")
    assert unknown.returncode == 2 and "no sla-template 'platinum'" in unknown.stderr
    files["samples"].unlink()
    missing = _run(files)
    assert missing.returncode == 2 and "samples.csv: No such file" in missing.stderr
    assert missing.stdout == ""


def test_sla_file_is_validated_against_the_yang_model(files: dict[str, Path]) -> None:
    document = json.loads(json.dumps(SLA))
    document["netsla-sla:sla-templates"]["sla-template"][0]["y1541-class"] = 9
    files["sla"].write_text(json.dumps(document))
    result = _run(files)
    assert result.returncode == 2 and result.stdout == ""
    assert "y1541-class" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_period_must_be_rfc3339_and_not_empty(files: dict[str, Path]) -> None:
    command = [NETSLA, "sla", "evaluate", "--sla", str(files["sla"]), "--template", "gold"]
    bad = subprocess.run(
        [*command, "--from", "tomorrow", "--to", TO, "--samples", str(files["samples"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "--from: 'tomorrow'" in bad.stderr
    empty = subprocess.run(
        [*command, "--from", TO, "--to", FROM, "--samples", str(files["samples"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert empty.returncode == 2 and "--to must be after --from" in empty.stderr
