"""Device leases and recovery on SQLite and PostgreSQL: two controllers, one device at a time.

Each "controller" is a store of its own (its own engine and connections)
on the same database, the way two netsla processes share one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from controller.execution import (
    DeviceBusy,
    Push,
    hold_devices,
    new_unit,
    open_transaction,
    release_leases,
)
from controller.journal import Journal
from controller.pools import allocate
from controller.render.l3sm import services_from_document
from controller.service import Controller
from controller.store import Store, open_store
from controller.store.footprints import ServiceRepository
from controller.store.services import AllocationRow, TransactionRow
from controller.transaction import DeviceDriver
from tests.stores import DATABASES, database_url

DEVICES = ("pe1", "pe2", "pe3")


@pytest.fixture(params=DATABASES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_url(request.param, tmp_path) as found:
        first = open_store(found)
        with first.session() as session:
            for name in DEVICES:
                ServiceRepository(session).replace_device_config(name, "netsla-router", {})
        first.close()
        yield found


def _open(store: Store, devices: tuple[str, ...]) -> int:
    pushes = {d: Push(d, "netsla-router", [], []) for d in devices}
    entry = open_transaction(new_unit(store), command="test", pushes=pushes, services={})
    entry.write()
    return entry.tx


def test_a_leased_device_is_refused_to_another_controller(url: str) -> None:
    one, two = open_store(url), open_store(url)
    try:
        tx = _open(one, ("pe1", "pe2"))
        with pytest.raises(DeviceBusy):
            _open(two, ("pe2", "pe3"))
        assert _open(two, ("pe3",)) > tx  # a device nobody holds
        with one.session() as session:
            release_leases(session, tx)
        _open(two, ("pe1", "pe2"))
    finally:
        one.close()
        two.close()


def test_controllers_racing_for_the_same_device_one_wins(url: str) -> None:
    stores = [open_store(url) for _ in range(4)]
    start = threading.Barrier(len(stores))
    won: list[int] = []
    busy: list[str] = []

    def race(store: Store, devices: tuple[str, ...]) -> None:
        start.wait()
        try:
            won.append(_open(store, devices))
        except DeviceBusy as exc:
            busy.append(str(exc))

    threads = [
        threading.Thread(target=race, args=(s, ("pe1", DEVICES[i % 3])))
        for i, s in enumerate(stores)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert (len(won), len(busy)) == (1, 3)  # every set holds pe1: one at a time
    finally:
        for store in stores:
            store.close()


def _no_driver(name: str) -> DeviceDriver:
    raise AssertionError(f"no device is touched here ({name})")


def test_recovery_of_a_dead_controllers_transaction(
    url: str, document: Callable[[str], dict[str, Any]]
) -> None:
    store = open_store(url)
    try:
        controller = Controller(
            store=store, platforms=dict.fromkeys(DEVICES, "netsla-router"), driver=_no_driver
        )
        (service,) = services_from_document(document("acme.json"))
        plan_doc = dict(service.document)
        session = new_unit(store)
        allocate(ServiceRepository(session), service)
        pushes = {d: Push(d, "netsla-router", [], []) for d in DEVICES}
        entry = open_transaction(
            session, command="test", pushes=pushes, services={"acme": (None, plan_doc)}
        )
        entry.write()
        tx = entry.tx
        assert controller.recover() == []  # its controller (this process) is alive
        with store.session() as session:
            row = session.get(TransactionRow, tx)
            assert row is not None
            row.started_by = row.started_by.rpartition(":")[0] + ":999999999"  # a dead pid
        assert controller.recover() == [tx]
        with store.session() as session:
            assert Journal(session).transaction(tx).state == "failed"  # type: ignore[union-attr]
            assert session.scalar(select(func.count()).select_from(AllocationRow)) == 0
        _open(store, DEVICES)  # the leases were released
    finally:
        store.close()


def test_holding_a_leased_device_before_planning_is_refused(url: str) -> None:
    store = open_store(url)
    try:
        _open(store, ("pe2",))
        unit = new_unit(store)
        with pytest.raises(DeviceBusy, match="holds pe2"):
            hold_devices(unit, ["pe1", "pe2"])
        unit.rollback()
        unit.close()
        unit = new_unit(store)
        hold_devices(unit, ["pe1", "pe3"])  # nobody holds those
        unit.rollback()
        unit.close()
    finally:
        store.close()


def test_a_lease_waits_while_another_controller_plans_on_the_device(url: str) -> None:
    one, two = open_store(url), open_store(url)
    unit = new_unit(one)
    outcome: list[object] = []

    def lease_from_the_other_controller() -> None:
        try:
            outcome.append(_open(two, ("pe1",)))
        except DeviceBusy as exc:
            outcome.append(exc)

    other = threading.Thread(target=lease_from_the_other_controller)
    try:
        hold_devices(unit, ["pe1"])  # planning would read pe1's state now
        other.start()
        other.join(timeout=1.0)
        assert other.is_alive()  # its lease waits for the held row
        pushes = {"pe1": Push("pe1", "netsla-router", [], [])}
        open_transaction(unit, command="test", pushes=pushes, services={}).write()
        other.join(timeout=30)
        assert not other.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], DeviceBusy)
    finally:
        other.join(timeout=30)
        one.close()
        two.close()
