"""Renderer for the lab router's native model (``yang/netsla-router.yang``).

Per PE: a VRF per VPN and role (route distinguisher and route targets,
RFC 4364 Sections 4.2 and 4.3.1; hub-and-spoke as in RFC 4364 Section 4.3.5),
a VLAN sub-interface per site-network-access in that VRF with the PE-side
address, static routes or a BGP neighbour towards the CE, rate-limiting
QoS policies named after their rate (shared by every sub-interface with
that rate), and one SLA probe per measured pair of accesses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from controller.render.l3sm import Access, Service, SiteRole
from controller.render.resources import (
    PoolName,
    ProbeProfile,
    Resources,
    hub_key,
    measured_pairs,
    probe_key,
    vlan_request,
)
from controller.render.tree import (
    Config,
    LeafValue,
    ListSchema,
    NodeId,
    PlatformSchema,
    Step,
    canonical_leaves,
)

PLATFORM = "netsla-router"
NAMESPACE = "urn:netsla:yang:netsla-router"
ASN = 65000  # provider AS of the lab network, the ASN part of RDs and RTs

_VRFS = (Step("vrfs"), Step("vrf", "name"))
_IFS = (Step("interfaces"), Step("interface", "name"))
SCHEMA: PlatformSchema = PlatformSchema(
    namespace=NAMESPACE,
    root="native",
    lists=(
        ListSchema("system", (Step("system"),)),
        ListSchema(
            "policy", (Step("qos"), Step("policy", "name")), defaults={"burst-kbytes": "64"}
        ),
        ListSchema(
            "vrf", _VRFS, leaf_lists=frozenset({"route-targets/import", "route-targets/export"})
        ),
        ListSchema("route", (*_VRFS, Step("static-routes"), Step("route", "prefix"))),
        ListSchema("neighbor", (*_VRFS, Step("bgp"), Step("neighbor", "address"))),
        ListSchema("interface", _IFS, defaults={"mtu": "1500"}),
        ListSchema("subinterface", (*_IFS, Step("subinterface", "index"))),
        ListSchema(
            "probe",
            (Step("sla-probes"), Step("probe", "id")),
            defaults={"type": "icmp-echo", "interval-seconds": "10", "packets": "10", "dscp": "0"},
        ),
    ),
)


OWNER_MAX = 64  # netsla-router: probe owner length "0..64"


def probe_owner(key: str) -> str:
    """``key`` cut to the model's length, with a digest to keep it unique."""
    if len(key) <= OWNER_MAX:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:8]
    return f"{key[: OWNER_MAX - 9]}~{digest}"


def _rd(value: int) -> str:
    return f"{ASN}:{value}"


def vrf_name(access: Access) -> str:
    if access.role == SiteRole.HUB:
        return f"{access.vpn_id}-hub"
    if access.role == SiteRole.SPOKE:
        return f"{access.vpn_id}-spoke"
    return access.vpn_id


def _vrf(access: Access, resources: Resources) -> dict[str, LeafValue]:
    own = _rd(resources.get(PoolName.RT, "", access.vpn_id))
    if access.role == SiteRole.ANY_TO_ANY:
        rd, imports, exports = resources.get(PoolName.RD, "", access.vpn_id), own, own
    else:
        hub = _rd(resources.get(PoolName.RT, "", hub_key(access.vpn_id)))
        if access.role == SiteRole.HUB:
            rd, imports, exports = resources.get(PoolName.RD, "", hub_key(access.vpn_id)), own, hub
        else:
            rd, imports, exports = resources.get(PoolName.RD, "", access.vpn_id), hub, own
    return {
        "description": f"netsla VPN {access.vpn_id}",
        "rd": _rd(rd),
        "route-targets/import": (imports,),
        "route-targets/export": (exports,),
    }


def policy_name(bps: int) -> str:
    return f"cir-{max(8, bps // 1000)}k"


def _access(access: Access, resources: Resources, config: Config) -> None:
    vrf = vrf_name(access)
    config[NodeId("vrf", (vrf,))] = _vrf(access, resources)
    config[NodeId("interface", (access.port,))] = {}
    vlan = resources.values[vlan_request(access)]
    sub: dict[str, LeafValue] = {
        "description": f"netsla {access.vpn_id} {access.name}",
        "vlan-id": str(vlan),
        "vrf": vrf,
        "ipv4/address": access.provider_address,
        "ipv4/prefix-length": str(access.prefix_length),
    }
    if access.mtu is not None:
        sub["mtu"] = str(access.mtu)
    for leaf, bps in (("qos-input", access.output_bps), ("qos-output", access.input_bps)):
        if bps > 0:
            sub[leaf] = policy = policy_name(bps)
            config[NodeId("policy", (policy,))] = {
                "description": "netsla rate limit",
                "rate-kbps": str(max(8, bps // 1000)),
            }
    config[NodeId("subinterface", (access.port, str(vlan)))] = sub
    for route in access.static_routes:
        config[NodeId("route", (vrf, route.prefix))] = {"next-hop": route.next_hop}
    if access.bgp_as is not None:
        config[NodeId("neighbor", (vrf, access.customer_address))] = {
            "remote-as": str(access.bgp_as),
            "description": f"netsla CE {access.name}",
        }


def _probes(
    service: Service,
    device: str,
    resources: Resources,
    sla: Mapping[str, ProbeProfile],
    config: Config,
) -> None:
    for source, target in measured_pairs(service):
        if source.device != device:
            continue
        template = source.sla_template or service.vpn.sla_template or ""
        profile = sla.get(template, ProbeProfile())
        key = probe_key(service, source, target)
        probe_id = resources.get(PoolName.PROBE, device, key)
        config[NodeId("probe", (str(probe_id),))] = {
            "owner": probe_owner(key),
            "vrf": vrf_name(source),
            "source": source.provider_address,
            "target": target.customer_address,
            "interval-seconds": str(profile.interval_seconds),
            "packets": str(profile.packets),
            "dscp": str(profile.dscp),
        }


def render(
    *,
    service: Service,
    device: str,
    accesses: Sequence[Access],
    resources: Resources,
    sla: Mapping[str, ProbeProfile],
) -> Config:
    """The part of ``device``'s native config that ``service`` needs (pure)."""
    config: Config = {}
    for access in accesses:
        _access(access, resources, config)
    _probes(service, device, resources, sla, config)
    return {
        node: canonical_leaves(SCHEMA.kind(node.kind), leaves) for node, leaves in config.items()
    }
