"""Deterministic names, MAC addresses, VNIs and transit addresses of the dataplane (pure).

Everything is derived from what it stands for, so that the same configuration
always gives the same dataplane and an agent restarted on a running lab finds
its own devices again:

- MAC addresses: locally administered unicast (first octet ``02``), the
  other five octets from a SHA-256 of the object's identity (for a
  sub-interface: router, port, VLAN and side).
- Device names (at most 15 characters, IFNAMSIZ): ``<port>.<vlan>`` like a
  VLAN device when it fits, else ``v`` and a digest; ``vx<index>`` for a
  vxlan and ``vt<index>`` for a veth between two VRFs.
- Each pair of VRFs that exchange routes gets an *index* in
  ``1..INDEX_MAX``: a hash of the pair, probed linearly on collision in
  sorted order of the pairs.  The index is the vxlan's VNI and picks the
  pair's transit /31 in ``100.64.0.0/10`` (RFC 6598 shared address space,
  which the lab owns): ``100.64.0.0 + 2 * index``, the even address to the
  pair's first VRF.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable

IFNAMSIZ = 15
TRANSIT_POOL = ipaddress.IPv4Network("100.64.0.0/10")
INDEX_MAX = TRANSIT_POOL.num_addresses // 2 - 1  # 2**21 - 1, also a valid VNI (24 bits)

VrfKey = tuple[str, str]  # (router, vrf)
PairKey = tuple[VrfKey, VrfKey]  # sorted


def _digest(*parts: object) -> bytes:
    return hashlib.sha256(json.dumps(parts).encode()).digest()


def mac(*parts: object) -> str:
    """A locally administered unicast MAC address derived from ``parts``."""
    return ":".join(f"{b:02x}" for b in (0x02, *_digest(*parts)[:5]))


def device_name(base: str, suffix: int | str) -> str:
    """``<base>.<suffix>`` when it fits IFNAMSIZ, else ``v`` and a digest of it."""
    name = f"{base}.{suffix}"
    if len(name) <= IFNAMSIZ:
        return name
    return "v" + _digest(base, str(suffix)).hex()[: IFNAMSIZ - 1]


def pair_key(a: VrfKey, b: VrfKey) -> PairKey:
    return (a, b) if a <= b else (b, a)


def allocate(pairs: Iterable[PairKey]) -> dict[PairKey, int]:
    """An index in ``1..INDEX_MAX`` per pair: hashed, probed linearly on collision."""
    taken: set[int] = set()
    result: dict[PairKey, int] = {}
    for pair in sorted(set(pairs)):
        index = int.from_bytes(_digest(*pair)[:4], "big") % INDEX_MAX + 1
        while index in taken:
            index = index % INDEX_MAX + 1
        taken.add(index)
        result[pair] = index
    return result


def transit(index: int, *, second: bool) -> ipaddress.IPv4Interface:
    """The transit address of a pair's first (even) or second (odd) VRF, as a /31."""
    base = int(TRANSIT_POOL.network_address) + 2 * index + (1 if second else 0)
    return ipaddress.IPv4Interface(f"{ipaddress.IPv4Address(base)}/31")
