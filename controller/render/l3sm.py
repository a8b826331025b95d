"""Service intent read from RFC 8299 (ietf-l3vpn-svc) data in RFC 7951 JSON.

The controller's hot path works on these small frozen dataclasses, not on
YANG bindings.  The document is assumed valid (``controller.validation``
checks it at the edge); what this module still refuses are the things only
the controller knows, such as a site with no VPN to belong to.

Service unit: one ``vpn-service`` (its ``vpn-id`` is the service id)
together with the site-network-accesses of the same document attached to
it (RFC 8299, Section 6.3: sites attach to VPNs through
``vpn-attachment``).  A site-network-access attached to a VPN that the
document does not define (an existing VPN of another service) belongs to
the document's only vpn-service; the PE's VRF of that VPN is then shared by
both services.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from controller.errors import InputError

L3SM = "ietf-l3vpn-svc"
EXT = "netsla-l3vpn-svc-ext"  # RFC 7951, Section 4: qualified by module name


class Topology(StrEnum):
    """RFC 8299 identity vpn-topology (Section 6.2.1)."""

    ANY_TO_ANY = "any-to-any"
    HUB_SPOKE = "hub-spoke"
    HUB_SPOKE_DISJOINT = "hub-spoke-disjoint"


class SiteRole(StrEnum):
    """RFC 8299 identity site-role (Section 6.3.2.2.1)."""

    ANY_TO_ANY = "any-to-any-role"
    HUB = "hub-role"
    SPOKE = "spoke-role"


class DocumentError(InputError):
    """The service document cannot be turned into services."""


@dataclass(frozen=True, slots=True)
class StaticRoute:
    prefix: str
    next_hop: str


@dataclass(frozen=True, slots=True)
class Access:
    """One site-network-access: a PE port towards a CE."""

    site_id: str
    access_id: str
    vpn_id: str
    role: SiteRole
    device: str
    port: str
    provider_address: str
    customer_address: str
    prefix_length: int
    input_bps: int
    output_bps: int
    mtu: int | None
    static_routes: tuple[StaticRoute, ...]
    bgp_as: int | None
    sla_template: str | None

    @property
    def name(self) -> str:
        return f"{self.site_id}/{self.access_id}"


@dataclass(frozen=True, slots=True)
class Vpn:
    vpn_id: str
    customer: str
    topology: Topology
    sla_template: str | None


@dataclass(frozen=True, slots=True)
class Service:
    """A vpn-service and the accesses that belong to it."""

    vpn: Vpn
    accesses: tuple[Access, ...]
    document: Mapping[str, Any]  # the service's own slice of the document

    @property
    def service_id(self) -> str:
        return self.vpn.vpn_id

    @property
    def vpn_ids(self) -> tuple[str, ...]:
        """Every VPN the service has a site in (its own first)."""
        others = sorted({a.vpn_id for a in self.accesses} - {self.vpn.vpn_id})
        return (self.vpn.vpn_id, *others)


def _identity(value: str) -> str:
    return value.split(":", 1)[1] if ":" in value else value


def _root(document: Mapping[str, Any]) -> Mapping[str, Any]:
    root = document.get(f"{L3SM}:l3vpn-svc")
    if not isinstance(root, Mapping):
        raise DocumentError(f"not an RFC 8299 document: no top-level '{L3SM}:l3vpn-svc'")
    return root


def _vpn(data: Mapping[str, Any]) -> Vpn:
    topology = _identity(data.get("vpn-service-topology", "any-to-any"))
    return Vpn(
        vpn_id=str(data["vpn-id"]),
        customer=str(data.get("customer-name", "")),
        topology=Topology(topology),
        sla_template=data.get(f"{EXT}:sla-template"),
    )


def _routing(data: Mapping[str, Any]) -> tuple[tuple[StaticRoute, ...], int | None]:
    routes: list[StaticRoute] = []
    bgp_as: int | None = None
    protocols = data.get("routing-protocols", {}).get("routing-protocol", [])
    for protocol in protocols:
        kind = _identity(protocol["type"])
        if kind == "static":
            lans = protocol.get("static", {}).get("cascaded-lan-prefixes", {})
            for lan in lans.get("ipv4-lan-prefixes", []):
                routes.append(StaticRoute(prefix=lan["lan"], next_hop=lan["next-hop"]))
        elif kind == "bgp":
            bgp_as = int(protocol["bgp"]["autonomous-system"])
    return tuple(sorted(routes, key=lambda r: r.prefix)), bgp_as


def _access(site_id: str, data: Mapping[str, Any], default_vpn: str | None) -> Access:
    attachment = data.get("vpn-attachment", {})
    vpn_id = attachment.get("vpn-id", default_vpn)
    name = f"{site_id}/{data['site-network-access-id']}"
    if vpn_id is None:
        raise DocumentError(f"site-network-access {name}: vpn-attachment names no vpn-id")
    pe = data.get(f"{EXT}:pe")
    if not pe:
        raise DocumentError(f"site-network-access {name}: no '{EXT}:pe' (device and port)")
    addresses = data.get("ip-connection", {}).get("ipv4", {}).get("addresses", {})
    if "provider-address" not in addresses or "customer-address" not in addresses:
        raise DocumentError(f"site-network-access {name}: ip-connection/ipv4/addresses missing")
    service = data.get("service", {})
    routes, bgp_as = _routing(data)
    return Access(
        site_id=site_id,
        access_id=str(data["site-network-access-id"]),
        vpn_id=str(vpn_id),
        role=SiteRole(_identity(attachment.get("site-role", "any-to-any-role"))),
        device=str(pe["device"]),
        port=str(pe["port"]),
        provider_address=addresses["provider-address"],
        customer_address=addresses["customer-address"],
        prefix_length=int(addresses["prefix-length"]),
        input_bps=int(service.get("svc-input-bandwidth", 0)),
        output_bps=int(service.get("svc-output-bandwidth", 0)),
        mtu=int(service["svc-mtu"]) if "svc-mtu" in service else None,
        static_routes=routes,
        bgp_as=bgp_as,
        sla_template=data.get(f"{EXT}:sla-template"),
    )


def services_from_document(document: Mapping[str, Any]) -> list[Service]:
    """Split one RFC 8299 document into services, one per vpn-service."""
    root = _root(document)
    vpn_data = {str(v["vpn-id"]): v for v in root.get("vpn-services", {}).get("vpn-service", [])}
    if not vpn_data:
        raise DocumentError("the document defines no vpn-service")
    only = next(iter(vpn_data)) if len(vpn_data) == 1 else None
    owned: dict[str, list[tuple[Access, Mapping[str, Any], Mapping[str, Any]]]] = {
        v: [] for v in vpn_data
    }
    for site in root.get("sites", {}).get("site", []):
        accesses = site.get("site-network-accesses", {}).get("site-network-access", [])
        for data in accesses:
            access = _access(str(site["site-id"]), data, only)
            owner = access.vpn_id if access.vpn_id in vpn_data else only
            if owner is None:
                raise DocumentError(
                    f"site-network-access {access.name}: VPN {access.vpn_id!r} is not in the "
                    "document, and the document has several vpn-services to attach it to"
                )
            owned[owner].append((access, site, data))
    return [_service(vpn_data[v], owned[v]) for v in sorted(vpn_data)]


def _service(
    vpn: Mapping[str, Any], parts: list[tuple[Access, Mapping[str, Any], Mapping[str, Any]]]
) -> Service:
    sites: dict[str, dict[str, Any]] = {}
    for _, site, data in parts:
        entry = sites.setdefault(
            site["site-id"],
            {k: v for k, v in site.items() if k != "site-network-accesses"}
            | {"site-network-accesses": {"site-network-access": []}},
        )
        entry["site-network-accesses"]["site-network-access"].append(data)
    document = {
        f"{L3SM}:l3vpn-svc": {
            "vpn-services": {"vpn-service": [vpn]},
            "sites": {"site": list(sites.values())},
        }
    }
    accesses = tuple(sorted((p[0] for p in parts), key=lambda a: a.name))
    return Service(vpn=_vpn(vpn), accesses=accesses, document=document)
