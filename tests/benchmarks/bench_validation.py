"""Benchmark: validating 1,000 vpn-services and 3,000 sites in one document.

Run: ``.venv/bin/python tests/benchmarks/bench_validation.py``.  Target: under
2 s for the whole document.  Printed beside it, measured in the same run:
``json.loads`` of the same text (the floor of reading it at all) and
building the same data through the pyangbind bindings (the reference the
issue asks for; pyangbind checks types and patterns but not leafref, must,
when or mandatory).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from controller.validation import DocFormat, render, validate_document  # noqa: E402
from yang.bindings import l3vpn_svc  # noqa: E402

VPNS = 1_000
SITES_PER_VPN = 3
CUSTOMERS = 100


def _access(vpn: int, site: int) -> dict[str, Any]:
    n = vpn * SITES_PER_VPN + site
    return {
        "site-network-access-id": f"a{n}",
        "location-reference": "main",
        "ip-connection": {
            "ipv4": {
                "addresses": {
                    "provider-address": f"10.{n // 64 % 256}.{n % 64 * 4 // 256}.{n % 64 * 4 + 1}",
                    "customer-address": f"10.{n // 64 % 256}.{n % 64 * 4 // 256}.{n % 64 * 4 + 2}",
                    "prefix-length": 30,
                }
            }
        },
        "service": {
            "svc-input-bandwidth": "100000000",
            "svc-output-bandwidth": "100000000",
            "svc-mtu": 1500,
        },
        "vpn-attachment": {"vpn-id": f"vpn{vpn}"},
        "netsla-l3vpn-svc-ext:pe": {"device": f"pe{site + 1}", "port": f"eth{vpn % 200 + 1}"},
    }


def document() -> dict[str, Any]:
    templates = json.loads((ROOT / "examples" / "sla-templates.json").read_text())
    sites = [
        {
            "site-id": f"site{v}-{s}",
            "locations": {"location": [{"location-id": "main", "city": "Frankfurt"}]},
            "management": {"type": "ietf-l3vpn-svc:customer-managed"},
            "site-network-accesses": {"site-network-access": [_access(v, s)]},
        }
        for v in range(VPNS)
        for s in range(SITES_PER_VPN)
    ]
    return {
        **templates,
        "netsla-sla:customers": {
            "customer": [{"name": f"cust{c}", "tier": "silver"} for c in range(CUSTOMERS)]
        },
        "ietf-l3vpn-svc:l3vpn-svc": {
            "vpn-services": {
                "vpn-service": [
                    {"vpn-id": f"vpn{v}", "customer-name": f"cust{v % CUSTOMERS}"}
                    for v in range(VPNS)
                ]
            },
            "sites": {"site": sites},
        },
    }


def build_with_pyangbind(data: dict[str, Any]) -> None:
    model = l3vpn_svc.ietf_l3vpn_svc()
    svc = data["ietf-l3vpn-svc:l3vpn-svc"]
    for vpn in svc["vpn-services"]["vpn-service"]:
        model.l3vpn_svc.vpn_services.vpn_service.add(vpn["vpn-id"]).customer_name = vpn[
            "customer-name"
        ]
    for site in svc["sites"]["site"]:
        node = model.l3vpn_svc.sites.site.add(site["site-id"])
        node.locations.location.add("main").city = "Frankfurt"
        node.management.type = "customer-managed"
        spec = site["site-network-accesses"]["site-network-access"][0]
        access = node.site_network_accesses.site_network_access.add(spec["site-network-access-id"])
        access.location_reference = "main"
        addresses = access.ip_connection.ipv4.addresses
        given = spec["ip-connection"]["ipv4"]["addresses"]
        addresses.provider_address = given["provider-address"]
        addresses.customer_address = given["customer-address"]
        addresses.prefix_length = given["prefix-length"]
        access.service.svc_input_bandwidth = int(spec["service"]["svc-input-bandwidth"])
        access.service.svc_output_bandwidth = int(spec["service"]["svc-output-bandwidth"])
        access.service.svc_mtu = spec["service"]["svc-mtu"]
        access.vpn_attachment.vpn_id = spec["vpn-attachment"]["vpn-id"]
        access.pe.device = spec["netsla-l3vpn-svc-ext:pe"]["device"]
        access.pe.port = spec["netsla-l3vpn-svc-ext:pe"]["port"]


def timed(label: str, func: Any, sites: int) -> float:
    start = time.perf_counter()
    func()
    elapsed = time.perf_counter() - start
    print(f"{label:<44} {elapsed:8.3f} s   {elapsed / sites * 1e6:8.1f} us/site")
    return elapsed


def main() -> None:
    data = document()
    text = json.dumps(data)
    sites = VPNS * SITES_PER_VPN
    print(f"document: {VPNS} vpn-services, {sites} sites, {len(text) / 1e6:.1f} MB JSON")
    validate_document("{}", fmt=DocFormat.JSON)  # load the modules once, outside the timing
    floor = timed("json.loads (floor)", lambda: json.loads(text), sites)
    results: list[Any] = []
    valid = timed(
        "netsla validate_document (JSON, libyang)",
        lambda: results.append(validate_document(text, fmt=DocFormat.JSON)),
        sites,
    )
    assert results[0].ok, results[0].problems[:3]
    xml = render(results[0].data, DocFormat.XML)
    timed(
        "netsla validate_document (XML, libyang)",
        lambda: validate_document(xml, fmt=DocFormat.XML),
        sites,
    )
    bound = timed(
        "pyangbind build of the same data (reference)", lambda: build_with_pyangbind(data), sites
    )
    print(
        f"validation / json.loads: {valid / floor:.1f}x; "
        f"pyangbind build / validation: {bound / valid:.1f}x; "
        f"target < 2 s: {'met' if valid < 2 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
