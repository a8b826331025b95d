"""Planning and recording many services at once on a real store (no device I/O).

The shares of a node (its distinct contributions, counted) must always be
the grouping of the owners' own rows, and bulk allocation must hand out
distinct values, shared where the key is shared and stable on re-apply.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from controller.footprint import share_key
from controller.planner import ChangePlan, plan_change, record
from controller.pools import allocate_many
from controller.render.l3sm import Service, services_from_document
from controller.render.resources import PoolName
from controller.render.tree import fingerprint, leaves_from_json
from controller.store import Store
from controller.store.footprints import ServiceRepository
from controller.store.services import FootprintRow, FootprintShareRow
from tests.stores import DATABASES, opened

PLATFORMS = dict.fromkeys(("pe1", "pe2", "pe3"), "netsla-router")


@pytest.fixture(params=DATABASES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with opened(request.param, tmp_path) as store:
        with store.session() as session:
            for name in PLATFORMS:
                ServiceRepository(session).replace_device_config(name, "netsla-router", {})
        yield store


def copies(document: dict[str, Any], count: int) -> dict[str, Service]:
    """``count`` services like ``document``, each its own VPN."""
    out: dict[str, Service] = {}
    for index in range(count):
        doc = copy.deepcopy(document)
        root = doc["ietf-l3vpn-svc:l3vpn-svc"]
        vpn = f"v{index}"
        root["vpn-services"]["vpn-service"][0]["vpn-id"] = vpn
        for site in root["sites"]["site"]:
            site["site-id"] += f"-{index}"
            for access in site["site-network-accesses"]["site-network-access"]:
                access["vpn-attachment"]["vpn-id"] = vpn
        (service,) = services_from_document(doc)
        out[service.service_id] = service
    return out


def shares_match_rows(store: Store) -> None:
    with store.session() as session:
        grouped = session.execute(
            select(FootprintRow.device, FootprintRow.node, func.count()).group_by(
                FootprintRow.device, FootprintRow.node
            )
        )
        counted = session.execute(
            select(
                FootprintShareRow.device,
                FootprintShareRow.node,
                func.sum(FootprintShareRow.holders),
            ).group_by(FootprintShareRow.device, FootprintShareRow.node)
        )
        assert {(d, n): c for d, n, c in grouped} == {(d, n): c for d, n, c in counted}


def shares_digest_their_leaves(store: Store) -> None:
    """Each share's stored digest is the SHA-256 of its share_key (stable across versions)."""
    with store.session() as session:
        rows = session.execute(
            select(FootprintShareRow.digest, FootprintShareRow.leaves, FootprintShareRow.baseline)
        ).all()
    assert rows
    for digest, text, baseline in rows:
        leaves = leaves_from_json(json.loads(text))
        key = share_key(leaves, baseline=baseline)
        assert digest == hashlib.sha256(key.encode()).hexdigest()


def fingerprints_match_nodes(store: Store) -> None:
    """Each device's fingerprint, updated node by node, is that of its stored nodes."""
    with store.session() as session:
        repo = ServiceRepository(session)
        for row in repo.devices():
            assert row.fingerprint == fingerprint(repo.device_config(row.name))


def apply(store: Store, changes: dict[str, Service | None]) -> ChangePlan:
    with store.session() as session:
        repo = ServiceRepository(session)
        plan = plan_change(repo, changes, platforms=PLATFORMS, sla={})
        record(repo, plan, tx=None)
    return plan


def test_shares_follow_owners_through_adds_and_deletes(
    store: Store, document: Callable[[str], dict[str, Any]]
) -> None:
    services = copies(document("acme.json"), 12)
    apply(store, dict(services))
    shares_match_rows(store)
    fingerprints_match_nodes(store)
    with store.session() as session:
        most = session.scalar(select(func.max(FootprintShareRow.holders)))
    assert most is not None and most > 1  # equal contributions are grouped, not repeated
    shares_digest_their_leaves(store)
    apply(store, dict.fromkeys(list(services)[:5]))
    shares_match_rows(store)
    shares_digest_their_leaves(store)
    apply(store, dict.fromkeys(list(services)[5:]))
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(FootprintShareRow)) == 0
        assert session.scalar(select(func.count()).select_from(FootprintRow)) == 0


def test_changed_contributions_replace_rows_and_move_shares(
    store: Store, document: Callable[[str], dict[str, Any]]
) -> None:
    doc = document("acme.json")
    services = copies(doc, 8)
    apply(store, dict(services))
    for access in doc["ietf-l3vpn-svc:l3vpn-svc"]["sites"]["site"]:
        for attachment in access["site-network-accesses"]["site-network-access"]:
            attachment["service"]["svc-input-bandwidth"] *= 2  # other QoS policies
    changed = dict(list(copies(doc, 8).items())[:5])
    plan = apply(store, changed)
    assert any(
        c.before and c.after
        for w in plan.devices.values()
        for n in w.plan.claims.values()
        for c in n.values()
    )
    with store.session() as session:
        stored = ServiceRepository(session).footprints(list(services))
    assert {s: stored[s] for s in changed} == {s: plan.footprints[s] for s in changed}
    shares_match_rows(store)
    shares_digest_their_leaves(store)
    fingerprints_match_nodes(store)
    apply(store, dict.fromkeys(services))
    fingerprints_match_nodes(store)
    with store.session() as session:
        assert ServiceRepository(session).device_config("pe1") == {}


def test_bulk_allocation_is_distinct_shared_and_stable(
    store: Store, document: Callable[[str], dict[str, Any]]
) -> None:
    services = copies(document("acme.json"), 6)
    with store.session() as session:
        first = allocate_many(ServiceRepository(session), list(services.values()))
    with store.session() as session:
        again = allocate_many(ServiceRepository(session), list(services.values()))
    assert first == again
    rds = [v for r in first.values() for k, v in r.values.items() if k.pool == PoolName.RD]
    assert len(set(rds)) == len(services)  # one RD per VPN, none given twice
