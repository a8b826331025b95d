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
from controller.render.resources import PoolName, Resources, resource_requests
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


Key = tuple[str, str, str]  # (pool, scope, owner)


def _fresh(
    repo: ServiceRepository, pool: str, scope: str, count: int, limits: PoolRange
) -> list[int]:
    """``count`` values of (pool, scope) nobody holds: above the highest, else the gaps."""
    highest = repo.highest(pool, scope)
    start = limits.low if highest is None else max(highest + 1, limits.low)
    if start + count - 1 <= limits.high:
        return list(range(start, start + count))
    used = repo.used(pool, scope)
    values: list[int] = []
    while len(values) < count:
        value = first_free(sorted([*used, *values]), limits)
        if value is None:
            break
        values.append(value)
    return values


def _pick(
    repo: ServiceRepository, pool: PoolName, scope: str, owners: list[str], limits: PoolRange
) -> dict[Key, int]:
    """Free values of (pool, scope) for ``owners`` (not reserved yet)."""
    values = _fresh(repo, pool.value, scope, len(owners), limits)
    if len(values) < len(owners):
        where = f" {scope}" if scope else ""
        raise PoolExhausted(
            f"pool {pool.value}{where} is exhausted ({limits.low}..{limits.high}): "
            f"cannot allocate for {owners[len(values)]}"
        )
    return {(pool.value, scope, o): v for o, v in zip(owners, values, strict=True)}


def _take(
    repo: ServiceRepository,
    missing: Mapping[tuple[str, str], list[str]],
    pools: Mapping[PoolName, PoolRange],
) -> dict[Key, int]:
    """Reserve a value for each missing (pool, scope) owner in one insert, under one
    savepoint: retried if another controller took some of them meanwhile."""
    for _attempt in range(5):
        taken: dict[Key, int] = {}
        for (name, scope), owners in missing.items():
            pool = PoolName(name)
            taken.update(_pick(repo, pool, scope, owners, pools[pool]))
        try:
            with repo.session.begin_nested():
                repo.add_allocations(taken)
            return taken
        except IntegrityError:
            continue
    (name, _scope), owners = next(iter(missing.items()))
    raise PoolExhausted(f"pool {name}: no values could be reserved for {owners[0]}")


def allocate_many(
    repo: ServiceRepository,
    services: Sequence[Service],
    *,
    pools: Mapping[PoolName, PoolRange] = DEFAULT_POOLS,
    hold: bool = True,
) -> dict[str, Resources]:
    """Values for every request of ``services``, with a few queries per (pool, scope).

    With ``hold`` each service holds its values; values a service held and
    no longer asks for are released.  New values go to the owners in the
    requests' order (pool, scope, owner), each (pool, scope) from its
    highest value up.
    """
    resources, holds = reserve_many(repo, services, pools=pools)
    if hold:
        repo.hold_many(holds)
    return resources


def reserve_many(
    repo: ServiceRepository,
    services: Sequence[Service],
    *,
    pools: Mapping[PoolName, PoolRange] = DEFAULT_POOLS,
) -> tuple[dict[str, Resources], dict[str, list[Key]]]:
    """:func:`allocate_many` without the holds: the values, and the keys each
    service is to hold (``repo.hold_many`` of them, in the same unit of work,
    before it commits)."""
    wanted = {
        s.service_id: [(r, (str(r.pool), r.scope, r.owner)) for r in resource_requests(s)]
        for s in services
    }
    keys = sorted({key for pairs in wanted.values() for _, key in pairs})
    found = repo.allocated(keys)
    missing: dict[tuple[str, str], list[str]] = {}
    for key in keys:
        if key not in found:
            missing.setdefault(key[:2], []).append(key[2])
    if missing:
        found.update(_take(repo, missing, pools))
    resources = {
        s.service_id: Resources(
            values={r: found[key] for r, key in wanted[s.service_id]},
            topologies={s.vpn.vpn_id: s.vpn.topology},
        )
        for s in services
    }
    return resources, {s: [key for _, key in pairs] for s, pairs in wanted.items()}


def allocate(
    repo: ServiceRepository,
    service: Service,
    *,
    pools: Mapping[PoolName, PoolRange] = DEFAULT_POOLS,
    hold: bool = True,
) -> Resources:
    """Values for every request of ``service`` (see :func:`allocate_many`)."""
    return allocate_many(repo, [service], pools=pools, hold=hold)[service.service_id]


def release_all(repo: ServiceRepository, service_id: str) -> None:
    """Let go of everything ``service_id`` holds (on delete)."""
    repo.release(service_id, repo.holdings(service_id))
