"""Repository of services, footprints, expected device configs and allocations.

Every query is bounded by what a change touches (a service's rows, a
device's touched nodes), never by the number of services stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from controller.footprint import BASELINE, Claim, Share
from controller.jsontext import dumps
from controller.render.tree import (
    Config,
    Leaves,
    NodeId,
    fingerprint,
    leaves_from_json,
    leaves_json,
    node_digest,
    node_order,
)
from controller.store.allocations import AllocationRepository
from controller.store.bulk import (
    chunks,
    delete_tuples,
    driver_value,
    select_among,
    select_where,
    table_of,
    update_tuples,
    upsert_tuples,
)
from controller.store.services import (
    DeviceNodeRow,
    DeviceRow,
    FootprintRow,
    FootprintShareRow,
    ServiceRow,
)


def _dump(leaves: Leaves) -> str:
    return leaves_json(leaves)


class LeafTexts:
    """JSON texts (:func:`_dump`) and share digests of one record's leaves.

    A text is made once per distinct leaves of a node: a node's new state
    and its single owner's contribution are equal, and the owners of a
    shared node mostly contribute the same leaves.  Equal mappings have
    the same text (keys are sorted).  At most a few distinct leaves are
    remembered per node, so that a node with many different contributions
    costs no more comparisons than that.
    """

    KEPT: Final = 4  # distinct leaves remembered per node

    def __init__(self) -> None:
        self._known: dict[str, list[tuple[Leaves, str]]] = {}
        self._digests: dict[tuple[str, bool], str] = {}

    def text(self, node: str, leaves: Leaves) -> str:
        """The text of ``leaves`` (a state of or a contribution to ``node``)."""
        known = self._known.get(node)
        if known is None:
            known = self._known[node] = []
        else:
            for seen, text in known:
                if seen is leaves or seen == leaves:
                    return text
        text = _dump(leaves)
        if len(known) < self.KEPT:
            known.append((leaves, text))
        return text

    def digest(self, text: str, *, baseline: bool) -> str:
        """:func:`share_digest` of ``text``, made once."""
        key = (text, baseline)
        found = self._digests.get(key)
        if found is None:
            found = self._digests[key] = share_digest(text, baseline=baseline)
        return found

    def share(self, node: str, leaves: Leaves, *, baseline: bool) -> tuple[str, str]:
        """The text and share digest of a contribution to ``node``."""
        text = self.text(node, leaves)
        return text, self.digest(text, baseline=baseline)


def share_digest(text: str, *, baseline: bool) -> str:
    """Stored digest of a contribution whose JSON text (:func:`_dump`) is ``text``.

    Equal to the SHA-256 of :func:`controller.footprint.share_key`, whose
    body is that same text, so that the text is made once per contribution.
    """
    return hashlib.sha256((("B" if baseline else "S") + text).encode()).hexdigest()


def _load(text: str) -> dict[str, Any]:
    return leaves_from_json(json.loads(text))


def now() -> datetime:
    return datetime.now(UTC)


class ServiceRepository(AllocationRepository):
    """Services and what they put on devices, and pool allocations, over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # services
    def service(self, service_id: str) -> ServiceRow | None:
        return self.session.get(ServiceRow, service_id)

    def services(self) -> list[ServiceRow]:
        return list(self.session.scalars(select(ServiceRow).order_by(ServiceRow.service_id)))

    def stored_devices(self, service_ids: Iterable[str]) -> set[str]:
        """The devices the stored footprints of ``service_ids`` are on."""
        rows = select_among(
            self.session,
            table_of(ServiceRow),
            ("devices",),
            where=[],
            column="service_id",
            values=service_ids,
        )
        return {d for (text,) in rows for d in json.loads(text)}

    def services_by_id(self, service_ids: list[str]) -> dict[str, ServiceRow]:
        out: dict[str, ServiceRow] = {}
        for chunk in chunks(sorted(set(service_ids))):
            rows = self.session.scalars(select(ServiceRow).where(ServiceRow.service_id.in_(chunk)))
            out.update({r.service_id: r for r in rows})
        return out

    def put_service(
        self, service_id: str, document: Mapping[str, Any], devices: list[str], tx: int | None
    ) -> None:
        self.put_services({service_id: (document, devices)}, tx)

    def put_services(
        self, services: Mapping[str, tuple[Mapping[str, Any] | str, list[str]]], tx: int | None
    ) -> None:
        """Store services as applied: ``{service_id: (document, devices)}``.

        A document may be given as its stored text (compact JSON with
        sorted keys, :func:`controller.jsontext.dumps`).  One upsert: a batch
        can hold thousands of services; a service stored already keeps its
        transaction when ``tx`` is None.
        """
        table = table_of(ServiceRow)
        at = driver_value(self.session, table, "updated_at", now())
        rows = [
            (
                service_id,
                document if isinstance(document, str) else dumps(document, sort_keys=True),
                dumps(sorted(devices)),
                at,
                tx,
            )
            for service_id, (document, devices) in services.items()
        ]
        columns = ("service_id", "document", "devices", "updated_at", "transaction_id")
        replace = columns[1:] if tx is not None else columns[1:4]  # None: nothing was sent
        upsert_tuples(self.session, table, columns, rows, key=columns[:1], replace=replace)

    def drop_services(self, service_ids: list[str]) -> None:
        for chunk in chunks(sorted(set(service_ids))):
            self.session.execute(delete(ServiceRow).where(ServiceRow.service_id.in_(chunk)))

    def drop_service(self, service_id: str) -> None:
        self.session.execute(delete(ServiceRow).where(ServiceRow.service_id == service_id))

    # devices
    def device(self, name: str) -> DeviceRow | None:
        return self.session.get(DeviceRow, name)

    def devices(self) -> list[DeviceRow]:
        return list(self.session.scalars(select(DeviceRow).order_by(DeviceRow.name)))

    def device_config(self, name: str) -> Config:
        rows = select_where(
            self.session, table_of(DeviceNodeRow), ("node", "leaves"), where=[("device", name)]
        )
        return {NodeId.parse(node): _load(leaves) for node, leaves in rows}

    def device_nodes(self, name: str, nodes: Iterable[NodeId]) -> dict[NodeId, Leaves]:
        rows = select_among(
            self.session,
            table_of(DeviceNodeRow),
            ("node", "leaves"),
            where=[("device", name)],
            column="node",
            values=[n.text() for n in nodes],
        )
        return {NodeId.parse(node): _load(leaves) for node, leaves in rows}

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
        self,
        name: str,
        before: Mapping[NodeId, Leaves],
        after: Mapping[NodeId, Leaves | None],
        *,
        texts: LeafTexts | None = None,
    ) -> None:
        """Record committed node changes and update the device's fingerprint.

        ``texts`` shares the leaves' JSON texts with :meth:`set_claims`.
        """
        devices = table_of(DeviceRow)
        found = select_where(self.session, devices, ("fingerprint",), where=[("name", name)])
        if not found:
            raise KeyError(name)
        texts = texts or LeafTexts()
        value = int(found[0][0], 16)  # as update_fingerprint, node after node
        stored: list[tuple[str, str, str]] = []
        gone: list[tuple[str, str]] = []
        for node in sorted((n for n, v in after.items() if before.get(n) != v), key=node_order):
            old, leaves, text = before.get(node), after[node], node.text()
            if old is not None:
                value ^= node_digest(node, old)
            if leaves is None:
                gone.append((name, text))
            else:
                value ^= node_digest(node, leaves)
                stored.append((name, text, texts.text(text, leaves)))
        table = table_of(DeviceNodeRow)
        delete_tuples(self.session, table, ("device", "node"), gone)
        upsert_tuples(
            self.session,
            table,
            ("device", "node", "leaves"),
            stored,
            key=("device", "node"),
            replace=("leaves",),
        )
        new = [(f"{value:064x}", name)]
        update_tuples(self.session, devices, ("fingerprint",), new, key=("name",))
        loaded = self.session.identity_map.get(identity_key(DeviceRow, name))
        if loaded is not None:  # a row loaded in this session reads the new value
            self.session.expire(loaded, ["fingerprint"])

    # footprints
    def shares(self, device: str, nodes: Iterable[NodeId]) -> dict[NodeId, list[Share]]:
        """The grouped contributions of ``nodes`` (one row per distinct contribution)."""
        out: dict[NodeId, list[Share]] = {}
        rows = select_among(
            self.session,
            table_of(FootprintShareRow),
            ("node", "leaves", "holders", "baseline"),
            where=[("device", device)],
            column="node",
            values=[n.text() for n in nodes],
        )
        for node, leaves, holders, baseline in rows:  # baseline: 0/1 from SQLite's driver
            share = Share(_load(leaves), holders, baseline=bool(baseline))
            out.setdefault(NodeId.parse(node), []).append(share)
        return out

    def footprint(self, owner: str) -> dict[str, Config]:
        """Per device, what ``owner`` contributes."""
        return self.footprints([owner]).get(owner, {})

    def footprints(self, owners: list[str]) -> dict[str, dict[str, Config]]:
        """Per owner and device, what each of ``owners`` contributes."""
        out: dict[str, dict[str, Config]] = {}
        rows = select_among(
            self.session,
            table_of(FootprintRow),
            ("owner", "device", "node", "leaves"),
            where=[],
            column="owner",
            values=owners,
        )
        for owner, device, node, leaves in rows:
            out.setdefault(owner, {}).setdefault(device, {})[NodeId.parse(node)] = _load(leaves)
        return out

    def set_claims(
        self,
        device: str,
        claims: Mapping[NodeId, Mapping[str, Claim]],
        *,
        texts: LeafTexts | None = None,
    ) -> None:
        """Record changed contributions: each owner's row, and the shares' counts.

        An owner's row exists exactly when its claim has a ``before``; each
        distinct contribution of a node is made into JSON text once.
        """
        texts = texts or LeafTexts()
        counts: dict[tuple[str, str], int] = {}
        found: dict[tuple[str, str], tuple[bool, str]] = {}
        gone: list[tuple[str, str, str]] = []
        added: list[tuple[str, str, str, str]] = []
        for node, owners in claims.items():
            name = node.text()
            for owner, claim in owners.items():
                baseline = owner == BASELINE
                if claim.before is not None:
                    text, digest = texts.share(name, claim.before, baseline=baseline)
                    counts[name, digest] = counts.get((name, digest), 0) - 1
                    found[name, digest] = (baseline, text)
                    if claim.after is None:
                        gone.append((device, name, owner))
                if claim.after is not None:
                    text, digest = texts.share(name, claim.after, baseline=baseline)
                    counts[name, digest] = counts.get((name, digest), 0) + 1
                    found[name, digest] = (baseline, text)
                    added.append((device, name, owner, text))
        table = table_of(FootprintRow)
        delete_tuples(self.session, table, ("device", "node", "owner"), gone)
        columns = ("device", "node", "owner", "leaves")
        key = ("device", "node", "owner")
        upsert_tuples(self.session, table, columns, added, key=key, replace=("leaves",))
        self._count_shares(device, {k: v for k, v in counts.items() if v}, found)

    def _count_shares(
        self,
        device: str,
        counts: Mapping[tuple[str, str], int],
        found: Mapping[tuple[str, str], tuple[bool, str]],
    ) -> None:
        """Add ``counts`` to the shares' holders (rows made as needed); drop those left
        with none.  Counted by the database, so that no share row is read first."""
        table = table_of(FootprintShareRow)
        rows = [
            (device, n, g, found[(n, g)][0], found[(n, g)][1], step)
            for (n, g), step in sorted(counts.items())
        ]
        columns = ("device", "node", "digest", "baseline", "leaves", "holders")
        key = ("device", "node", "digest")
        upsert_tuples(self.session, table, columns, rows, key=key, add=("holders",))
        fewer = [(device, n, g) for (n, g), step in counts.items() if step < 0]
        delete_tuples(self.session, table, key, fewer, condition="holders <= 0")
