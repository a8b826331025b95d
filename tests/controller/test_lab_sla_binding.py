"""Service apply binds each service to its SLA: customer, template, probes on its PEs;
and keeps the SLA catalog, so that a service document then applies alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controller.store import open_store
from controller.store.sla import SlaRepository
from lab.state import LabState
from tests.controller.labharness import Harness
from tests.controller.test_lab_drift import EXAMPLES, Cli

pytestmark = pytest.mark.lab


def test_apply_binds_services_with_the_probes_on_their_routers(
    harness: Harness, lab: LabState, tmp_path: Path
) -> None:
    run = Cli(lab, tmp_path)
    before = harness.running()
    documents = [
        str(EXAMPLES / name) for name in ("sla-templates.json", "acme-gold-any-to-any.json")
    ]
    run("service", "apply", *documents)
    running = harness.running()

    # The store now keeps the templates, tiers and customers: the service
    # document alone applies (nothing to send), and so does a change to it.
    assert run("service", "apply", documents[1])["devices"] == {}
    changed = json.loads(Path(documents[1]).read_text())
    del changed["netsla-sla:customers"]  # the service alone
    site = changed["ietf-l3vpn-svc:l3vpn-svc"]["sites"]["site"][0]
    access = site["site-network-accesses"]["site-network-access"][0]
    access["service"]["svc-input-bandwidth"] = "50000000"
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    planned = run("service", "apply", str(tmp_path / "changed.json"), "--dry-run")
    assert list(planned["devices"]) == [access["netsla-l3vpn-svc-ext:pe"]["device"]]

    store = open_store(f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        with store.session() as session:
            repo = SlaRepository(session)
            (binding,) = repo.bindings()
            names = sorted(entry["name"] for entry in repo.template_entries())
            tiers = sorted(entry["name"] for entry in repo.catalog_entries("tier"))
            customers = repo.catalog_entries("customer")
            order = repo.order("acme-corp")
    finally:
        store.close()
    # Time to provide (ITU-T E.800): ordered when first submitted, delivered
    # when its transaction committed on every device, tens of ms later.
    assert order is not None and order.delivered_us is not None
    assert 0 < order.delivered_us - order.ordered_us < 60_000_000
    assert (binding.service_id, binding.customer, binding.template) == ("acme-corp", "acme", "gold")
    assert names == tiers == ["bronze", "gold", "silver"]
    assert [(c["name"], c["tier"]) for c in customers] == [("acme", "gold")]
    assert sorted(a.device for a in binding.accesses) == ["pe1", "pe2", "pe3"]
    for access in binding.accesses:
        # Any-to-any over three sites: each access probes the two others,
        # with the gold template's measurement settings, on its own PE.
        assert len(access.probes) == 2
        for probe in access.probes:
            leaves = running[access.device][f"probe[{probe}]"]
            assert leaves["interval-seconds"] == "5"
            assert leaves["packets"] == "20"
            assert leaves["dscp"] == "46"

    run("service", "delete", "acme-corp")
    assert harness.running() == before
    store = open_store(f"sqlite:///{tmp_path / 'cli.db'}")
    try:
        with store.session() as session:
            repo = SlaRepository(session)
            # The service's SLA records went with it (its order among them).
            assert repo.bindings() == []
            assert repo.order("acme-corp") is None
            assert repo.results() == repo.alarms() == []
    finally:
        store.close()
