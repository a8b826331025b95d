"""Renderer of the lab router: golden payloads and the shape of what it renders."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from controller.diff import diff_configs
from controller.errors import InputError
from controller.render import render_service
from controller.render.l3sm import DocumentError, SiteRole, Topology, services_from_document
from controller.render.netsla_router import SCHEMA
from controller.render.resources import (
    PoolName,
    ProbeProfile,
    Request,
    Resources,
    resource_requests,
)
from controller.render.tree import NodeId, config_to_json
from controller.render.xml import edit_payload

PLATFORMS = {"pe1": "netsla-router", "pe2": "netsla-router", "pe3": "netsla-router"}
SLA = {"gold": ProbeProfile(interval_seconds=5, packets=20, dscp=46)}


def fake_resources(requests: list[Request]) -> Resources:
    """Deterministic values: 100 + position within each pool."""
    counters: dict[PoolName, int] = {}
    values = {}
    for request in requests:
        counters[request.pool] = counters.get(request.pool, 0) + 1
        values[request] = 100 + counters[request.pool]
    return Resources(values=values)


def render_doc(doc: dict[str, Any]) -> dict[str, Any]:
    (service,) = services_from_document(doc)
    resources = fake_resources(resource_requests(service))
    return render_service(service, platforms=PLATFORMS, resources=resources, sla=SLA)


def test_acme_renders_golden(document: Callable[[str], dict[str, Any]], golden: Any) -> None:
    rendered = render_doc(document("acme.json"))
    golden.json("acme-render.json", {d: config_to_json(c) for d, c in rendered.items()})
    for device, config in rendered.items():
        payload = edit_payload(SCHEMA, diff_configs({}, config, schema=SCHEMA))
        golden.xml(f"acme-create-{device}.xml", payload)


def test_any_to_any_vrf_imports_and_exports_one_target(
    document: Callable[[str], dict[str, Any]],
) -> None:
    rendered = render_doc(document("acme.json"))
    vrfs = [c[NodeId("vrf", ("acme",))] for c in rendered.values()]
    assert len(vrfs) == 3
    assert all(v == vrfs[0] for v in vrfs)
    assert vrfs[0]["route-targets/import"] == vrfs[0]["route-targets/export"]


def test_bandwidth_becomes_shared_named_policies(
    document: Callable[[str], dict[str, Any]],
) -> None:
    rendered = render_doc(document("acme.json"))
    sub = next(v for n, v in rendered["pe1"].items() if n.kind == "subinterface")
    # svc-output-bandwidth (site to provider) polices what the PE receives.
    assert sub["qos-input"] == "cir-10000k"
    assert sub["qos-output"] == "cir-20000k"
    assert rendered["pe1"][NodeId("policy", ("cir-20000k",))]["rate-kbps"] == "20000"


def test_sla_template_gives_probes_to_every_other_site(
    document: Callable[[str], dict[str, Any]],
) -> None:
    rendered = render_doc(document("acme.json"))
    probes = [v for n, v in rendered["pe2"].items() if n.kind == "probe"]
    assert sorted(p["target"] for p in probes) == ["10.1.1.2", "10.1.3.2"]
    assert {p["dscp"] for p in probes} == {"46"}


def test_hub_and_spoke_uses_two_targets(
    document: Callable[[str], dict[str, Any]], golden: Any
) -> None:
    doc = copy.deepcopy(document("acme.json"))
    root = doc["ietf-l3vpn-svc:l3vpn-svc"]
    root["vpn-services"]["vpn-service"][0]["vpn-service-topology"] = "ietf-l3vpn-svc:hub-spoke"
    roles = ["hub-role", "spoke-role", "spoke-role"]
    for site, role in zip(root["sites"]["site"], roles, strict=True):
        access = site["site-network-accesses"]["site-network-access"][0]
        access["vpn-attachment"]["site-role"] = f"ietf-l3vpn-svc:{role}"
    (service,) = services_from_document(doc)
    assert service.vpn.topology == Topology.HUB_SPOKE
    assert sorted(a.role for a in service.accesses) == [
        SiteRole.HUB,
        SiteRole.SPOKE,
        SiteRole.SPOKE,
    ]
    rendered = render_doc(doc)
    hub = rendered["pe1"][NodeId("vrf", ("acme-hub",))]
    spoke = rendered["pe2"][NodeId("vrf", ("acme-spoke",))]
    assert hub["route-targets/import"] == spoke["route-targets/export"]
    assert hub["route-targets/export"] == spoke["route-targets/import"]
    assert hub["rd"] != spoke["rd"]
    # Spokes measure the hub only, not each other.
    probes = [v for n, v in rendered["pe2"].items() if n.kind == "probe"]
    assert [p["target"] for p in probes] == ["10.1.1.2"]
    golden.json("acme-hub-spoke-render.json", {d: config_to_json(c) for d, c in rendered.items()})


def test_device_not_in_inventory_is_refused(document: Callable[[str], dict[str, Any]]) -> None:
    (service,) = services_from_document(document("acme.json"))
    resources = fake_resources(resource_requests(service))
    with pytest.raises(InputError, match=r"pe3.*not in the inventory"):
        render_service(
            service,
            platforms={"pe1": "netsla-router", "pe2": "netsla-router"},
            resources=resources,
            sla=SLA,
        )


def test_document_without_vpn_service_is_refused() -> None:
    with pytest.raises(DocumentError, match="no vpn-service"):
        services_from_document({"ietf-l3vpn-svc:l3vpn-svc": {"sites": {}}})


def test_site_of_foreign_vpn_joins_the_only_service(
    document: Callable[[str], dict[str, Any]],
) -> None:
    doc = copy.deepcopy(document("acme.json"))
    root = doc["ietf-l3vpn-svc:l3vpn-svc"]
    root["vpn-services"]["vpn-service"][0]["vpn-id"] = "acme-voice"
    first = root["sites"]["site"][0]["site-network-accesses"]["site-network-access"][0]
    first["vpn-attachment"]["vpn-id"] = "acme-voice"
    (service,) = services_from_document(doc)
    assert service.service_id == "acme-voice"
    assert service.vpn_ids == ("acme-voice", "acme")
