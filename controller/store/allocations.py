"""Pool allocations and the services holding them, over one session.

Part of :class:`controller.store.footprints.ServiceRepository`.  Planning
a change of a few hundred services reads and writes thousands of these
rows, so the statements go through :mod:`controller.store.bulk` (plain
texts and tuples) rather than SQLAlchemy's per-statement compilation.
Every lookup is by a (pool, scope) with ``owner IN (...)`` or by service
id, so that every database uses an index (row-value IN lists are not
indexed by SQLite).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy.orm import Session

from controller.store.bulk import (
    delete_tuples,
    insert_tuples,
    select_among,
    select_where,
    table_of,
)
from controller.store.services import AllocationHolderRow, AllocationRow

Key = tuple[str, str, str]  # (pool, scope, owner)

_ALLOCATION = table_of(AllocationRow)
_HOLDER = table_of(AllocationHolderRow)


def _by_scope(keys: Iterable[Key]) -> dict[tuple[str, str], list[str]]:
    groups: dict[tuple[str, str], list[str]] = {}
    for pool, scope, owner in keys:
        groups.setdefault((pool, scope), []).append(owner)
    return groups


class AllocationRepository:
    """Values taken from pools (:class:`AllocationRow`) and their holders."""

    session: Session

    def allocated(self, keys: list[Key]) -> dict[Key, int]:
        """Values of the given (pool, scope, owner) keys that exist."""
        out: dict[Key, int] = {}
        for (pool, scope), owners in _by_scope(keys).items():
            rows = select_among(
                self.session,
                _ALLOCATION,
                ("owner", "value"),
                where=[("pool", pool), ("scope", scope)],
                column="owner",
                values=owners,
            )
            out.update({(pool, scope, o): v for o, v in rows})
        return out

    def highest(self, pool: str, scope: str) -> int | None:
        """The highest value taken in (pool, scope) (the unique index's last entry)."""
        where = [("pool", pool), ("scope", scope)]
        (row,) = select_where(self.session, _ALLOCATION, ("max(value)",), where=where)
        value: int | None = row[0]
        return value

    def used(self, pool: str, scope: str) -> list[int]:
        where = [("pool", pool), ("scope", scope)]
        rows = select_where(self.session, _ALLOCATION, ("value",), where=where)
        return sorted(value for (value,) in rows)

    def add_allocations(self, values: Mapping[Key, int]) -> None:
        """Insert the allocations in one statement (raises IntegrityError if one is taken)."""
        rows = [(p, s, o, v) for (p, s, o), v in values.items()]
        insert_tuples(self.session, _ALLOCATION, ("pool", "scope", "owner", "value"), rows)

    def hold_many(self, wanted: Mapping[str, Iterable[Key]]) -> None:
        """Each service holds exactly its keys: new holds added, old ones released."""
        held = self.holdings_many(list(wanted))
        rows: list[tuple[str, str, str, str]] = []
        extra: dict[str, set[Key]] = {}
        for service_id, keys in wanted.items():
            had = held.get(service_id)
            if had is None:  # nothing held yet: every key is new
                rows.extend((p, s, o, service_id) for p, s, o in sorted(set(keys)))
                continue
            asked = set(keys)
            rows.extend((p, s, o, service_id) for p, s, o in sorted(asked - set(had)))
            extra[service_id] = set(had) - asked
        columns = ("pool", "scope", "owner", "service_id")
        insert_tuples(self.session, _HOLDER, columns, rows)
        for service_id, keys in extra.items():
            if keys:
                self.release(service_id, keys)

    def hold(self, service_id: str, keys: Iterable[Key]) -> None:
        self.hold_many({service_id: list(keys)})

    def release(self, service_id: str, keys: Iterable[Key]) -> None:
        """Drop the service's hold on ``keys``; free values nobody else holds."""
        wanted = sorted(set(keys))
        if not wanted:
            return
        columns = ("pool", "scope", "owner", "service_id")
        delete_tuples(self.session, _HOLDER, columns, [(*k, service_id) for k in wanted])
        self._free_unheld(wanted)

    def release_many(self, service_ids: list[str]) -> None:
        """Let go of everything the services hold (on delete), in a few statements."""
        held = self.holdings_many(service_ids)
        delete_tuples(self.session, _HOLDER, ("service_id",), [(s,) for s in sorted(held)])
        self._free_unheld(sorted({k for keys in held.values() for k in keys}))

    def _free_unheld(self, keys: list[Key]) -> None:
        """Delete the allocations among ``keys`` that no service holds any more."""
        free: list[Key] = []
        for (pool, scope), owners in _by_scope(keys).items():
            rows = select_among(
                self.session,
                _HOLDER,
                ("owner",),
                where=[("pool", pool), ("scope", scope)],
                column="owner",
                values=owners,
            )
            still = {owner for (owner,) in rows}
            free.extend((pool, scope, o) for o in owners if o not in still)
        delete_tuples(self.session, _ALLOCATION, ("pool", "scope", "owner"), free)

    def holdings(self, service_id: str) -> list[Key]:
        return self.holdings_many([service_id]).get(service_id, [])

    def holdings_many(self, service_ids: list[str]) -> dict[str, list[Key]]:
        out: dict[str, list[Key]] = {}
        rows = select_among(
            self.session,
            _HOLDER,
            ("service_id", "pool", "scope", "owner"),
            where=[],
            column="service_id",
            values=service_ids,
        )
        for service_id, pool, scope, owner in rows:
            out.setdefault(service_id, []).append((pool, scope, owner))
        return out
