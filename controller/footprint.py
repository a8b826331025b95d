"""Per-service, per-device footprints with reference counts (pure).

Each service's contribution to a device is stored node by node.  A node
that several services need (a VRF two sites share, a QoS policy of the
same rate) has several contributions: it exists while any remains, and
its leaves are the merge of them all (leaf-lists united, scalar leaves
must agree).  Configuration that was on the device before any service
claimed it is kept as the :data:`BASELINE` contribution, so that deleting
the last service restores it instead of deleting it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from controller.diff import Edit, Operation, diff_node, fold
from controller.errors import ControllerError
from controller.render.tree import (
    LeafValue,
    Leaves,
    NodeId,
    PlatformSchema,
    leaves_json,
)

BASELINE = ""  # owner of configuration no service created


class FootprintConflict(ControllerError, ValueError):
    """Two services want different values for the same leaf of a shared node.

    ``node`` and ``leaf`` say where without the values or the other owner,
    for a caller who may not see them (a customer's token).
    """

    def __init__(self, node: str, leaf: str, detail: str, *, device: str = "") -> None:
        super().__init__(f"{device + ': ' if device else ''}{node}: {leaf} {detail}")
        self.node = node
        self.leaf = leaf
        self.detail = detail
        self.device = device


def merge(node: NodeId, contributions: Mapping[str, Leaves]) -> dict[str, LeafValue] | None:
    """The node as the union of its owners' contributions (None: no owner left)."""
    if not contributions:
        return None
    if len(contributions) == 1:  # most nodes: nothing to unite or to disagree with
        (leaves,) = contributions.values()
        return {n: tuple(sorted(set(v))) if isinstance(v, tuple) else v for n, v in leaves.items()}
    merged: dict[str, LeafValue] = {}
    origin: dict[str, str] = {}
    for owner in sorted(contributions):
        for name, value in contributions[owner].items():
            old = merged.get(name)
            if isinstance(value, tuple):
                merged[name] = tuple(
                    sorted(set(old if isinstance(old, tuple) else ()) | set(value))
                )
            elif old is None or owner == BASELINE:
                merged[name], origin[name] = value, owner
            elif old != value and origin.get(name) != BASELINE:
                raise FootprintConflict(
                    node.text(),
                    name,
                    f"is {old!r} for {origin[name] or 'the device'} but {value!r} for {owner}",
                )
            else:
                merged[name], origin[name] = value, owner
    return merged


@dataclass(frozen=True, slots=True)
class Share:
    """Owners of one node that contribute exactly the same leaves, counted.

    A node's contributions are stored grouped like this (next to each
    owner's own row), so that planning a change of one service reads one
    share per distinct contribution, not one row per service holding the
    node: merging is idempotent, so equal contributions merge as one.
    """

    leaves: Leaves
    holders: int
    baseline: bool = False  # the configuration no service created


def share_key(leaves: Leaves, *, baseline: bool = False) -> str:
    """Stable text of a contribution, equal for equal leaves."""
    return ("B" if baseline else "S") + leaves_json(leaves)


class Claim(NamedTuple):
    """One owner's contribution to one node changing: ``before`` -> ``after`` (None: none)."""

    before: Leaves | None
    after: Leaves | None


@dataclass(slots=True)
class DevicePlan:
    """What one device gets: node states before/after, changed contributions, edits."""

    device: str
    before: dict[NodeId, Leaves] = field(default_factory=dict)
    after: dict[NodeId, Leaves | None] = field(default_factory=dict)
    claims: dict[NodeId, dict[str, Claim]] = field(default_factory=dict)
    edits: list[Edit] = field(default_factory=list)
    reverse: list[Edit] = field(default_factory=list)


def _others(
    shares: Sequence[Share], old: Mapping[str, Leaves]
) -> tuple[Leaves | None, dict[frozenset[tuple[str, LeafValue]], tuple[Leaves, int]]]:
    """The node's baseline, and the contributions of owners not in ``old`` (grouped).

    Contributions are grouped by their set of leaves: equal for equal
    leaves, as :func:`share_key` is, without making JSON text.
    """
    baseline: Leaves | None = None
    groups: dict[frozenset[tuple[str, LeafValue]], tuple[Leaves, int]] = {}
    for share in shares:
        if share.baseline:
            baseline = share.leaves
        else:
            groups[frozenset(share.leaves.items())] = (share.leaves, share.holders)
    for leaves in old.values():
        key = frozenset(leaves.items())
        kept, holders = groups.get(key, (leaves, 0))
        if holders <= 1:
            groups.pop(key, None)
        else:
            groups[key] = (kept, holders - 1)
    return baseline, groups


def _by_node(configs: Mapping[str, Mapping[NodeId, Leaves]]) -> dict[NodeId, dict[str, Leaves]]:
    out: dict[NodeId, dict[str, Leaves]] = {}
    for owner in sorted(configs):
        for node, leaves in configs[owner].items():
            out.setdefault(node, {})[owner] = leaves
    return out


def _contributions(
    baseline: Leaves | None,
    groups: Mapping[frozenset[tuple[str, LeafValue]], tuple[Leaves, int]],
    mine: Mapping[str, Leaves],
) -> dict[str, Leaves]:
    """Contributions keyed for :func:`merge`: baseline first, others by a label."""
    out: dict[str, Leaves] = {} if baseline is None else {BASELINE: baseline}
    for index, (leaves, holders) in enumerate(groups.values()):
        out[f"{holders} other service(s) #{index}"] = leaves
    out.update(mine)
    return out


def plan_device(
    *,
    device: str,
    schema: PlatformSchema,
    current: Mapping[NodeId, Leaves],
    shares: Mapping[NodeId, Sequence[Share]],
    old: Mapping[str, Mapping[NodeId, Leaves]],
    new: Mapping[str, Mapping[NodeId, Leaves]],
) -> DevicePlan:
    """Plan the change of the services in ``new`` on one device.

    ``current`` and ``shares`` need only cover the nodes the changing
    services touch (their ``old`` and ``new`` contributions); ``old`` holds
    what every changing service contributes now.  The cost follows the
    size of the change, not the number of services stored.
    """
    old_by_node, new_by_node = _by_node(old), _by_node(new)
    plan = DevicePlan(device=device)
    edits, reverse = [], []
    try:
        for node in sorted(old_by_node.keys() | new_by_node.keys()):
            held = shares.get(node, ())
            was = old_by_node.get(node, {})
            mine = new_by_node.get(node, {})
            before = current.get(node)
            if not held and not was and before is None and len(mine) == 1:
                # A new node of one service: what _after and _claims make of it, directly.
                ((owner, leaves),) = mine.items()
                created = merge(node, mine) or {}  # one contribution: never None
                plan.after[node] = created
                plan.claims[node] = {owner: Claim(None, leaves)}
                edits.append(Edit(node, Operation.CREATE, dict(created)))
                reverse.append(Edit(node, Operation.DELETE))
                continue
            stored, groups = _others(held, was)
            after, baseline = _after(
                node, before, held=bool(held), stored=stored, groups=groups, mine=mine
            )
            if before is not None:
                plan.before[node] = before
            plan.after[node] = after
            plan.claims[node] = _claims(was, mine, before=stored, after=baseline)
            if (edit := diff_node(node, before, after)) is not None:
                edits.append(edit)
            if (undo := diff_node(node, after, before)) is not None:
                reverse.append(undo)
    except FootprintConflict as exc:  # say on which device
        raise FootprintConflict(exc.node, exc.leaf, exc.detail, device=device) from None
    plan.edits, plan.reverse = fold(edits, schema), fold(reverse, schema)
    return plan


def _after(
    node: NodeId,
    current: Leaves | None,
    *,
    held: bool,
    stored: Leaves | None,
    groups: Mapping[frozenset[tuple[str, LeafValue]], tuple[Leaves, int]],
    mine: Mapping[str, Leaves],
) -> tuple[Leaves | None, Leaves | None]:
    """The node's leaves after the change (None: absent) and its baseline then."""
    if not groups and not mine:  # nobody's again: back to what was there before
        if stored is not None:
            return merge(node, {BASELINE: stored}), None  # the baseline row goes
        return (None if held else current), None  # a node no service held stays as it is
    baseline = stored
    if current is not None and stored is None and not held:
        baseline = current  # first claim on configuration found on the device
    if baseline is None and not groups:
        return merge(node, mine), None  # the changing services alone
    return merge(node, _contributions(baseline, groups, mine)), baseline


def _claims(
    was: Mapping[str, Leaves],
    mine: Mapping[str, Leaves],
    *,
    before: Leaves | None,
    after: Leaves | None,
) -> dict[str, Claim]:
    """The contributions to one node that change (changing services, the baseline).

    ``before`` and ``after`` are the node's stored baseline and its new one.
    """
    out: dict[str, Claim] = {}
    for service, leaves in was.items():
        if service not in mine:
            out[service] = Claim(leaves, None)
    for service, leaves in mine.items():
        old = was.get(service)
        if old != leaves:
            out[service] = Claim(old, leaves)
    if before != after:
        out[BASELINE] = Claim(before, after)
    return out
