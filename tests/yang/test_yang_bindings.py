"""The committed pyangbind bindings are what scripts/gen-bindings makes today."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pyangbind.lib.pybindJSON as pybind_json

import yang
from yang.bindings import l3vpn_svc, netsla_sla

ROOT = Path(__file__).resolve().parents[2]
BINDINGS = ROOT / "yang" / "bindings"


def test_committed_bindings_are_up_to_date(tmp_path: Path) -> None:
    subprocess.run([str(ROOT / "scripts" / "gen-bindings"), str(tmp_path)], check=True, cwd=ROOT)
    generated = sorted(p.name for p in tmp_path.glob("*.py"))
    assert generated == sorted(p.name for p in BINDINGS.glob("*.py"))
    stale = [n for n in generated if (tmp_path / n).read_text() != (BINDINGS / n).read_text()]
    assert not stale, f"stale bindings, run scripts/gen-bindings: {stale}"


def test_bindings_follow_the_deviations_and_the_augmentation() -> None:
    model = l3vpn_svc.ietf_l3vpn_svc()
    site = model.l3vpn_svc.sites.site.add("acme-hq")
    access = site.site_network_accesses.site_network_access.add("acme-hq-1")
    access.pe.device = "pe1"
    access.pe.port = "eth1"
    assert not hasattr(access, "bearer")  # deviate not-supported
    assert not hasattr(site, "vpn_policies")
    assert hasattr(model.l3vpn_svc.vpn_services.vpn_service.add("v"), "sla_template")


def test_sla_binding_encodes_rfc7951_decimals_as_strings() -> None:
    model = netsla_sla.netsla_sla()
    gold = model.sla_templates.sla_template.add("gold")
    gold.objectives.loss_ratio = "0.0001"
    text = pybind_json.dumps(model, mode="ietf")
    assert '"loss-ratio": "0.0001"' in text
    assert yang.YANG_DIR.joinpath("netsla-sla.yang").exists()
