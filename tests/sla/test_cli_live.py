"""``netsla sla load/bind/run/status/report``, ``netsla incident``, ``netsla alarm`` as
subprocesses over a SQLite store; the HTML report rendered by headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from controller.store import open_store
from controller.store.sla import SlaRepository

NETSLA = str(Path(sys.executable).with_name("netsla"))
SLA = {
    "netsla-sla:sla-templates": {
        "sla-template": [
            {
                "name": "gold",
                "objectives": {
                    "delay-ms": "30",
                    "availability-percent": "99.9",
                    "mttr-minutes": "30",
                },
                "credits": {
                    "credit": [
                        {"metric": "delay-ms", "credit-percent": "5"},
                        {"metric": "mttr-minutes", "credit-percent": "10"},
                    ]
                },
            }
        ]
    }
}


def _samples() -> str:
    rows = ["time,probe,seq,delay_ms"]
    for minute in range(0, 180):
        delay = "" if 60 <= minute < 63 else ("45" if minute >= 120 else "12")
        rows.append(f"2026-11-03T{minute // 60:02d}:{minute % 60:02d}:00Z,s1-s2,{minute},{delay}")
    return "\n".join(rows) + "\n"


def netsla(tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NETSLA_DATABASE": f"sqlite:///{tmp_path / 'netsla.db'}"}
    done = subprocess.run([NETSLA, *args], capture_output=True, text=True, env=env, check=False)
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def bound(tmp_path: Path) -> Path:
    (tmp_path / "sla.json").write_text(json.dumps(SLA), encoding="utf-8")
    (tmp_path / "samples.csv").write_text(_samples(), encoding="utf-8")
    netsla(tmp_path, "sla", "load", "--sla", str(tmp_path / "sla.json"))
    netsla(
        tmp_path,
        "sla",
        "bind",
        "--service",
        "vpn1",
        "--customer",
        "acme",
        "--template",
        "gold",
        "--access",
        "s1:pe1:eth1:s1-s2",
        "--at",
        "2026-11-01T00:00:00Z",
    )
    return tmp_path


def test_incidents_by_hand_and_a_round_with_alarms(bound: Path) -> None:
    opened = netsla(
        bound,
        "incident",
        "open",
        "--service",
        "vpn1",
        "--at",
        "2026-11-03T00:00:00Z",
        "--text",
        "fibre cut",
        "--format",
        "json",
    )
    [incident] = json.loads(opened.stdout)
    assert incident["responded"] is None
    ident = str(incident["id"])
    responded = netsla(bound, "incident", "respond", ident, "--at", "2026-11-03T00:10:00Z")
    assert "2026-11-03T00:10:00Z" in responded.stdout
    again = netsla(bound, "incident", "respond", ident, check=False)
    assert again.returncode == 2 and "already responded to" in again.stderr
    netsla(bound, "incident", "clear", str(incident["id"]), "--at", "2026-11-03T01:00:00Z")
    rounds = netsla(
        bound,
        "sla",
        "run",
        "--at",
        "2026-11-03T03:00:00Z",
        "--samples",
        str(bound / "samples.csv"),
        "--format",
        "json",
    )
    [row] = json.loads(rounds.stdout)
    # Delay: 117 minutes at 12 ms and 60 at 45 ms (3 lost) -> mean 23.19 ms, at risk;
    # mttr 60 minutes > 30: a violation with a 10 % credit.
    assert (row["violations"], row["credit-percent"]) == (["mttr-minutes"], 10.0)
    alarms = json.loads(netsla(bound, "alarm", "list", "--format", "json").stdout)
    listed = alarms["netsla-sla:alarms"]["alarm-list"]["alarm"]
    assert {(a["alarm-type-id"], a["alarm-type-qualifier"]) for a in listed} == {
        ("netsla-sla:sla-violation", "mttr-minutes"),
        ("netsla-sla:sla-at-risk", "delay-ms"),
    }
    netsla(bound, "incident", "exclude", str(incident["id"]))
    netsla(
        bound, "sla", "run", "--at", "2026-11-03T03:05:00Z", "--samples", str(bound / "samples.csv")
    )
    status = json.loads(netsla(bound, "sla", "status", "--format", "json").stdout)
    assert [(s["service"], s["violations"], s["alarms"]) for s in status] == [("vpn1", [], 1)]
    table = netsla(bound, "incident", "list").stdout
    assert "fibre cut" in table and "True" in table


def test_bad_input_is_one_line_and_exit_2(bound: Path) -> None:
    for args in (
        ["incident", "clear", "999"],
        ["sla", "report", "--customer", "nobody", "--period", "2026-11"],
        ["sla", "report", "--customer", "acme", "--period", "2026-13"],
        [
            "sla",
            "bind",
            "--service",
            "x",
            "--customer",
            "c",
            "--template",
            "gold",
            "--access",
            "s1:pe1",
        ],
    ):
        done = netsla(bound, *args, check=False)
        assert done.returncode == 2, args
        assert done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_load_stores_tiers_and_customers_for_later_documents(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    loaded = netsla(tmp_path, "sla", "load", "--sla", str(examples / "sla-templates.json"))
    assert loaded.stdout.strip() == (
        "stored 3 SLA template(s): bronze, gold, silver; 3 tier(s): bronze, gold, silver"
    )
    # A file of customers alone names tiers the store now holds.
    customers = {
        "netsla-sla:customers": {
            "customer": [{"name": "initech", "tier": "bronze"}, {"name": "acme", "tier": "gold"}]
        }
    }
    (tmp_path / "customers.json").write_text(json.dumps(customers), encoding="utf-8")
    more = netsla(tmp_path, "sla", "load", "--sla", str(tmp_path / "customers.json"))
    assert more.stdout.strip() == "stored 2 customer(s): acme, initech"
    # A customer of a tier that is neither given nor stored is refused, and nothing stored.
    customers["netsla-sla:customers"]["customer"] = [{"name": "hooli", "tier": "platinum"}]
    (tmp_path / "bad.json").write_text(json.dumps(customers), encoding="utf-8")
    bad = netsla(tmp_path, "sla", "load", "--sla", str(tmp_path / "bad.json"), check=False)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert "bad.json" in bad.stderr and "tier" in bad.stderr
    store = open_store(f"sqlite:///{tmp_path / 'netsla.db'}")
    try:
        with store.session() as session:
            stored = SlaRepository(session).catalog_entries("customer")
    finally:
        store.close()
    assert stored == [{"name": "acme", "tier": "gold"}, {"name": "initech", "tier": "bronze"}]


def test_catalog_shows_what_is_stored_and_loads_back(tmp_path: Path) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    assert netsla(tmp_path, "sla", "catalog", "--format", "json").stdout.strip() == "{}"
    assert "nothing stored" in netsla(tmp_path, "sla", "catalog").stdout
    documents = [examples / "sla-templates.json", examples / "globex-silver-hub-spoke.json"]
    for path in documents:
        data = json.loads(path.read_text())
        data.pop("ietf-l3vpn-svc:l3vpn-svc", None)  # the netsla-sla part only
        (tmp_path / path.name).write_text(json.dumps(data), encoding="utf-8")
        netsla(tmp_path, "sla", "load", "--sla", str(tmp_path / path.name))
    table = netsla(tmp_path, "sla", "catalog").stdout.splitlines()
    assert "customer      globex  tier silver" in table
    assert "tier          gold    rank 1, default template gold" in table
    gold = next(line for line in table if line.startswith("sla-template  gold"))
    assert "delay-ms 30," in gold  # as written, though validation gives 30.0
    exported = netsla(tmp_path, "sla", "catalog", "--format", "json").stdout
    (tmp_path / "catalog.json").write_text(exported, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    netsla(elsewhere, "sla", "load", "--sla", str(tmp_path / "catalog.json"))
    assert netsla(elsewhere, "sla", "catalog", "--format", "json").stdout == exported


def test_json_report(bound: Path) -> None:
    done = netsla(
        bound,
        "sla",
        "report",
        "--customer",
        "acme",
        "--period",
        "2026-11",
        "--format",
        "json",
        "--samples",
        str(bound / "samples.csv"),
    )
    report = json.loads(done.stdout)
    [service] = report["services"]
    assert (report["from"], report["to"]) == ("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")
    assert service["metrics"]["delay-ms"] == pytest.approx((117 * 12 + 60 * 45) / 177)
    assert service["violations"] == []
    assert set(service["probes"]) == {"s1-s2", "reachability:s1"}
    assert service["probes"]["reachability:s1"]["delay-ms"] is None


CHROMIUM = shutil.which("chromium")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (scripts/setup)")
def test_html_report_renders_in_headless_chromium(bound: Path) -> None:
    page = bound / "report.html"
    netsla(
        bound,
        "sla",
        "report",
        "--customer",
        "acme",
        "--period",
        "2026-11",
        "--output",
        str(page),
        "--samples",
        str(bound / "samples.csv"),
    )
    assert CHROMIUM is not None
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={bound / 'chromium'}",
        "--enable-logging=stderr",
        "--v=0",
    ]
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    shot = bound / "report.png"
    subprocess.run(
        [CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1200,3000", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert dom.stdout.count("<svg") == 3
    assert "Service vpn1" in dom.stdout and "objective 30 ms" in dom.stdout
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    assert shot.stat().st_size > 10_000
