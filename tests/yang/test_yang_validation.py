"""Validation against netsla's module set: one test per kind of constraint,
each asserting the stable code and the YANG data path of the problem."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import EXAMPLE_FILES

from controller.validation import (
    DocFormat,
    Document,
    Limits,
    ProblemCode,
    ValidationFailed,
    render,
    validate_document,
    validate_documents,
    validated_data,
)

L3 = "ietf-l3vpn-svc:l3vpn-svc"
VPN = "/ietf-l3vpn-svc:l3vpn-svc/vpn-services/vpn-service[vpn-id='acme-corp']"
SITE = "/ietf-l3vpn-svc:l3vpn-svc/sites/site[site-id='acme-hq']"
ACCESS = SITE + "/site-network-accesses/site-network-access[site-network-access-id='acme-hq-1']"
GOLD = "/netsla-sla:sla-templates/sla-template[name='gold']"


def access(doc: dict[str, Any], index: int = 0) -> dict[str, Any]:
    site = doc[L3]["sites"]["site"][index]
    entry: dict[str, Any] = site["site-network-accesses"]["site-network-access"][0]
    return entry


def gold(doc: dict[str, Any]) -> dict[str, Any]:
    template: dict[str, Any] = doc["netsla-sla:sla-templates"]["sla-template"][0]
    return template


def deep_merge(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and key in target:
            deep_merge(target[key], value)
        elif isinstance(value, list) and key in target:
            target[key].extend(value)
        else:
            target[key] = value


def problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    result = validate_document(json.dumps(doc), fmt=DocFormat.JSON, source="doc.json")
    assert all(p.file == "doc.json" for p in result.problems)
    return [(str(p.code), p.path) for p in result.problems]


def test_the_fixture_document_is_valid(valid: dict[str, Any]) -> None:
    assert problems(valid) == []


def test_wrong_type(valid: dict[str, Any]) -> None:
    access(valid)["service"]["svc-input-bandwidth"] = "fast"
    assert problems(valid) == [("invalid-type", ACCESS + "/service/svc-input-bandwidth")]


def test_pattern(valid: dict[str, Any]) -> None:
    access(valid)["ip-connection"]["ipv4"]["addresses"]["customer-address"] = "10.1.1"
    path = ACCESS + "/ip-connection/ipv4/addresses/customer-address"
    assert problems(valid) == [("pattern-mismatch", path)]


def test_range_negative_objective(valid: dict[str, Any]) -> None:
    gold(valid)["objectives"]["mttr-minutes"] = "-5.0"
    assert problems(valid) == [("out-of-range", GOLD + "/objectives/mttr-minutes")]


def test_length(valid: dict[str, Any]) -> None:
    access(valid)["netsla-l3vpn-svc-ext:pe"]["port"] = "e" * 16
    assert problems(valid) == [("length-mismatch", ACCESS + "/netsla-l3vpn-svc-ext:pe/port")]


def test_mandatory_gold_tier_without_sla_template(valid: dict[str, Any]) -> None:
    del valid["netsla-sla:tiers"]["tier"][0]["default-sla-template"]
    path = "/netsla-sla:tiers/tier[name='gold']/default-sla-template"
    assert problems(valid) == [("missing-mandatory", path)]


def test_mandatory_choice_names_the_instance(valid: dict[str, Any]) -> None:
    del access(valid, 1)["netsla-l3vpn-svc-ext:pe"]
    path = SITE.replace("acme-hq", "acme-plant") + (
        "/site-network-accesses/site-network-access[site-network-access-id='acme-plant-1']"
        "/netsla-l3vpn-svc-ext:pe/placement"
    )
    assert problems(valid) == [("missing-mandatory", path)]


def test_leafref_site_attached_to_a_vpn_that_does_not_exist(valid: dict[str, Any]) -> None:
    access(valid)["vpn-attachment"]["vpn-id"] = "acme-typo"
    assert problems(valid) == [("dangling-leafref", ACCESS + "/vpn-attachment/vpn-id")]


def test_must_with_the_modules_error_message(valid: dict[str, Any]) -> None:
    valid[L3]["vpn-services"]["vpn-service"][0]["customer-name"] = "initech"
    result = validate_document(json.dumps(valid), fmt=DocFormat.JSON)
    assert [(p.code, p.path) for p in result.problems] == [
        (ProblemCode.MUST_VIOLATION, VPN + "/customer-name")
    ]
    assert "names no customer" in result.problems[0].message


def test_when(valid: dict[str, Any]) -> None:
    static = access(valid, 2)["routing-protocols"]["routing-protocol"][0]
    static["bgp"] = {"autonomous-system": 65000, "address-family": ["ipv4"]}
    site = SITE.replace("acme-hq", "acme-depot")
    path = (
        f"{site}/site-network-accesses/site-network-access[site-network-access-id='acme-depot-1']"
        "/routing-protocols/routing-protocol[type='ietf-l3vpn-svc:static']/bgp"
    )
    assert problems(valid) == [("when-violation", path)]


def test_duplicate_key(valid: dict[str, Any]) -> None:
    valid[L3]["vpn-services"]["vpn-service"].append(
        {"vpn-id": "acme-corp", "customer-name": "acme"}
    )
    assert problems(valid) == [("duplicate-key", VPN)]


def test_unique(valid: dict[str, Any]) -> None:
    valid["netsla-sla:tiers"]["tier"][2]["rank"] = 2
    # The later entry (bronze) breaks the uniqueness that gold..silver kept.
    assert problems(valid) == [("unique-violation", "/netsla-sla:tiers/tier[name='bronze']")]


def test_unknown_node_and_not_supported_node(valid: dict[str, Any]) -> None:
    valid[L3]["sites"]["site"][0]["security"] = {}
    assert problems(valid) == [("unknown-node", SITE + "/security")]


def test_every_problem_is_reported_at_once(valid: dict[str, Any]) -> None:
    gold(valid)["objectives"]["delay-ms"] = "-1.0"
    access(valid)["service"]["svc-mtu"] = 99999
    access(valid, 1)["vpn-attachment"]["vpn-id"] = "nowhere"
    del valid["netsla-sla:customers"]["customer"][0]["tier"]
    codes = {code for code, _ in problems(valid)}
    assert codes == {"out-of-range", "dangling-leafref", "missing-mandatory"}
    assert len(problems(valid)) == 4


def test_a_removed_node_does_not_cause_follow_up_problems(valid: dict[str, Any]) -> None:
    # The tier leaf goes (dangling); "tier is missing" must not follow.
    valid["netsla-sla:customers"]["customer"][0]["tier"] = "diamond"
    assert problems(valid) == [
        ("dangling-leafref", "/netsla-sla:customers/customer[name='acme']/tier")
    ]


def test_documents_are_validated_together_and_problems_name_their_file() -> None:
    docs = [Document(f.read_bytes(), DocFormat.JSON, f.name) for f in EXAMPLE_FILES]
    assert validate_documents(docs).ok
    alone = validate_documents([d for d in docs if d.source == "acme-gold-any-to-any.json"])
    assert {p.file for p in alone.problems} == {"acme-gold-any-to-any.json"}
    assert ("dangling-leafref", "/netsla-sla:customers/customer[name='acme']/tier") in {
        (str(p.code), p.path) for p in alone.problems
    }


def test_the_examples_validate_and_round_trip_through_xml() -> None:
    docs = [Document(f.read_bytes(), DocFormat.JSON, f.name) for f in EXAMPLE_FILES]
    data = validated_data(docs)
    merged: dict[str, Any] = {}
    for f in EXAMPLE_FILES:
        deep_merge(merged, json.loads(f.read_text()))
    assert data == merged  # lossless: the validated data is what was written
    xml = render(data, DocFormat.XML)
    back = validate_document(xml, fmt=DocFormat.XML, source="round-trip.xml")
    assert back.ok, back.problems
    assert back.data == data
    assert json.loads(render(back.data, DocFormat.JSON)) == data


def test_validated_data_raises_with_all_problems(valid: dict[str, Any]) -> None:
    gold(valid)["objectives"]["delay-ms"] = "-1.0"
    with pytest.raises(ValidationFailed) as raised:
        validated_data([Document(json.dumps(valid), DocFormat.JSON)])
    assert isinstance(raised.value, ValueError)
    assert [p.code for p in raised.value.problems] == [ProblemCode.OUT_OF_RANGE]


def test_size_limit(valid: dict[str, Any]) -> None:
    text = json.dumps(valid)
    result = validate_document(text, fmt=DocFormat.JSON, limits=Limits(max_bytes=100))
    assert [p.code for p in result.problems] == [ProblemCode.DOCUMENT_TOO_LARGE]


def test_problem_budget_stops_with_an_explicit_problem(valid: dict[str, Any]) -> None:
    for site in range(3):
        access(valid, site)["service"]["svc-mtu"] = 99999
    result = validate_document(json.dumps(valid), fmt=DocFormat.JSON, limits=Limits(max_problems=2))
    assert [p.code for p in result.problems] == [
        ProblemCode.OUT_OF_RANGE,
        ProblemCode.OUT_OF_RANGE,
        ProblemCode.VALIDATION_STOPPED,
    ]


def test_a_5_mb_document_is_handled(valid: dict[str, Any]) -> None:
    sites = valid[L3]["sites"]["site"]
    template = json.dumps(sites[0])
    for _ in range(5 * 1024 * 1024 // len(template) + 1):
        clone = json.loads(template)
        clone["site-id"] = f"s{len(sites)}"
        clone["site-network-accesses"]["site-network-access"][0]["netsla-l3vpn-svc-ext:pe"][
            "port"
        ] = f"eth{len(sites)}"
        sites.append(clone)
    sites[-1]["site-network-accesses"]["site-network-access"][0]["service"]["svc-mtu"] = 99999
    text = json.dumps(valid)
    assert len(text) > 5 * 1024 * 1024
    result = validate_document(text, fmt=DocFormat.JSON)
    assert [p.code for p in result.problems] == [ProblemCode.OUT_OF_RANGE]


def test_xml_problems_carry_paths() -> None:
    xml = (
        '<tiers xmlns="urn:netsla:yang:netsla-sla"><tier><name>gold</name><rank>x</rank>'
        "<default-sla-template>gold</default-sla-template></tier></tiers>"
    )
    result = validate_document(xml, fmt=DocFormat.XML)
    assert (ProblemCode.INVALID_TYPE, "/netsla-sla:tiers/tier[name='gold']/rank") in {
        (p.code, p.path) for p in result.problems
    }


def test_min_elements_a_site_needs_an_access(valid: dict[str, Any]) -> None:
    site = valid[L3]["sites"]["site"][0]
    site["site-network-accesses"]["site-network-access"] = []
    del site["site-network-accesses"]["site-network-access"]
    assert ("too-few-elements", SITE + "/site-network-accesses/site-network-access") in problems(
        valid
    )


def test_max_elements_at_most_16_accesses_per_site(valid: dict[str, Any]) -> None:
    accesses = valid[L3]["sites"]["site"][0]["site-network-accesses"]["site-network-access"]
    template = accesses[0]
    for n in range(2, 18):
        extra = json.loads(json.dumps(template))
        extra["site-network-access-id"] = f"acme-hq-{n}"
        accesses.append(extra)
    # libyang names the first entry past the bound.
    seventeenth = (
        SITE + "/site-network-accesses/site-network-access[site-network-access-id='acme-hq-17']"
    )
    assert problems(valid) == [("too-many-elements", seventeenth)]
