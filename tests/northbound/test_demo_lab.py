"""``netsla demo`` on the lab, end to end, as a user runs it.

The demo provisions the example customers, measures their VPNs through the
lab's dataplane, impairs the core link only acme's gold sites use, and asks
over gRPC.  What it leaves must say: acme's gold SLA breached on delay,
globex's untouched, every measured site pair answered, the link clear
again, the demo's token revoked, and the reports written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from lab import api
from lab.state import LabState

pytestmark = pytest.mark.lab
NETSLA = str(Path(sys.executable).parent / "netsla")


def _netsla(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NETSLA, *args], capture_output=True, text=True, check=False, timeout=timeout
    )


def _json(*args: str) -> Any:
    result = _netsla(*args, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_demo_breaches_only_the_impaired_customers_sla_and_reports(
    lab: LabState, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'demo.db'}"
    where = ("--database", database, "--inventory", str(lab.inventory))
    run = _netsla(
        "demo",
        "--lab",
        lab.name,
        "--port-base",
        str(lab.port_base),
        "--database",
        database,
        "--seconds",
        "10",
        "--reports",
        str(tmp_path),
        "--keep-lab",  # the session's lab: other tests use it after this one
        timeout=600,
    )
    try:
        assert run.returncode == 0, run.stderr[-3000:]
        assert "Traceback" not in run.stderr
        status = {row["service"]: row for row in _json("sla", "status", "--database", database)}
        acme, globex = status["acme-corp"], status["globex-retail"]
        assert "delay-ms" in acme["violations"]
        assert float(acme["credit-percent"]) > 0
        assert globex["violations"] == []
        assert "availability-percent" not in acme["no-data"] + globex["no-data"]
        # MTTR has its ticket: opened with the impairment, closed with the repair
        assert "mttr-minutes" not in acme["no-data"]
        # the northbound chapter: acme sees its own SLA and not globex's
        assert "services/acme-corp (customers/acme, gold)" in run.stdout
        assert "PERMISSION_DENIED" in run.stdout
        tokens = _json("token", "list", "--database", database)
        assert tokens and all(t["revoked"] for t in tokens)
        assert all(value is None for value in api.impairments_of(lab.name).values())
        for customer in ("acme", "globex"):
            (report,) = tmp_path.glob(f"demo-{customer}-*.html")
            assert customer in report.read_text()
    finally:
        _netsla("service", "delete", "acme-corp", "globex-retail", *where)
