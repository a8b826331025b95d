"""Footprints with reference counts: shared nodes stay while anyone needs them."""

from __future__ import annotations

import hashlib
import json

import pytest

from controller.diff import Operation, diff_configs
from controller.footprint import (
    BASELINE,
    Claim,
    DevicePlan,
    FootprintConflict,
    Share,
    merge,
    plan_device,
)
from controller.render.netsla_router import SCHEMA
from controller.render.tree import Config, Leaves, NodeId, leaves_json, node_digest

VRF = NodeId("vrf", ("acme",))
SUB_A = NodeId("subinterface", ("eth1", "100"))
SUB_B = NodeId("subinterface", ("eth2", "101"))
VRF_LEAVES = {"rd": "65000:1", "route-targets/import": ("65000:1",)}


def shares_of(owners: dict[NodeId, dict[str, Leaves]]) -> dict[NodeId, list[Share]]:
    """Contributions per owner, grouped as the store keeps them."""
    out: dict[NodeId, list[Share]] = {}
    for node, contributions in owners.items():
        groups: dict[tuple[bool, str], Share] = {}
        for owner, leaves in contributions.items():
            key = (owner == BASELINE, repr(sorted(leaves.items())))
            held = groups[key].holders if key in groups else 0
            groups[key] = Share(leaves, held + 1, baseline=owner == BASELINE)
        out[node] = list(groups.values())
    return out


def owners_after(owners: dict[NodeId, dict[str, Leaves]], result: DevicePlan) -> dict:  # type: ignore[type-arg]
    """``owners`` with the plan's claims recorded."""
    out = {n: dict(c) for n, c in owners.items()}
    for node, claims in result.claims.items():
        for owner, claim in claims.items():
            out.setdefault(node, {}).pop(owner, None)
            if claim.after is not None:
                out[node][owner] = claim.after
    return {n: c for n, c in out.items() if c}


def plan(
    current: Config,
    owners: dict[NodeId, dict[str, Leaves]],
    old: dict[str, Config],
    new: dict[str, Config],
) -> DevicePlan:
    return plan_device(
        device="pe1", schema=SCHEMA, current=current, shares=shares_of(owners), old=old, new=new
    )


def test_first_service_creates_shared_vrf() -> None:
    result = plan({}, {}, {}, {"s1": {VRF: VRF_LEAVES, SUB_A: {"vlan-id": "100"}}})
    assert {e.node: e.operation for e in result.edits} == {
        VRF: Operation.CREATE,
        SUB_A: Operation.CREATE,
    }
    assert result.claims[VRF] == {"s1": Claim(before=None, after=VRF_LEAVES)}


def test_a_new_node_of_one_service_is_created_merged_and_claimed_as_contributed() -> None:
    contributed = {"rd": "65000:1", "route-targets/import": ("b", "a", "b")}
    result = plan({}, {}, {}, {"s1": {VRF: contributed}})
    merged = {"rd": "65000:1", "route-targets/import": ("a", "b")}
    assert result.after == {VRF: merged}
    assert result.before == {}
    assert result.claims == {VRF: {"s1": Claim(before=None, after=contributed)}}
    assert [(e.node, e.operation, e.set) for e in result.edits] == [(VRF, Operation.CREATE, merged)]
    assert [(e.node, e.operation) for e in result.reverse] == [(VRF, Operation.DELETE)]
    # the same node already on the device, or held by another service, is no new node
    on_device = plan({VRF: merged}, {}, {}, {"s1": {VRF: contributed}})
    assert on_device.edits == [] and on_device.claims[VRF][BASELINE] == Claim(None, merged)


def test_deleting_one_of_two_owners_keeps_the_vrf() -> None:
    current: Config = {VRF: VRF_LEAVES, SUB_A: {"vlan-id": "100"}, SUB_B: {"vlan-id": "101"}}
    owners = {VRF: {"s1": VRF_LEAVES, "s2": VRF_LEAVES}, SUB_A: {"s1": {"vlan-id": "100"}}}
    result = plan(current, owners, {"s1": {VRF: VRF_LEAVES, SUB_A: {"vlan-id": "100"}}}, {"s1": {}})
    assert [(e.node, e.operation) for e in result.edits] == [(SUB_A, Operation.DELETE)]
    assert owners_after(owners, result)[VRF] == {"s2": VRF_LEAVES}


def test_deleting_the_last_owner_removes_the_vrf() -> None:
    current: Config = {VRF: VRF_LEAVES}
    owners: dict[NodeId, dict[str, Leaves]] = {VRF: {"s2": VRF_LEAVES}}
    result = plan(current, owners, {"s2": {VRF: VRF_LEAVES}}, {"s2": {}})
    assert [(e.node, e.operation) for e in result.edits] == [(VRF, Operation.DELETE)]
    assert VRF not in owners_after(owners, result)
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
    owners = owners_after({}, claimed)
    assert owners[iface] == {BASELINE: {"description": "uplink"}, "s1": {}}
    released = plan(current, owners, {"s1": {iface: {}}}, {"s1": {}})
    assert released.edits == []
    assert owners_after(owners, released) == {}


