"""Pools on a real SQLite store: stable, shared, released, exhausted."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from controller.pools import PoolExhausted, PoolRange, allocate, first_free, release_all
from controller.render.l3sm import Service, services_from_document
from controller.render.resources import PoolName, Resources, resource_requests
from controller.store import Store
from controller.store.footprints import ServiceRepository
from tests.stores import DATABASES, opened


@pytest.fixture(params=DATABASES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with opened(request.param, tmp_path) as store:
        yield store


def test_first_free_fills_gaps() -> None:
    assert first_free([1, 2, 4], PoolRange(1, 5)) == 3
    assert first_free([1, 2, 3], PoolRange(1, 3)) is None
    assert first_free([], PoolRange(100, 200)) == 100


def test_values_are_stable_and_released(
    store: Store, document: Callable[[str], dict[str, Any]]
) -> None:
    (service,) = services_from_document(document("acme.json"))
    with store.session() as session:
        first = allocate(ServiceRepository(session), service)
    with store.session() as session:
        again = allocate(ServiceRepository(session), service)
    assert first.values == again.values
    with store.session() as session:
        release_all(ServiceRepository(session), service.service_id)
        assert ServiceRepository(session).holdings(service.service_id) == []
        assert ServiceRepository(session).highest(PoolName.RD.value, "") is None


def test_vpn_values_are_shared_until_the_last_holder_goes(
    store: Store, document: Callable[[str], dict[str, Any]]
) -> None:
    doc = document("acme.json")
    other = copy.deepcopy(doc)
    root = other["ietf-l3vpn-svc:l3vpn-svc"]
    root["vpn-services"]["vpn-service"][0]["vpn-id"] = "acme-voice"
    for site in root["sites"]["site"]:
        site["site-id"] += "-voice"
        for access in site["site-network-accesses"]["site-network-access"]:
            access["netsla-l3vpn-svc-ext:pe"]["port"] = "eth2"
    # The voice service's sites keep vpn-attachment "acme": they join acme's VPN.
    (acme,) = services_from_document(doc)
    (voice,) = services_from_document(other)
    assert voice.vpn_ids == ("acme-voice", "acme")
    with store.session() as session:
        repo = ServiceRepository(session)
        a = allocate(repo, acme)
        b = allocate(repo, voice)
        shared = [r for r in a.values if r.owner == "acme" and r.pool == PoolName.RD]
        assert len(shared) == 1
        assert b.values[shared[0]] == a.values[shared[0]]
        release_all(repo, "acme")
        key = (PoolName.RD.value, "", "acme")
        assert repo.allocated([key]) == {key: a.values[shared[0]]}
        release_all(repo, "acme-voice")
        assert repo.allocated([key]) == {}


def test_exhausted_pool_is_a_clear_input_error(
    store: Store, document: Callable[[str], dict[str, Any]]
) -> None:
    (service,) = services_from_document(document("acme.json"))
    pools = {
        PoolName.RD: PoolRange(1, 10),
        PoolName.RT: PoolRange(1, 10),
        PoolName.VLAN: PoolRange(100, 100),
        PoolName.PROBE: PoolRange(1, 1),  # two probes per PE needed
    }
    with (
        store.session() as session,
        pytest.raises(PoolExhausted, match="pool probe pe1 is exhausted"),
    ):
        allocate(ServiceRepository(session), service, pools=pools)


def _other_vpn(doc: dict[str, Any], vpn: str) -> Service:
    doc = copy.deepcopy(doc)
    root = doc["ietf-l3vpn-svc:l3vpn-svc"]
    root["vpn-services"]["vpn-service"][0]["vpn-id"] = vpn
    for site in root["sites"]["site"]:
        site["site-id"] += f"-{vpn}"
        for access in site["site-network-accesses"]["site-network-access"]:
            access["vpn-attachment"]["vpn-id"] = vpn
    (service,) = services_from_document(doc)
    return service


@pytest.mark.postgres
def test_values_taken_meanwhile_by_another_controller_are_not_given_twice(
    tmp_path: Path, document: Callable[[str], dict[str, Any]]
) -> None:
    """The second allocation waits on the first one's uncommitted values, then,
    refused, picks values again above them (one savepoint for all its inserts)."""
    doc = document("acme.json")
    first, second = _other_vpn(doc, "first"), _other_vpn(doc, "second")
    with opened("postgresql", tmp_path) as store:
        got: dict[str, Resources] = {}
        backend: list[int] = []

        def other() -> None:
            with store.session() as session:
                backend.append(
                    session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
                )
                got["second"] = allocate(ServiceRepository(session), second)

        with store.session() as session:
            got["first"] = allocate(ServiceRepository(session), first)
            thread = threading.Thread(target=other)
            thread.start()
            # autocommit: pg_stat_activity is read once per transaction and kept
            watching = store.engine.execution_options(isolation_level="AUTOCOMMIT")
            with watching.connect() as watch:
                for _ in range(2000):  # until the other waits for this transaction's rows
                    state = watch.exec_driver_sql(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s",
                        (backend[0] if backend else 0,),
                    ).scalar()
                    if state == "Lock":
                        break
                    time.sleep(0.005)
                else:
                    pytest.fail("the second allocation never waited for the first")
        thread.join()
    values = [v for r in got.values() for k, v in r.values.items() if k.pool == PoolName.RD]
    assert len(values) == len(set(values)) == 2
    assert set(got["second"].values) == set(resource_requests(second))
