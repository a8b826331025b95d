"""Native configuration as plain data: nodes keyed by list entry, with leaves.

A device's configuration is a flat mapping from :class:`NodeId` (which
list of the native model, and the key values from the outermost list
inwards) to that entry's own leaves.  Leaves inside containers of the entry
are named with ``/`` (``route-targets/import``); leaf-lists hold a sorted
tuple.  Nested lists are separate nodes, so that a VRF and the static routes
inside it can belong to different services.  The shape of each list is
declared once per platform in a :class:`PlatformSchema`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from typing import NamedTuple

from controller.jsontext import dumps_as_json

LeafValue = str | tuple[str, ...]
Leaves = Mapping[str, LeafValue]


class NodeId(NamedTuple):
    """One list entry (or top-level container, with no keys) of the native model.

    A named tuple: planning hashes and compares tens of thousands of them
    per change, and a tuple does both in C (ordered by kind, then keys).
    """

    kind: str
    keys: tuple[str, ...] = ()

    def text(self) -> str:
        """Stable text form, for storage and messages: ``vrf[acme]``."""
        if not self.keys:
            return self.kind
        return self.kind + "[" + "][".join(self.keys) + "]"

    @classmethod
    def parse(cls, text: str) -> NodeId:
        kind, _, rest = text.partition("[")
        keys = tuple(rest[:-1].split("][")) if rest else ()
        return cls(kind, keys)


Config = dict[NodeId, dict[str, LeafValue]]

# Sort key giving :class:`NodeId`'s own order (kind, then keys); the nodes
# themselves sort the same.
node_order: Callable[[NodeId], tuple[str, tuple[str, ...]]] = attrgetter("kind", "keys")


@dataclass(frozen=True, slots=True)
class Step:
    """One element on the way from the top of the model to a list entry."""

    element: str
    key: str | None = None  # key leaf when the element is a list entry


@dataclass(frozen=True, slots=True)
class ListSchema:
    """Where a kind of node lives in the native model and what its leaves are."""

    kind: str
    steps: tuple[Step, ...]
    leaf_lists: frozenset[str] = frozenset()
    defaults: Mapping[str, str] = field(default_factory=dict)

    @property
    def key_names(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.steps if s.key is not None)

    def is_ancestor_of(self, other: ListSchema) -> bool:
        n = len(self.steps)
        return len(other.steps) > n and other.steps[:n] == self.steps


@dataclass(frozen=True, slots=True)
class PlatformSchema:
    """The native model of one platform: its namespace and its lists."""

    namespace: str
    root: str
    lists: tuple[ListSchema, ...]
    _kinds: Mapping[str, ListSchema] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_kinds", {schema.kind: schema for schema in self.lists})

    def kind(self, name: str) -> ListSchema:
        return self._kinds[name]

    def parent_of(self, node: NodeId) -> NodeId | None:
        """The nearest enclosing node of ``node`` that the schema knows, if any."""
        own = self.kind(node.kind)
        best: ListSchema | None = None
        for schema in self.lists:
            if schema.is_ancestor_of(own) and (best is None or len(schema.steps) > len(best.steps)):
                best = schema
        if best is None:
            return None
        return NodeId(best.kind, node.keys[: len(best.key_names)])


def canonical_leaves(schema: ListSchema, leaves: Leaves) -> dict[str, LeafValue]:
    """Leaves without those equal to the model's default, leaf-lists sorted."""
    defaults = schema.defaults
    out: dict[str, LeafValue] = {}
    for name, value in leaves.items():
        if isinstance(value, tuple):
            if value:
                out[name] = tuple(sorted(set(value)))
        elif not defaults or defaults.get(name) != value:
            out[name] = value
    return out


def leaves_json(leaves: Leaves) -> str:
    """Compact JSON object of ``leaves`` in name order (leaf-lists as arrays).

    The same text as ``json.dumps`` of the name-sorted leaves with
    separators ``(",", ":")`` (:func:`controller.jsontext.dumps_as_json`):
    stored rows, share digests and fingerprints are computed from it for
    every node a change touches.
    """
    return dumps_as_json(leaves if type(leaves) is dict else dict(leaves), sort_keys=True).decode()


def node_digest(node: NodeId, leaves: Leaves) -> int:
    """A 256-bit digest of one node, the unit of :func:`fingerprint`.

    The digested text is ``json.dumps([node.text(), sorted(leaves.items())])``
    with separators ``(",", ":")`` (:func:`controller.jsontext.dumps_as_json`).
    """
    data = dumps_as_json([node.text(), sorted(leaves.items())])
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


def fingerprint(config: Mapping[NodeId, Leaves]) -> str:
    """Order-independent fingerprint: XOR of node digests, updatable node by node."""
    acc = 0
    for node, leaves in config.items():
        acc ^= node_digest(node, leaves)
    return f"{acc:064x}"


def update_fingerprint(
    value: str, node: NodeId, *, before: Leaves | None, after: Leaves | None
) -> str:
    """``value`` after one node changed from ``before`` to ``after`` (None: absent)."""
    acc = int(value, 16)
    if before is not None:
        acc ^= node_digest(node, before)
    if after is not None:
        acc ^= node_digest(node, after)
    return f"{acc:064x}"


def config_to_json(config: Mapping[NodeId, Leaves]) -> dict[str, dict[str, object]]:
    """JSON-friendly form, nodes in sorted order."""
    return {
        node.text(): {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(leaves.items())}
        for node, leaves in sorted(config.items())
    }


def leaves_from_json(data: Mapping[str, object]) -> dict[str, LeafValue]:
    out: dict[str, LeafValue] = {}
    for name, value in data.items():
        out[name] = tuple(str(v) for v in value) if isinstance(value, list) else str(value)
    return out


def config_from_json(data: Mapping[str, Mapping[str, object]]) -> Config:
    return {NodeId.parse(text): leaves_from_json(leaves) for text, leaves in data.items()}
