"""Bulk statements on a real store: inserts, upserts, deletes and IN selects.

Each runs through the driver's own parameter style (SQLite's ``?``,
psycopg's ``%s``) and through SQLAlchemy's named parameters for drivers
with another style (SQLite opened with ``paramstyle="named"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Table, create_engine, select

from controller.render.tree import leaves_json
from controller.store import Store, open_store
from controller.store.bulk import ROWS, delete_tuples, insert_tuples, select_in, upsert_tuples
from controller.store.footprints import LeafTexts, ServiceRepository, now, share_digest
from controller.store.services import FootprintShareRow, ServiceRow
from tests.stores import DATABASES, database_url

SHARES: Table = FootprintShareRow.__table__  # type: ignore[assignment]
COLUMNS = ("device", "node", "digest", "baseline", "leaves", "holders")
KEY = ("device", "node", "digest")


@pytest.fixture(params=[*DATABASES, "sqlite-named"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    kind = str(request.param)
    with database_url(kind.removesuffix("-named"), tmp_path) as url:
        store = open_store(url)
        if kind.endswith("-named"):
            store.close()
            store = Store(create_engine(url, paramstyle="named"))
        try:
            yield store
        finally:
            store.close()


def rows(store: Store) -> dict[tuple[str, str, str], tuple[str, int]]:
    with store.session() as session:
        found = session.execute(
            select(SHARES.c.device, SHARES.c.node, SHARES.c.digest, SHARES.c.leaves)
            .add_columns(SHARES.c.holders)
            .order_by(SHARES.c.node)
        )
        return {(d, n, g): (text, h) for d, n, g, text, h in found}


def test_upsert_adds_counts_and_replaces_values(store: Store) -> None:
    with store.session() as session:
        insert_tuples(session, SHARES, COLUMNS, [("pe1", "a", "x", False, "{}", 2)])
        upsert_tuples(
            session,
            SHARES,
            COLUMNS,
            [("pe1", "a", "x", False, "{}", 3), ("pe1", "b", "y", False, "{}", 1)],
            key=KEY,
            add=("holders",),
        )
    assert rows(store) == {("pe1", "a", "x"): ("{}", 5), ("pe1", "b", "y"): ("{}", 1)}
    with store.session() as session:
        upsert_tuples(
            session,
            SHARES,
            COLUMNS,
            [("pe1", "b", "y", False, '{"a":"1"}', 7)],
            key=KEY,
            replace=("leaves",),
        )
    assert rows(store)[("pe1", "b", "y")] == ('{"a":"1"}', 1)


def test_delete_removes_the_keys_that_meet_the_condition(store: Store) -> None:
    with store.session() as session:
        shares = [("pe1", n, "x", False, "{}", h) for n, h in (("a", 0), ("b", 1), ("c", 0))]
        insert_tuples(session, SHARES, COLUMNS, shares)
        keys = [("pe1", "a", "x"), ("pe1", "b", "x")]
        delete_tuples(session, SHARES, KEY, keys, condition="holders <= 0")
    assert sorted(rows(store)) == [("pe1", "b", "x"), ("pe1", "c", "x")]
    with store.session() as session:
        delete_tuples(session, SHARES, ("device", "node"), [("pe1", "b"), ("pe2", "c")])
    assert sorted(rows(store)) == [("pe1", "c", "x")]


def test_select_in_reads_the_listed_values_of_one_key(store: Store) -> None:
    with store.session() as session:
        shares = [(d, n, "x", False, "{}", 1) for d in ("pe1", "pe2") for n in "abc"]
        insert_tuples(session, SHARES, COLUMNS, shares)
        found = select_in(
            session,
            SHARES,
            ("node", "holders"),
            where=[("device", "pe2")],
            column="node",
            values=["a", "c", "z"],
        )
        assert sorted(tuple(r) for r in found) == [("a", 1), ("c", 1)]
        assert select_in(session, SHARES, ("node",), where=[], column="node", values=[]) == []


def test_leaf_texts_are_made_once_per_distinct_leaves() -> None:
    texts = LeafTexts()
    first = {"b": ("2", "1"), "a": "x"}
    assert texts.text("n", first) == leaves_json(first)
    assert texts.text("n", dict(first)) is texts.text("n", first)  # equal: the same text
    assert texts.text("m", {"a": "y"}) == leaves_json({"a": "y"})
    for index in range(LeafTexts.KEPT + 2):  # past the kept ones: still the right text
        assert texts.text("n", {"a": str(index)}) == leaves_json({"a": str(index)})
    text = leaves_json(first)
    assert texts.digest(text, baseline=True) == share_digest(text, baseline=True)
    assert texts.digest(text, baseline=False) == share_digest(text, baseline=False)


def test_pending_orm_rows_are_flushed_before_a_bulk_statement(store: Store) -> None:
    with store.session() as session:
        session.add(
            FootprintShareRow(
                device="pe1", node="a", digest="x", baseline=False, leaves="{}", holders=1
            )
        )
        found = select_in(
            session, SHARES, ("holders",), where=[("device", "pe1")], column="node", values=["a"]
        )
        assert [tuple(r) for r in found] == [(1,)]


def test_services_are_upserted_with_their_dates_and_keep_their_transaction(
    store: Store,
) -> None:
    with store.session() as session:
        ServiceRepository(session).put_services({"a": ("{}", ["pe2", "pe1"])}, 7)
        session.add(
            ServiceRow(
                service_id="b", document="{}", devices="[]", updated_at=now(), transaction_id=7
            )
        )
    with store.session() as session:
        ServiceRepository(session).put_services({"a": ('{"x": 1}', []), "b": ("{}", [])}, None)
    with store.session() as session:
        rows = {r.service_id: r for r in ServiceRepository(session).services()}
        assert {s: (r.document, r.devices, r.transaction_id) for s, r in rows.items()} == {
            "a": ('{"x": 1}', "[]", 7),
            "b": ("{}", "[]", 7),
        }
        stored = session.execute(select(ServiceRow.updated_at)).scalars().all()
        assert all(isinstance(at, datetime) for at in stored)  # SQLAlchemy reads them back
        ServiceRepository(session).put_services({"c": ("{}", [])}, None)
    with store.session() as session:
        assert ServiceRepository(session).service("c").transaction_id is None  # type: ignore[union-attr]


def test_many_rows_go_in_groups_and_one_by_one_alike(store: Store) -> None:
    count = 2 * ROWS + 3  # two multi-row statements and three single rows
    with store.session() as session:
        shares = [("pe1", f"n{i}", "x", False, "{}", i) for i in range(count)]
        insert_tuples(session, SHARES, COLUMNS, shares)
        again = [("pe1", f"n{i}", "x", False, "{}", 1) for i in range(1, count, 2)]
        upsert_tuples(session, SHARES, COLUMNS, again, key=KEY, add=("holders",))
    found = rows(store)
    assert len(found) == count
    assert all(found["pe1", f"n{i}", "x"] == ("{}", i + i % 2) for i in range(count))
