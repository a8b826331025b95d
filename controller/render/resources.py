"""What a service needs from the pools, and what it got (plain data).

The requests are platform-neutral: a route distinguisher and route
target(s) per VPN (RFC 4364, Section 4.2 and 4.3.1), a VLAN id per
site-network-access on its PE port, and a probe id per measured pair of
accesses on the measuring PE.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from controller.render.l3sm import Access, Service, SiteRole, Topology


class PoolName(StrEnum):
    RD = "rd"
    RT = "rt"
    VLAN = "vlan"
    PROBE = "probe"


class Request(NamedTuple):
    """One value wanted from a pool: ``owner`` is stable across re-applies.

    A named tuple: rendering looks values up by request several times per
    access, and a tuple is hashed, compared and ordered in C.
    """

    pool: PoolName
    scope: str
    owner: str


@dataclass(frozen=True, slots=True)
class ProbeProfile:
    """Probe settings an SLA template implies."""

    interval_seconds: int = 10
    packets: int = 10
    dscp: int = 0


@dataclass(frozen=True, slots=True)
class Resources:
    """Values allocated for one service, keyed like its requests."""

    values: Mapping[Request, int] = field(default_factory=dict)
    topologies: Mapping[str, Topology] = field(default_factory=dict)  # per vpn-id

    def get(self, pool: PoolName, scope: str, owner: str) -> int:
        return self.values[Request(pool, scope, owner)]


def hub_key(vpn_id: str) -> str:
    return f"{vpn_id}#hub"


def vlan_request(access: Access) -> Request:
    """VLAN ids are allocated per PE, not per port: netconfd (yuma123 2.13)
    checks the sub-interface list's ``unique "vlan-id"`` across all
    interfaces of the router, not within each one as RFC 7950, Section
    7.8.3 says."""
    return Request(PoolName.VLAN, access.device, access.name)


def probe_key(service: Service, source: Access, target: Access) -> str:
    return f"{service.service_id}:{source.name}->{target.name}"


def measured_pairs(service: Service) -> list[tuple[Access, Access]]:
    """(source, target) accesses measured by a probe on the source's PE.

    Only accesses with an SLA template (their own or their VPN's) measure;
    they measure every access of the same VPN they can reach by its
    topology: all of them in any-to-any, hub to spokes and spokes to hubs
    otherwise (RFC 8299, Section 6.2.1).
    """
    pairs: list[tuple[Access, Access]] = []
    for source in service.accesses:
        if (source.sla_template or service.vpn.sla_template) is None:
            continue
        for target in service.accesses:
            if target is source or target.vpn_id != source.vpn_id:
                continue
            if _reachable(source.role, target.role):
                pairs.append((source, target))
    return pairs


def _reachable(source: SiteRole, target: SiteRole) -> bool:
    if SiteRole.ANY_TO_ANY in (source, target):
        return True
    return source != target


def resource_requests(service: Service) -> list[Request]:
    """Every value the service needs; VPN values are shared with other holders."""
    wanted: set[Request] = set()
    for vpn_id in service.vpn_ids:
        wanted.add(Request(PoolName.RD, "", vpn_id))
        wanted.add(Request(PoolName.RT, "", vpn_id))
    if service.vpn.topology != Topology.ANY_TO_ANY:
        wanted.add(Request(PoolName.RD, "", hub_key(service.vpn.vpn_id)))
        wanted.add(Request(PoolName.RT, "", hub_key(service.vpn.vpn_id)))
    for access in service.accesses:
        wanted.add(vlan_request(access))
        if access.role != SiteRole.ANY_TO_ANY:
            wanted.add(Request(PoolName.RD, "", hub_key(access.vpn_id)))
            wanted.add(Request(PoolName.RT, "", hub_key(access.vpn_id)))
    for source, target in measured_pairs(service):
        wanted.add(Request(PoolName.PROBE, source.device, probe_key(service, source, target)))
    return sorted(wanted)
