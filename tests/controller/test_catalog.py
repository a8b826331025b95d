"""The SLA side of service documents: template choice, probe settings, bindings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controller.render.netsla_router import probe_owner
from controller.render.resources import ProbeProfile, measured_pairs, probe_key
from controller.render.tree import NodeId
from controller.service import services_of
from controller.sla.catalog import (
    STORED_SOURCE,
    SlaCatalog,
    accesses_of,
    catalog_of,
    probes_of,
    store_catalog,
    with_stored_catalog,
)
from controller.store import open_store
from controller.store.sla import SlaRepository
from controller.validation import Document, validated_data
from controller.yangmodels import DataFormat

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def data() -> dict[str, object]:
    paths = sorted(EXAMPLES.glob("*.json"))
    return validated_data([Document(p.read_bytes(), DataFormat.JSON, str(p)) for p in paths])


def test_catalog_reads_templates_tiers_and_customers(data: dict[str, object]) -> None:
    catalog = catalog_of([data])
    assert sorted(catalog.templates) == ["bronze", "gold", "silver"]
    assert catalog.tier_templates == {"gold": "gold", "silver": "silver", "bronze": "bronze"}
    assert catalog.customer_tiers == {"acme": "gold", "globex": "silver"}


def test_template_comes_from_access_then_vpn_then_tier_then_binding(
    data: dict[str, object],
) -> None:
    catalog = catalog_of([data])
    services = services_of([data])
    acme, globex = services["acme-corp"], services["globex-retail"]
    assert acme.vpn.sla_template is None
    assert catalog.template_for(acme) == "gold"  # tier default
    hub = next(a for a in globex.accesses if a.sla_template)
    assert catalog.template_for(globex, hub) == "gold"  # the access's own override
    assert catalog.template_for(globex) == "silver"
    remembered = SlaCatalog(bound={"acme-corp": "bronze"})
    assert remembered.template_for(acme) == "bronze"  # nothing else names one
    assert SlaCatalog().template_for(acme) is None


def test_resolve_fills_the_vpn_template_so_the_renderer_measures(
    data: dict[str, object],
) -> None:
    acme = services_of([data])["acme-corp"]
    assert measured_pairs(acme) == []  # no template anywhere in the document itself
    resolved = catalog_of([data]).resolve(acme)
    assert resolved.vpn.sla_template == "gold"
    assert len(measured_pairs(resolved)) == 6  # any-to-any over three sites


def test_probe_profiles_follow_the_measurement_settings(data: dict[str, object]) -> None:
    profiles = catalog_of([data]).probe_profiles()
    assert profiles["gold"] == ProbeProfile(interval_seconds=5, packets=20, dscp=46)
    assert profiles["silver"] == ProbeProfile(interval_seconds=10, packets=10, dscp=34)
    assert profiles["bronze"] == ProbeProfile()


def test_probes_of_an_access_are_those_it_sends(data: dict[str, object]) -> None:
    acme = catalog_of([data]).resolve(services_of([data])["acme-corp"])
    hq = next(a for a in acme.accesses if a.site_id == "acme-hq")
    others = [t for s, t in measured_pairs(acme) if s == hq]
    footprint = {
        NodeId("probe", ("7",)): {"owner": probe_owner(probe_key(acme, hq, others[0]))},
        NodeId("probe", ("12",)): {"owner": probe_owner(probe_key(acme, hq, others[1]))},
        NodeId("probe", ("9",)): {"owner": "someone-else"},
        NodeId("vrf", ("acme-corp",)): {"rd": "65000:1"},
    }
    assert probes_of(acme, hq, footprint) == ("7", "12")
    views = {a.site: a for a in accesses_of(acme, {hq.device: footprint})}
    assert views["acme-hq"].probes == ("7", "12")
    assert views["acme-hq"].port == hq.port
    assert views["acme-plant"].probes == ()  # its device's footprint was not given


def test_the_stored_catalog_completes_the_documents_without_repeating_theirs(
    data: dict[str, object], tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'netsla.db'}")
    try:
        acme = EXAMPLES / "acme-gold-any-to-any.json"
        given = [Document(acme.read_bytes(), DataFormat.JSON, str(acme))]
        with store.session() as session:
            assert with_stored_catalog(session, given) == given  # nothing stored yet
            store_catalog(SlaRepository(session), catalog_of([data]))
        # A document redefining the gold tier (its member named with its
        # module prefix, as RFC 7951 allows) and one that is not JSON at all.
        tier = {"name": "gold", "rank": 1, "default-sla-template": "silver"}
        redefined = {"netsla-sla:tiers": {"netsla-sla:tier": [tier]}}
        more = [Document(json.dumps(redefined), DataFormat.JSON, "tiers.json")]
        more.append(Document(b"{", DataFormat.JSON, "broken.json"))
        with store.session() as session:
            stored, *rest = with_stored_catalog(session, [*given, *more])
        assert rest == [*given, *more] and stored.source == STORED_SOURCE
        completed = json.loads(stored.text)
        names = {
            kind: sorted(e["name"] for e in top[kind]) for top in completed.values() for kind in top
        }
        # acme's own entry and the gold tier come from the documents given.
        assert names == {
            "sla-template": ["bronze", "gold", "silver"],
            "tier": ["bronze", "silver"],
            "customer": ["globex"],
        }
        # Validated together, the given tier takes the stored one's place.
        merged = catalog_of([validated_data([stored, *given, more[0]])])
        assert merged.tier_templates == {"gold": "silver", "silver": "silver", "bronze": "bronze"}
        assert merged.customer_tiers == {"acme": "gold", "globex": "silver"}
    finally:
        store.close()
