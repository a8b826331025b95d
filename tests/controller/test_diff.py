"""Diff on plain data, edit payloads and their parsing back."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from controller.diff import Edit, Operation, apply_edits, diff_configs
from controller.render.netsla_router import SCHEMA
from controller.render.tree import Config, NodeId, fingerprint, update_fingerprint
from controller.render.xml import NETCONF_BASE, edit_payload, parse_config

VRF = NodeId("vrf", ("acme",))
ROUTE = NodeId("route", ("acme", "172.16.1.0/24"))


def test_same_config_gives_no_edit() -> None:
    config: Config = {VRF: {"rd": "65000:1"}}
    assert diff_configs(config, dict(config)) == []


def test_changed_leaf_and_leaf_list_entries_merge_and_remove() -> None:
    before: Config = {
        VRF: {"rd": "65000:1", "description": "x", "route-targets/import": ("65000:1", "65000:2")}
    }
    after: Config = {VRF: {"rd": "65000:9", "route-targets/import": ("65000:1", "65000:3")}}
    (edit,) = diff_configs(before, after)
    assert edit.operation == Operation.MERGE
    assert edit.set == {"rd": "65000:9", "route-targets/import": ("65000:3",)}
    assert edit.remove == ("description",)
    assert edit.remove_entries == {"route-targets/import": ("65000:2",)}
    assert apply_edits(before, [edit]) == after


def test_delete_of_a_vrf_carries_its_routes() -> None:
    before: Config = {VRF: {"rd": "65000:1"}, ROUTE: {"next-hop": "10.0.0.2"}}
    edits = diff_configs(before, {}, schema=SCHEMA)
    assert edits == [Edit(VRF, Operation.DELETE)]
    payload = edit_payload(SCHEMA, edits)
    vrf = payload.find(".//{urn:netsla:yang:netsla-router}vrf")
    assert vrf is not None
    assert vrf.get(f"{{{NETCONF_BASE}}}operation") == "delete"


def test_child_of_created_node_inherits_create() -> None:
    edits = diff_configs(
        {}, {VRF: {"rd": "65000:1"}, ROUTE: {"next-hop": "10.0.0.2"}}, schema=SCHEMA
    )
    payload = edit_payload(SCHEMA, edits)
    route = payload.find(".//{urn:netsla:yang:netsla-router}route")
    assert route is not None
    assert route.get(f"{{{NETCONF_BASE}}}operation") is None


def test_parse_config_reads_what_edit_payload_wrote() -> None:
    config: Config = {
        VRF: {
            "rd": "65000:1",
            "route-targets/import": ("65000:1",),
            "route-targets/export": ("65000:1",),
        },
        ROUTE: {"next-hop": "10.0.0.2"},
        NodeId("interface", ("eth1",)): {},
        NodeId("subinterface", ("eth1", "100")): {
            "vlan-id": "100",
            "vrf": "acme",
            "ipv4/address": "10.1.1.1",
        },
        NodeId("probe", ("7",)): {"target": "10.1.1.2", "packets": "10"},  # default dropped
    }
    payload = edit_payload(SCHEMA, diff_configs({}, config, schema=SCHEMA))
    data = etree.Element(f"{{{NETCONF_BASE}}}data")
    data.extend(list(payload))
    expected = dict(config)
    expected[NodeId("probe", ("7",))] = {"target": "10.1.1.2"}
    assert parse_config(SCHEMA, data) == expected


_leaf = st.text(alphabet="abc:0123", min_size=1, max_size=4)
_leaves: Any = st.dictionaries(
    st.sampled_from(["rd", "description", "route-targets/import"]), _leaf, max_size=3
)
_configs: Any = st.dictionaries(
    st.builds(lambda k: NodeId("vrf", (k,)), st.sampled_from("abcd")), _leaves, max_size=4
)


@given(before=_configs, after=_configs)
def test_applying_the_diff_reaches_the_target(before: Config, after: Config) -> None:
    assert apply_edits(before, diff_configs(before, after)) == after


@given(before=_configs, after=_configs)
def test_fingerprint_updates_node_by_node(before: Config, after: Config) -> None:
    value = fingerprint(before)
    for node in before.keys() | after.keys():
        value = update_fingerprint(value, node, before=before.get(node), after=after.get(node))
    assert value == fingerprint(after)
