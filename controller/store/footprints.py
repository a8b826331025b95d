"""Repository of services, footprints, expected device configs and allocations.

Every query is bounded by what a change touches (a service's rows, a
device's touched nodes), never by the number of services stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from controller.render.tree import (
    Config,
    Leaves,
    NodeId,
    fingerprint,
    leaves_from_json,
    update_fingerprint,
)
from controller.store.services import (
    AllocationHolderRow,
    AllocationRow,
    DeviceNodeRow,
    DeviceRow,
    FootprintRow,
    ServiceRow,
)

_CHUNK = 500  # bound on IN-list sizes


def _dump(leaves: Leaves) -> str:
    return json.dumps(
        {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(leaves.items())},
        separators=(",", ":"),
    )


def _load(text: str) -> dict[str, Any]:
    return leaves_from_json(json.loads(text))


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def now() -> datetime:
    return datetime.now(UTC)


class ServiceRepository:
    """Services and what they put on devices, over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # services
    def service(self, service_id: str) -> ServiceRow | None:
        return self.session.get(ServiceRow, service_id)

    def services(self) -> list[ServiceRow]:
        return list(self.session.scalars(select(ServiceRow).order_by(ServiceRow.service_id)))

    def put_service(
        self, service_id: str, document: Mapping[str, Any], devices: list[str], tx: int | None
    ) -> None:
        row = self.session.get(ServiceRow, service_id) or ServiceRow(service_id=service_id)
        row.document = json.dumps(document, sort_keys=True)
        row.devices = json.dumps(sorted(devices))
        row.updated_at = now()
        if tx is not None:  # None: recorded without a transaction (nothing was sent)
            row.transaction_id = tx
        self.session.add(row)

    def drop_service(self, service_id: str) -> None:
        self.session.execute(delete(ServiceRow).where(ServiceRow.service_id == service_id))

    # devices
    def device(self, name: str) -> DeviceRow | None:
        return self.session.get(DeviceRow, name)

    def devices(self) -> list[DeviceRow]:
        return list(self.session.scalars(select(DeviceRow).order_by(DeviceRow.name)))

    def device_config(self, name: str) -> Config:
        rows = self.session.execute(
            select(DeviceNodeRow.node, DeviceNodeRow.leaves).where(DeviceNodeRow.device == name)
        )
        return {NodeId.parse(node): _load(leaves) for node, leaves in rows}

    def device_nodes(self, name: str, nodes: Iterable[NodeId]) -> dict[NodeId, Leaves]:
        out: dict[NodeId, Leaves] = {}
        for chunk in _chunks(sorted({n.text() for n in nodes})):
            rows = self.session.execute(
                select(DeviceNodeRow.node, DeviceNodeRow.leaves).where(
                    DeviceNodeRow.device == name, DeviceNodeRow.node.in_(chunk)
                )
            )
            out.update({NodeId.parse(node): _load(leaves) for node, leaves in rows})
        return out

    def replace_device_config(self, name: str, platform: str, config: Config) -> None:
        """Adopt ``config`` as what the device holds (sync-from)."""
        self.session.execute(delete(DeviceNodeRow).where(DeviceNodeRow.device == name))
        self.session.add_all(
            DeviceNodeRow(device=name, node=n.text(), leaves=_dump(v)) for n, v in config.items()
        )
        row = self.session.get(DeviceRow, name) or DeviceRow(name=name)
        row.platform, row.fingerprint, row.synced_at = platform, fingerprint(config), now()
        self.session.add(row)

    def set_device_nodes(
        self, name: str, before: Mapping[NodeId, Leaves], after: Mapping[NodeId, Leaves | None]
    ) -> None:
        """Record committed node changes and update the device's fingerprint."""
        row = self.session.get(DeviceRow, name)
        if row is None:
            raise KeyError(name)
        value = row.fingerprint
        for node, leaves in after.items():
            old = before.get(node)
            if old == leaves:
                continue
            value = update_fingerprint(value, node, before=old, after=leaves)
            key = {"device": name, "node": node.text()}
            existing = self.session.get(DeviceNodeRow, key)
            if leaves is None:
                if existing is not None:
                    self.session.delete(existing)
            elif existing is None:
                self.session.add(DeviceNodeRow(**key, leaves=_dump(leaves)))
            else:
                existing.leaves = _dump(leaves)
        row.fingerprint = value

    # footprints
    def owners(self, device: str, nodes: Iterable[NodeId]) -> dict[NodeId, dict[str, Leaves]]:
        out: dict[NodeId, dict[str, Leaves]] = {}
        for chunk in _chunks(sorted({n.text() for n in nodes})):
            rows = self.session.execute(
                select(FootprintRow.node, FootprintRow.owner, FootprintRow.leaves).where(
                    FootprintRow.device == device, FootprintRow.node.in_(chunk)
                )
            )
            for node, owner, leaves in rows:
                out.setdefault(NodeId.parse(node), {})[owner] = _load(leaves)
        return out

    def footprint(self, owner: str) -> dict[str, Config]:
        """Per device, what ``owner`` contributes."""
        rows = self.session.execute(
            select(FootprintRow.device, FootprintRow.node, FootprintRow.leaves).where(
                FootprintRow.owner == owner
            )
        )
        out: dict[str, Config] = {}
        for device, node, leaves in rows:
            out.setdefault(device, {})[NodeId.parse(node)] = _load(leaves)
        return out

    def set_owners(self, device: str, owners: Mapping[NodeId, Mapping[str, Leaves]]) -> None:
        """Replace the contributions of the given nodes."""
        for chunk in _chunks(sorted(n.text() for n in owners)):
            self.session.execute(
                delete(FootprintRow).where(
                    FootprintRow.device == device, FootprintRow.node.in_(chunk)
                )
            )
        self.session.add_all(
            FootprintRow(device=device, node=node.text(), owner=owner, leaves=_dump(leaves))
            for node, contributions in owners.items()
            for owner, leaves in contributions.items()
        )

    # allocations
    def allocated(self, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], int]:
        """Values of the given (pool, scope, owner) keys that exist.

        Queried per (pool, scope) with ``owner IN (...)`` so that every
        database uses the primary key's index (row-value IN lists are not
        indexed by SQLite).
        """
        groups: dict[tuple[str, str], list[str]] = {}
        for pool, scope, owner in keys:
            groups.setdefault((pool, scope), []).append(owner)
        out: dict[tuple[str, str, str], int] = {}
        for (pool, scope), owners in groups.items():
            for chunk in _chunks(sorted(set(owners))):
                rows = self.session.execute(
                    select(AllocationRow.owner, AllocationRow.value).where(
                        AllocationRow.pool == pool,
                        AllocationRow.scope == scope,
                        AllocationRow.owner.in_(chunk),
                    )
                )
                out.update({(pool, scope, o): v for o, v in rows})
        return out

    def highest(self, pool: str, scope: str) -> int | None:
        return self.session.scalar(
            select(func.max(AllocationRow.value)).where(
                AllocationRow.pool == pool, AllocationRow.scope == scope
            )
        )

    def used(self, pool: str, scope: str) -> list[int]:
        return list(
            self.session.scalars(
                select(AllocationRow.value)
                .where(AllocationRow.pool == pool, AllocationRow.scope == scope)
                .order_by(AllocationRow.value)
            )
        )

    def add_allocation(self, key: tuple[str, str, str], value: int) -> None:
        pool, scope, owner = key
        self.session.add(AllocationRow(pool=pool, scope=scope, owner=owner, value=value))
        self.session.flush()

    def hold(self, service_id: str, keys: Iterable[tuple[str, str, str]]) -> None:
        wanted = set(keys)
        held = set(self.holdings(service_id))
        self.session.add_all(
            AllocationHolderRow(pool=p, scope=s, owner=o, service_id=service_id)
            for p, s, o in wanted - held
        )
        self.release(service_id, held - wanted)

    def release(self, service_id: str, keys: Iterable[tuple[str, str, str]]) -> None:
        """Drop the service's hold on ``keys``; free values nobody else holds."""
        for pool, scope, owner in keys:
            where = and_(
                AllocationHolderRow.pool == pool,
                AllocationHolderRow.scope == scope,
                AllocationHolderRow.owner == owner,
            )
            self.session.execute(
                delete(AllocationHolderRow).where(
                    where, AllocationHolderRow.service_id == service_id
                )
            )
            others = self.session.scalar(
                select(func.count()).select_from(AllocationHolderRow).where(where)
            )
            if not others:
                self.session.execute(
                    delete(AllocationRow).where(
                        AllocationRow.pool == pool,
                        AllocationRow.scope == scope,
                        AllocationRow.owner == owner,
                    )
                )

    def holdings(self, service_id: str) -> list[tuple[str, str, str]]:
        rows = self.session.execute(
            select(
                AllocationHolderRow.pool, AllocationHolderRow.scope, AllocationHolderRow.owner
            ).where(AllocationHolderRow.service_id == service_id)
        )
        return [(pool, scope, owner) for pool, scope, owner in rows]
