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

from collections.abc import Mapping
from dataclasses import dataclass, field

from controller.diff import Edit, diff_configs
from controller.errors import ControllerError
from controller.render.tree import LeafValue, Leaves, NodeId, PlatformSchema

BASELINE = ""  # owner of configuration no service created


class FootprintConflict(ControllerError, ValueError):
    """Two services want different values for the same leaf of a shared node."""


def merge(node: NodeId, contributions: Mapping[str, Leaves]) -> dict[str, LeafValue] | None:
    """The node as the union of its owners' contributions (None: no owner left)."""
    if not contributions:
        return None
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
                    f"{node.text()}: {name} is {old!r} for {origin[name] or 'the device'} "
                    f"but {value!r} for {owner}"
                )
            else:
                merged[name], origin[name] = value, owner
    return merged


@dataclass(slots=True)
class DevicePlan:
    """What one device gets: node states before/after, contributions after, edits."""

    device: str
    before: dict[NodeId, Leaves] = field(default_factory=dict)
    after: dict[NodeId, Leaves | None] = field(default_factory=dict)
    owners: dict[NodeId, dict[str, Leaves]] = field(default_factory=dict)
    edits: list[Edit] = field(default_factory=list)
    reverse: list[Edit] = field(default_factory=list)


def plan_device(
    *,
    device: str,
    schema: PlatformSchema,
    current: Mapping[NodeId, Leaves],
    owners: Mapping[NodeId, Mapping[str, Leaves]],
    old: Mapping[str, Mapping[NodeId, Leaves]],
    new: Mapping[str, Mapping[NodeId, Leaves]],
) -> DevicePlan:
    """Plan the change of the services in ``new`` on one device.

    ``current`` and ``owners`` need only cover the nodes the changing
    services touch (their ``old`` and ``new`` contributions), so the cost
    follows the size of the change, not the number of services stored.
    """
    touched = {n for cfg in (*old.values(), *new.values()) for n in cfg}
    plan = DevicePlan(device=device)
    for node in sorted(touched):
        contributions = dict(owners.get(node, {}))
        if node in current and not contributions:
            contributions[BASELINE] = current[node]
        for service in new:
            contributions.pop(service, None)
            if node in new[service]:
                contributions[service] = new[service][node]
        if set(contributions) == {BASELINE}:
            contributions = {} if node not in current else contributions
        after = merge(node, contributions)
        if node in current:
            plan.before[node] = current[node]
        plan.after[node] = after
        plan.owners[node] = {} if set(contributions) == {BASELINE} else contributions
    after_config = {n: v for n, v in plan.after.items() if v is not None}
    plan.edits = diff_configs(plan.before, after_config, schema=schema)
    plan.reverse = diff_configs(after_config, plan.before, schema=schema)
    return plan