def test_baseline_comes_back_when_the_last_service_lets_go() -> None:
    iface = NodeId("interface", ("eth1",))
    owners = owners_after({}, plan({iface: {"description": "uplink"}}, {}, {}, {}))
    claimed = plan({iface: {"description": "uplink"}}, owners, {}, {"s1": {iface: {"mtu": "9000"}}})
    owners = owners_after(owners, claimed)
    current: Config = {iface: {"description": "uplink", "mtu": "9000"}}
    released = plan(current, owners, {"s1": {iface: {"mtu": "9000"}}}, {"s1": {}})
    assert released.after[iface] == {"description": "uplink"}
    assert owners_after(owners, released) == {}


def test_one_of_many_equal_contributions_changes_only_its_own() -> None:
    policy = NodeId("policy", ("cir-10000k",))
    leaves = {"cir": "10000"}
    owners = {policy: {f"s{i}": leaves for i in range(50)}}
    assert [s.holders for s in shares_of(owners)[policy]] == [50]
    result = plan({policy: leaves}, owners, {"s3": {policy: leaves}}, {"s3": {}})
    assert result.edits == []
    assert result.claims[policy] == {"s3": Claim(before=leaves, after=None)}
    with pytest.raises(FootprintConflict, match="cir"):
        plan({policy: leaves}, owners, {"s3": {policy: leaves}}, {"s3": {policy: {"cir": "1"}}})


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


def test_leaf_list_of_a_single_owner_is_sorted_without_repeats() -> None:
    merged = merge(VRF, {"s1": {"rd": "65000:1", "route-targets/import": ("b", "a", "b")}})
    assert merged == {"rd": "65000:1", "route-targets/import": ("a", "b")}


def test_equal_contribution_in_another_leaf_order_is_the_same_share() -> None:
    policy = NodeId("policy", ("cir-10000k",))
    stored = {"rate-kbps": "10000", "description": "rate"}
    mine = {"description": "rate", "rate-kbps": "10000"}
    owners: dict[NodeId, dict[str, Leaves]] = {policy: {"s1": stored, "s2": stored}}
    kept = plan({policy: stored}, owners, {"s1": {policy: mine}}, {"s1": {}})
    assert kept.edits == []
    owners = {policy: {"s1": stored}}
    gone = plan({policy: stored}, owners, {"s1": {policy: mine}}, {"s1": {}})
    assert [(e.node, e.operation) for e in gone.edits] == [(policy, Operation.DELETE)]


def test_edits_and_reverse_are_the_diffs_between_before_and_after() -> None:
    route = NodeId("route", ("acme", "172.16.1.0/24"))
    other, other_route = NodeId("vrf", ("other",)), NodeId("route", ("other", "172.16.2.0/24"))
    old_leaves = {"rd": "65000:2", "description": "x"}
    current: Config = {other: old_leaves, other_route: {"next-hop": "10.0.0.3"}, SUB_A: {}}
    owners = {other: {"s2": old_leaves}, other_route: {"s2": {"next-hop": "10.0.0.3"}}}
    new: dict[str, Config] = {
        "s1": {VRF: VRF_LEAVES, route: {"next-hop": "10.0.0.2"}, SUB_A: {"vlan-id": "100"}},
        "s2": {},
    }
    old: dict[str, Config] = {"s2": {other: old_leaves, other_route: {"next-hop": "10.0.0.3"}}}
    result = plan(current, owners, old, new)
    after = {n: v for n, v in result.after.items() if v is not None}
    assert result.edits == diff_configs(result.before, after, schema=SCHEMA)
    assert result.reverse == diff_configs(after, result.before, schema=SCHEMA)
    assert [(e.node, e.operation) for e in result.edits] == [
        (route, Operation.CREATE),
        (SUB_A, Operation.MERGE),
        (VRF, Operation.CREATE),
        (other, Operation.DELETE),
    ]
    assert [(e.node, e.operation) for e in result.reverse] == [
        (other_route, Operation.CREATE),
        (SUB_A, Operation.MERGE),
        (VRF, Operation.DELETE),
        (other, Operation.CREATE),
    ]


@pytest.mark.parametrize(
    "leaves",
    [
        {},
        VRF_LEAVES,
        {"description": 'quote " backslash \\ slash / tab \t', "mtu": "1500"},
        {"description": "été € \u2028 \x00 😀", "route-targets/export": ("b", "a", "")},
        {"route-targets/import": ()},
        {"z": "1", "a": ("x", "y"), "m/n": "", "A": "upper first"},  # key order
        {"ascii": "".join(map(chr, range(128)))},  # control characters and DEL: escaped
    ],
)
def test_leaves_text_and_node_digest_are_those_of_json_dumps(leaves: Leaves) -> None:
    """Stored rows, share digests and fingerprints keep their former texts."""
    listed = {k: list(v) if isinstance(v, tuple) else v for k, v in sorted(leaves.items())}
    assert leaves_json(leaves) == json.dumps(listed, separators=(",", ":"))
    text = json.dumps([VRF.text(), sorted(leaves.items())], separators=(",", ":"))
    expected = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
    assert node_digest(VRF, leaves) == expected
