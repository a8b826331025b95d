"""Diff on plain data: what to send so that ``before`` becomes ``after``.

Works on :data:`controller.render.tree.Config` mappings (intended vs
running, old footprint vs new).  The result is a list of :class:`Edit`
with the NETCONF edit-config operations of RFC 6241, Section 7.2:
``create`` for a node that is new, ``merge`` for changed leaves (with
``remove`` for leaves and leaf-list entries that go), ``delete`` for a node
that goes.  A node whose enclosing node is deleted or created in the same
diff needs no edit of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from controller.render.tree import LeafValue, Leaves, NodeId, PlatformSchema


class Operation(StrEnum):
    """RFC 6241, Section 7.2, operation attribute values used here."""

    CREATE = "create"
    MERGE = "merge"
    DELETE = "delete"


_NONE: Mapping[str, Any] = MappingProxyType({})


class Edit(NamedTuple):
    """One node's change: leaves to set, leaves and leaf-list entries to remove.

    A named tuple, made in half the time of a frozen dataclass: planning
    makes two per changed node (the edit and its reverse).
    """

    node: NodeId
    operation: Operation
    set: Mapping[str, LeafValue] = _NONE
    remove: tuple[str, ...] = ()
    remove_entries: Mapping[str, tuple[str, ...]] = _NONE

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"node": self.node.text(), "operation": self.operation.value}
        if self.set:
            out["set"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.set.items()}
        if self.remove:
            out["remove"] = list(self.remove)
        if self.remove_entries:
            out["remove-entries"] = {k: list(v) for k, v in self.remove_entries.items()}
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Edit:
        return cls(
            node=NodeId.parse(data["node"]),
            operation=Operation(data["operation"]),
            set={k: tuple(v) if isinstance(v, list) else v for k, v in data.get("set", {}).items()},
            remove=tuple(data.get("remove", ())),
            remove_entries={k: tuple(v) for k, v in data.get("remove-entries", {}).items()},
        )


def diff_node(node: NodeId, before: Leaves | None, after: Leaves | None) -> Edit | None:
    """The edit that turns one node from ``before`` into ``after`` (None: absent)."""
    if after is None:
        return None if before is None else Edit(node, Operation.DELETE)
    if before is None:
        return Edit(node, Operation.CREATE, dict(after))
    if before == after:
        return None
    changed: dict[str, LeafValue] = {}
    entries: dict[str, tuple[str, ...]] = {}
    for name, value in after.items():
        old = before.get(name)
        if old == value:
            continue
        if isinstance(value, tuple) and isinstance(old, tuple):
            added = tuple(v for v in value if v not in old)
            gone = tuple(v for v in old if v not in value)
            if added:
                changed[name] = added
            if gone:
                entries[name] = gone
        else:
            changed[name] = value
    removed = [n for n in before if n not in after and not isinstance(before[n], tuple)]
    entries.update({n: v for n, v in before.items() if n not in after and isinstance(v, tuple)})
    if not changed and not removed and not entries:
        return None
    return Edit(node, Operation.MERGE, changed, tuple(sorted(removed)), entries)


def diff_configs(
    before: Mapping[NodeId, Leaves],
    after: Mapping[NodeId, Leaves],
    *,
    schema: PlatformSchema | None = None,
) -> list[Edit]:
    """Edits turning ``before`` into ``after``, in node order.

    With ``schema``, edits covered by an enclosing node's create or delete
    are dropped (the enclosing edit carries them).
    """
    edits = []
    for node in sorted(before.keys() | after.keys()):
        edit = diff_node(node, before.get(node), after.get(node))
        if edit is not None:
            edits.append(edit)
    return edits if schema is None else fold(edits, schema)


def fold(edits: list[Edit], schema: PlatformSchema) -> list[Edit]:
    """``edits`` without those an enclosing node's delete carries."""
    deleted = {e.node for e in edits if e.operation is Operation.DELETE}
    if not deleted:
        return edits
    ancestors: dict[str, tuple[tuple[str, int], ...]] = {}  # per kind
    out = []
    for edit in edits:
        kind, keys = edit.node
        chain = ancestors.get(kind)
        if chain is None:
            chain = ancestors[kind] = _ancestors(schema, kind)
        if not any(NodeId(outer, keys[:n]) in deleted for outer, n in chain):
            out.append(edit)
    return out


def _ancestors(schema: PlatformSchema, kind: str) -> tuple[tuple[str, int], ...]:
    """The kinds enclosing ``kind``, nearest first, each with its number of keys."""
    out = []
    node = schema.parent_of(NodeId(kind, tuple(schema.kind(kind).key_names)))
    while node is not None:
        out.append((node.kind, len(node.keys)))
        node = schema.parent_of(node)
    return tuple(out)


def apply_edits(config: Mapping[NodeId, Leaves], edits: list[Edit]) -> dict[NodeId, Leaves]:
    """``config`` after ``edits`` (children of deleted nodes are not removed here)."""
    out: dict[NodeId, Leaves] = dict(config)
    for edit in edits:
        if edit.operation == Operation.DELETE:
            out.pop(edit.node, None)
            continue
        leaves: dict[str, LeafValue] = (
            {} if edit.operation == Operation.CREATE else dict(out.get(edit.node, {}))
        )
        for name, value in edit.set.items():
            old = leaves.get(name)
            merged = value
            if isinstance(value, tuple) and isinstance(old, tuple):
                merged = tuple(sorted(set(old) | set(value)))
            leaves[name] = merged
        for name in edit.remove:
            leaves.pop(name, None)
        for name, gone in edit.remove_entries.items():
            kept = tuple(v for v in leaves.get(name, ()) if v not in gone)
            if kept:
                leaves[name] = kept
            else:
                leaves.pop(name, None)
        out[edit.node] = leaves
    return out
