"""Footprints with reference counts: shared nodes stay while anyone needs them."""

from __future__ import annotations

import pytest

from controller.diff import Operation
from controller.footprint import BASELINE, FootprintConflict, merge, plan_device
from controller.render.netsla_router import SCHEMA
from controller.render.tree import Config, NodeId

VRF = NodeId("vrf", ("acme",))
SUB_A = NodeId("subinterface", ("eth1", "100"))
SUB_B = NodeId("subinterface", ("eth2", "101"))
VRF_LEAVES = {"rd": "65000:1", "route-targets/import": ("65000:1",)}


def plan(
    current: Config,
    owners: dict[NodeId, dict[str, Config]],
    old: dict[str, Config],
    new: dict[str, Config],
):  # type: ignore[no-untyped-def]
    return plan_device(
        device="pe1", schema=SCHEMA, current=current, owners=owners, old=old, new=new
    )


def test_first_service_creates_shared_vrf() -> None:
    result = plan({}, {}, {}, {"s1": {VRF: VRF_LEAVES, SUB_A: {"vlan-id": "100"}}})
    assert {e.node: e.operation for e in result.edits} == {
        VRF: Operation.CREATE,
        SUB_A: Operation.CREATE,
    }
    assert result.owners[VRF] == {"s1": VRF_LEAVES}


def test_deleting_one_of_two_owners_keeps_the_vrf() -> None:
    current: Config = {VRF: VRF_LEAVES, SUB_A: {"vlan-id": "100"}, SUB_B: {"vlan-id": "101"}}
    owners = {VRF: {"s1": VRF_LEAVES, "s2": VRF_LEAVES}, SUB_A: {"s1": {"vlan-id": "100"}}}
    result = plan(current, owners, {"s1": {VRF: VRF_LEAVES, SUB_A: {"vlan-id": "100"}}}, {"s1": {}})
    assert [(e.node, e.operation) for e in result.edits] == [(SUB_A, Operation.DELETE)]
    assert result.owners[VRF] == {"s2": VRF_LEAVES}


def test_deleting_the_last_owner_removes_the_vrf() -> None:
    current: Config = {VRF: VRF_LEAVES}
    result = plan(current, {VRF: {"s2": VRF_LEAVES}}, {"s2": {VRF: VRF_LEAVES}}, {"s2": {}})
    assert [(e.node, e.operation) for e in result.edits] == [(VRF, Operation.DELETE)]
    assert result.owners[VRF] == {}
    assert [(e.node, e.operation) for e in result.reverse] == [(VRF, Operation.CREATE)]


def test_same_contribution_again_sends_nothing() -> None:
    contribution: Config = {VRF: VRF_LEAVES}
    result = plan(
        {VRF: VRF_LEAVES}, {VRF: {"s1": VRF_LEAVES}}, {"s1": contribution}, {"s1": contribution}
    )
    assert result.edits == []


def test_config_that_was_there_before_is_restored_not_deleted() -> None:
    iface = NodeId("interface", ("eth1",))
    current: Config = {iface: {"description": "uplink"}}
    claimed = plan(current, {}, {}, {"s1": {iface: {}}})
    assert claimed.edits == []
    assert claimed.owners[iface] == {BASELINE: {"description": "uplink"}, "s1": {}}
    released = plan(current, claimed.owners, {"s1": {iface: {}}}, {"s1": {}})
    assert released.edits == []


def test_conflicting_leaf_of_a_shared_node_is_refused() -> None:
    with pytest.raises(FootprintConflict, match="rd"):
        merge(VRF, {"s1": {"rd": "65000:1"}, "s2": {"rd": "65000:2"}})


def test_leaf_lists_of_owners_are_united() -> None:
    merged = merge(
        VRF,
        {
            "s1": {"route-targets/import": ("65000:1",)},
            "s2": {"route-targets/import": ("65000:2",)},
        },
    )
    assert merged == {"route-targets/import": ("65000:1", "65000:2")}
