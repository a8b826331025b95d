"""The journal on SQLite and PostgreSQL: what a transaction's entry holds, and how it ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from controller.diff import Edit, Operation
from controller.journal import Journal, TxState
from controller.render.tree import NodeId
from controller.store import Store
from controller.store.services import TransactionDeviceRow, TransactionServiceRow
from tests.stores import DATABASES, opened

FORWARD = [
    Edit(NodeId("vrf", ("a",)), Operation.CREATE, set={"rd": "65000:1", "rt/import": ("1", "2")}),
    Edit(
        NodeId("subinterface", ("eth1", "100")),
        Operation.MERGE,
        set={"description": "x"},
        remove=("mtu",),
        remove_entries={"tags": ("old", "older")},
    ),
    Edit(NodeId("interface", ("eth2",)), Operation.DELETE),
]
REVERSE = [Edit(NodeId("vrf", ("a",)), Operation.DELETE)]


@pytest.fixture(params=DATABASES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with opened(request.param, tmp_path) as found:
        yield found


def test_an_entry_stores_the_edits_and_documents_and_reads_them_back(store: Store) -> None:
    document = {"b": [1, 2], "a": {"z": "é"}}
    with store.session() as session:
        tx = Journal(session).begin(
            command="test",
            devices={"pe1": (FORWARD, REVERSE)},
            services={"s1": (None, document), "s2": (json.dumps(document, sort_keys=True), None)},
        )
    with store.session() as session:
        stored = session.scalars(select(TransactionDeviceRow)).one()
        assert json.loads(stored.forward) == [e.to_json() for e in FORWARD]
        assert json.loads(stored.reverse) == [e.to_json() for e in REVERSE]
        (device,) = Journal(session).devices(tx)
        assert (device.forward, device.reverse, device.outcome) == (FORWARD, REVERSE, "pending")
        texts = {
            r.service_id: (r.before, r.after)
            for r in session.scalars(select(TransactionServiceRow))
        }
        compact = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert texts == {
            "s1": (None, compact),  # made by controller.jsontext
            "s2": (json.dumps(document, sort_keys=True), None),  # a text is stored as given
        }
        entries = {e.service_id: (e.before, e.after) for e in Journal(session).services(tx)}
        assert entries == {"s1": (None, document), "s2": (document, None)}


def test_finish_records_the_state_and_each_device_outcome(store: Store) -> None:
    with store.session() as session:
        journal = Journal(session)
        tx = journal.begin(
            command="test", devices={"pe1": (FORWARD, REVERSE), "pe2": ([], [])}, services={}
        )
        assert journal.prepared() == [tx]
    with store.session() as session:
        Journal(session).finish(
            tx,
            state=TxState.FAILED,
            error="pe2 refused",
            outcomes={"pe1": ("rolled-back", None), "pe2": ("failed", "bad value")},
        )
    with store.session() as session:
        journal = Journal(session)
        row = journal.transaction(tx)
        assert row is not None
        assert (row.state, row.error) == ("failed", "pe2 refused")
        assert row.finished_at is not None
        outcomes = {d.device: (d.outcome, d.error) for d in journal.devices(tx)}
        assert outcomes == {"pe1": ("rolled-back", None), "pe2": ("failed", "bad value")}
        assert journal.prepared() == []


def test_finishing_an_unknown_transaction_raises(store: Store) -> None:
    with pytest.raises(KeyError), store.session() as session:
        Journal(session).finish(12345, state=TxState.COMMITTED)
