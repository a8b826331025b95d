"""Resource pools: route distinguishers, route targets, VLAN ids, probe ids.

A value is allocated for an owner key that stays the same when a service
is applied again (so re-applying changes nothing), is shared by every
service that asks for the same key (a VPN's RD and RT), and is released
when the last service holding it lets it go.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from sqlalchemy.exc import IntegrityError

from controller.errors import InputError
from controller.render.l3sm import Service
from controller.render.resources import PoolName, Request, Resources, resource_requests
from controller.store.footprints import ServiceRepository


class PoolExhausted(InputError):
    """A pool has no free value left."""


@dataclass(frozen=True, slots=True)
class PoolRange:
    low: int
    high: int


DEFAULT_POOLS: Mapping[PoolName, PoolRange] = MappingProxyType(
    {
        # RFC 4364, Section 4.2: type 0 RD, 2-byte ASN and 4-byte number.
        PoolName.RD: PoolRange(1, 4_294_967_295),
        PoolName.RT: PoolRange(1, 4_294_967_295),
        # IEEE 802.1Q: 1..4094; the low ids are left to the operator.
        PoolName.VLAN: PoolRange(100, 4094),
        PoolName.PROBE: PoolRange(1, 2_147_483_647),  # netsla-router probe id range
    }
)


def first_free(used: Sequence[int], pool: PoolRange) -> int | None:
    """The lowest value of ``pool`` not in ``used`` (sorted ascending)."""
    candidate = pool.low
    for value in used:
        if value < candidate:
            continue
        if value > candidate:
            break
        candidate += 1
    return candidate if candidate <= pool.high else None


def _pick(repo: ServiceRepository, request: Request, pool: PoolRange) -> int:
    highest = repo.highest(request.pool, request.scope)
    if highest is None:
        return pool.low
    if highest < pool.high:
        return max(highest + 1, pool.low)
    value = first_free(repo.used(request.pool, request.scope), pool)
    if value is None:
        where = f" {request.scope}" if request.scope else ""
        raise PoolExhausted(
            f"pool {request.pool.value}{where} is exhausted ({pool.low}..{pool.high}): "
            f"cannot allocate for {request.owner}"
        )
    return value


def allocate(
    repo: ServiceRepository,
    service: Service,
    *,
    pools: Mapping[PoolName, PoolRange] = DEFAULT_POOLS,
    hold: bool = True,
) -> Resources:
    """Values for every request of ``service``; with ``hold`` the service holds them.

    Values the service held and no longer asks for are released.
    """
    requests = resource_requests(service)
    keys = [(r.pool.value, r.scope, r.owner) for r in requests]
    found = repo.allocated(keys)
    values: dict[Request, int] = {}
    for request, key in zip(requests, keys, strict=True):
        if key not in found:
            found[key] = _insert(repo, request, pools[request.pool])
        values[request] = found[key]
    if hold:
        repo.hold(service.service_id, keys)
    topologies = {service.vpn.vpn_id: service.vpn.topology}
    return Resources(values=values, topologies=topologies)


def _insert(repo: ServiceRepository, request: Request, pool: PoolRange) -> int:
    key = (request.pool.value, request.scope, request.owner)
    for _attempt in range(5):
        value = _pick(repo, request, pool)
        try:
            with repo.session.begin_nested():
                repo.add_allocation(key, value)
            return value
        except IntegrityError:
            continue  # another controller took it meanwhile
    raise PoolExhausted(
        f"pool {request.pool.value}: no value could be reserved for {request.owner}"
    )


def release_all(repo: ServiceRepository, service_id: str) -> None:
    """Let go of everything ``service_id`` holds (on delete)."""
    repo.release(service_id, repo.holdings(service_id))
