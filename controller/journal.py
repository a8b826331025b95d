"""The transaction journal: who changed what on which device, and how it ended.

A transaction is written (state ``prepared``, with every device's forward
and reverse edits) before any device is touched, and finished afterwards.
A controller that dies in between leaves it ``prepared``; on the next
start ``controller.execution.recover`` marks such transactions failed (the
devices rolled themselves back when their confirmed-commit timer ran out).
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from controller.diff import Edit
from controller.jsontext import dumps
from controller.store.bulk import insert_tuples
from controller.store.footprints import now
from controller.store.services import (
    TransactionDeviceRow,
    TransactionRow,
    TransactionServiceRow,
)


class TxState(StrEnum):
    PREPARED = "prepared"
    COMMITTED = "committed"
    FAILED = "failed"


def who() -> str:
    """User, host and process that start a transaction: ``user@host:pid``."""
    return f"{getpass.getuser()}@{socket.gethostname()}:{os.getpid()}"


def process_gone(started_by: str) -> bool:
    """Whether the process named by :func:`who` is known to be gone (same host only)."""
    _user, _, where = started_by.rpartition("@")
    host, _, pid = where.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's controller: only its leases tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True, slots=True)
class DeviceEntry:
    device: str
    forward: list[Edit]
    reverse: list[Edit]
    outcome: str
    error: str | None


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    service_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _edits(items: Sequence[Edit]) -> str:
    """The JSON text of ``[e.to_json() for e in items]``, without converting
    each leaf-list to a list first (tuples are written as arrays) nor the
    operation to its value (a StrEnum is written as its text)."""
    return dumps([_edit_form(e) for e in items])


def _edit_form(edit: Edit) -> dict[str, Any]:
    out: dict[str, Any] = {"node": edit.node.text(), "operation": edit.operation}
    if edit.set:
        out["set"] = edit.set if type(edit.set) is dict else dict(edit.set)
    if edit.remove:
        out["remove"] = edit.remove
    if edit.remove_entries:
        entries = edit.remove_entries
        out["remove-entries"] = entries if type(entries) is dict else dict(entries)
    return out


Document = Mapping[str, Any] | str | None  # a document, its stored text, or absent


def _text(document: Document) -> str | None:
    if document is None or isinstance(document, str):
        return document
    return dumps(document, sort_keys=True)


def _table(model: Any) -> Table:
    return cast("Table", model.__table__)


def _doc(text: str | None) -> dict[str, Any] | None:
    return None if text is None else dict(json.loads(text))


class Journal:
    """Repository of transactions over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def begin(
        self,
        *,
        command: str,
        devices: Mapping[str, tuple[Sequence[Edit], Sequence[Edit]]],
        services: Mapping[str, tuple[Document, Document]],
        rollback_of: int | None = None,
    ) -> int:
        """Journal a transaction (state prepared) with its edits and services: :meth:`open`
        then :meth:`add`."""
        tx = self.open(command=command, rollback_of=rollback_of)
        self.add(tx, devices=devices, services=services)
        return tx

    def open(self, *, command: str, rollback_of: int | None = None) -> int:
        """A new entry (state prepared) without its edits yet; its id."""
        row = TransactionRow(
            started_at=now(),
            started_by=who(),
            command=command,
            state=TxState.PREPARED.value,
            rollback_of=rollback_of,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def add(
        self,
        tx: int,
        *,
        devices: Mapping[str, tuple[Sequence[Edit], Sequence[Edit]]],
        services: Mapping[str, tuple[Document, Document]],
    ) -> None:
        """Each device's forward and reverse edits and each service's documents, to ``tx``."""
        device_rows = [
            {"transaction_id": tx, "device": device, "outcome": "pending"}
            | {"forward": _edits(forward), "reverse": _edits(reverse)}
            for device, (forward, reverse) in devices.items()
        ]
        service_rows = [
            (tx, service_id, _text(before), _text(after))
            for service_id, (before, after) in services.items()
        ]
        # One statement each: a journal entry can hold thousands of services.
        if device_rows:
            self.session.execute(insert(_table(TransactionDeviceRow)), device_rows)
        columns = ("transaction_id", "service_id", "before", "after")
        insert_tuples(self.session, _table(TransactionServiceRow), columns, service_rows)

    def finish(
        self,
        tx: int,
        *,
        state: TxState,
        error: str | None = None,
        outcomes: Mapping[str, tuple[str, str | None]] | None = None,
    ) -> None:
        """Record how ``tx`` ended, and each device's outcome (Core updates, no row loads)."""
        ended = self.session.execute(
            update(_table(TransactionRow))
            .where(TransactionRow.id == tx)
            .values(state=state.value, error=error, finished_at=now())
        )
        if cast("CursorResult[Any]", ended).rowcount != 1:
            raise KeyError(tx)
        device = _table(TransactionDeviceRow)
        rows = [
            {"tx_": tx, "device_": d, "outcome_": outcome, "error_": device_error}
            for d, (outcome, device_error) in (outcomes or {}).items()
        ]
        if rows:
            self.session.execute(
                update(device)
                .where(device.c.transaction_id == bindparam("tx_"))
                .where(device.c.device == bindparam("device_"))
                .values(outcome=bindparam("outcome_"), error=bindparam("error_")),
                rows,
            )

    def stamp_finished(self, tx: int) -> None:
        """Set when ``tx`` ended to now (its outcome was written by :meth:`finish` before)."""
        self.session.execute(
            update(_table(TransactionRow)).where(TransactionRow.id == tx).values(finished_at=now())
        )

    def prepared(self) -> list[int]:
        """Transactions not finished (running now, or left by a dead controller)."""
        return list(
            self.session.scalars(
                select(TransactionRow.id).where(TransactionRow.state == TxState.PREPARED.value)
            )
        )

    def starter_gone(self, tx: int) -> bool:
        row = self.session.get(TransactionRow, tx)
        return row is not None and process_gone(row.started_by)

    def transactions(self, limit: int = 50) -> list[TransactionRow]:
        return list(
            self.session.scalars(
                select(TransactionRow).order_by(TransactionRow.id.desc()).limit(limit)
            )
        )

    def transaction(self, tx: int) -> TransactionRow | None:
        return self.session.get(TransactionRow, tx)

    def devices(self, tx: int) -> list[DeviceEntry]:
        rows = self.session.scalars(
            select(TransactionDeviceRow)
            .where(TransactionDeviceRow.transaction_id == tx)
            .order_by(TransactionDeviceRow.device)
        )
        return [
            DeviceEntry(
                device=r.device,
                forward=[Edit.from_json(e) for e in json.loads(r.forward)],
                reverse=[Edit.from_json(e) for e in json.loads(r.reverse)],
                outcome=r.outcome,
                error=r.error,
            )
            for r in rows
        ]

    def services(self, tx: int) -> list[ServiceEntry]:
        rows = self.session.scalars(
            select(TransactionServiceRow)
            .where(TransactionServiceRow.transaction_id == tx)
            .order_by(TransactionServiceRow.service_id)
        )
        return [ServiceEntry(r.service_id, _doc(r.before), _doc(r.after)) for r in rows]
