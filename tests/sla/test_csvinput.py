from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sla_helpers import us

from controller.sla.csvinput import read_incidents, read_orders, read_samples
from controller.sla.errors import SlaInputError

HEADER = "time,probe,seq,delay_ms\n"


def _write(tmp_path: Path, text: str, name: str = "samples.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _columns(path: Path, **kwargs: int) -> tuple[list[int], list[str], list[float]]:
    times: list[int] = []
    probes: list[str] = []
    delays: list[float] = []
    for chunk in read_samples(path, **kwargs):
        times += chunk.time_us.tolist()
        probes += [chunk.probe_names[i] for i in chunk.probe_index]
        delays += [-1.0 if np.isnan(d) else d for d in chunk.delay_ms.tolist()]
    return times, probes, delays


ROWS = (
    "2026-11-01T00:00:00Z,pe1-pe2,1,10.5\n"
    "2026-11-01T00:00:01.25Z,pe2-pe3,2,\n"
    "\n"
    "2026-11-01T01:00:02+01:00,pe1-pe2,3,1e1\n"
)


def test_reads_columns_lost_packets_and_zones(tmp_path: Path) -> None:
    times, probes, delays = _columns(_write(tmp_path, HEADER + ROWS))
    assert times == [
        us("2026-11-01T00:00:00Z"),
        us("2026-11-01T00:00:01.25Z"),
        us("2026-11-01T00:00:02Z"),
    ]
    assert probes == ["pe1-pe2", "pe2-pe3", "pe1-pe2"]
    assert delays == [10.5, -1.0, 10.0]


def test_small_blocks_crlf_and_quoted_fields_read_the_same(tmp_path: Path) -> None:
    expected = _columns(_write(tmp_path, HEADER + ROWS))
    assert _columns(_write(tmp_path, HEADER + ROWS), block_bytes=7) == expected
    crlf = (HEADER + ROWS).replace("\n", "\r\n")
    assert _columns(_write(tmp_path, crlf)) == expected
    quoted = HEADER + ROWS.replace(",pe2-pe3,", ',"pe2-pe3",')
    assert _columns(_write(tmp_path, quoted)) == expected
    no_final_newline = HEADER + ROWS.rstrip("\n")
    assert _columns(_write(tmp_path, no_final_newline), block_bytes=16) == expected


@pytest.mark.parametrize(
    ("body", "row", "problem"),
    [
        ("2026-11-01T00:00:00Z,a,1\n", 2, "expected 4 fields, found 3"),
        ("2026-11-01T00:00:00Z,a,1,2\n2026-11-01T00:00:00Z,a,1,2,3\n", 3, "found 5"),
        ("2026-11-01T00:00:00Z,a,1,2\n\n2026-11-31T00:00:00Z,a,1,2\n", 4, "not an RFC 3339"),
        ("2026-11-01 00:00:00,a,1,2\n", 2, "not an RFC 3339"),
        ("2026-11-01T00:00:00Z,a,x1,2\n", 2, "seq 'x1'"),
        ("2026-11-01T00:00:00Z,a,-1,2\n", 2, "seq '-1'"),
        ("2026-11-01T00:00:00Z,a,1,fast\n", 2, "delay_ms 'fast'"),
        ("2026-11-01T00:00:00Z,a,1,1.2.3\n", 2, "delay_ms '1.2.3'"),
        ("2026-11-01T00:00:00Z,a,1,-4\n", 2, "non-negative"),
        ("2026-11-01T00:00:00Z,,1,4\n", 2, "probe is empty"),
        ('2026-11-01T00:00:00Z,"a,1,4\n', 2, "bad CSV"),
        ('2026-11-01T00:00:00Z,"a",1,4\n2026-11-01T00:00:00Z,a,1\n', 3, "found 3"),
    ],
)
def test_bad_rows_name_file_and_row(tmp_path: Path, body: str, row: int, problem: str) -> None:
    path = _write(tmp_path, HEADER + body)
    with pytest.raises(SlaInputError, match=problem) as caught:
        _columns(path, block_bytes=32)
    assert caught.value.row == row
    assert str(caught.value).startswith(f"{path}: row {row}: ")


def test_bad_header_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SlaInputError, match="row 1: header must be time,probe,seq,delay_ms"):
        _columns(_write(tmp_path, "time,probe,delay\n"))
    with pytest.raises(SlaInputError, match="No such file"):
        _columns(tmp_path / "missing.csv")


def test_incidents_and_orders(tmp_path: Path) -> None:
    incidents = read_incidents(
        _write(
            tmp_path,
            (
                "id,opened,cleared,excluded\n"
                "i1,2026-11-01T00:00:00Z,2026-11-01T01:00:00Z,false\n"
                "i2,2026-11-02T00:00:00Z,,true\n"
            ),
            "incidents.csv",
        )
    )
    assert [(i.id, i.cleared_us is None, i.excluded) for i in incidents] == [
        ("i1", False, False),
        ("i2", True, True),
    ]
    orders = read_orders(
        _write(tmp_path, "id,ordered,delivered\no1,2026-10-01T00:00:00Z,\n", "orders.csv")
    )
    assert orders[0].delivered_us is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("i1,2026-11-01T00:00:00Z,2026-11-01T01:00:00Z,maybe\n", "excluded 'maybe'"),
        ("i1,yesterday,,false\n", "opened 'yesterday'"),
        ("i1,2026-11-02T00:00:00Z,2026-11-01T00:00:00Z,false\n", "cleared is before opened"),
        ("i1,2026-11-02T00:00:00Z\n", "expected 4 fields"),
    ],
)
def test_bad_incident_rows(tmp_path: Path, body: str, problem: str) -> None:
    path = _write(tmp_path, "id,opened,cleared,excluded\ni0,2026-11-01T00:00:00Z,,false\n" + body)
    with pytest.raises(SlaInputError, match=f"row 3: {problem}"):
        read_incidents(path)
