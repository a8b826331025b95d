"""Edit payloads: where each edit's elements go and which operations are written."""

from __future__ import annotations

import pytest
from lxml import etree

from controller.diff import Edit, Operation
from controller.render.netsla_router import SCHEMA
from controller.render.tree import ListSchema, NodeId, PlatformSchema, Step
from controller.render.xml import NETCONF_BASE, edit_payload, edit_payload_text, parse_config

VRF = NodeId("vrf", ("acme",))


def canonical(element: etree._Element) -> bytes:
    return bytes(etree.tostring(element, method="c14n2", strip_text=True))


def expected(body: str, namespace: str = SCHEMA.namespace, root: str = "native") -> bytes:
    inner = f'<{root} xmlns="{namespace}">{body}</{root}>'
    text = f'<nc:config xmlns:nc="{NETCONF_BASE}">{inner}</nc:config>'
    return canonical(etree.fromstring(text))


def test_set_and_removed_leaves_of_a_container_share_one_element() -> None:
    edit = Edit(
        VRF,
        Operation.MERGE,
        set={"route-targets/import": ("65000:3",), "rd": "65000:9"},
        remove=("description",),
        remove_entries={"route-targets/import": ("65000:2",)},
    )
    assert canonical(edit_payload(SCHEMA, [edit])) == expected(
        "<vrfs><vrf><name>acme</name><rd>65000:9</rd>"
        "<route-targets><import>65000:3</import>"
        '<import nc:operation="remove">65000:2</import></route-targets>'
        '<description nc:operation="remove"/></vrf></vrfs>'
    )


def test_nodes_under_one_entry_share_it_and_write_only_their_own_operations() -> None:
    edits = [
        Edit(
            NodeId("route", ("acme", "172.16.1.0/24")), Operation.CREATE, {"next-hop": "10.0.0.2"}
        ),
        Edit(NodeId("neighbor", ("acme", "10.0.0.2")), Operation.DELETE),
        Edit(NodeId("route", ("acme", "172.16.2.0/24")), Operation.MERGE, {"next-hop": "10.0.0.3"}),
        Edit(VRF, Operation.MERGE, {"rd": "65000:1"}),
        Edit(NodeId("vrf", ("other",)), Operation.DELETE),
    ]
    assert canonical(edit_payload(SCHEMA, edits)) == expected(
        "<vrfs><vrf><name>acme</name><rd>65000:1</rd>"
        '<static-routes><route nc:operation="create"><prefix>172.16.1.0/24</prefix>'
        "<next-hop>10.0.0.2</next-hop></route>"
        "<route><prefix>172.16.2.0/24</prefix><next-hop>10.0.0.3</next-hop></route></static-routes>"
        '<bgp><neighbor nc:operation="delete"><address>10.0.0.2</address></neighbor></bgp></vrf>'
        '<vrf nc:operation="delete"><name>other</name></vrf></vrfs>'
    )


def test_a_second_edit_of_a_node_writes_into_its_element() -> None:
    edits = [
        Edit(VRF, Operation.CREATE, {"route-targets/import": ("65000:1",)}),
        Edit(VRF, Operation.MERGE, {"route-targets/export": ("65000:2",)}),
    ]
    assert canonical(edit_payload(SCHEMA, edits)) == expected(
        '<vrfs><vrf nc:operation="create"><name>acme</name><route-targets>'
        "<import>65000:1</import><export>65000:2</export></route-targets></vrf></vrfs>"
    )


def test_leaves_in_nested_containers() -> None:
    schema = PlatformSchema(
        namespace="urn:example:box",
        root="top",
        lists=(ListSchema("box", (Step("boxes"), Step("box", "id"))),),
    )
    edit = Edit(
        NodeId("box", ("1",)),
        Operation.CREATE,
        {"outer/inner/size": "2", "outer/colour": "red", "outer/inner/tags": ("a", "b")},
    )
    assert canonical(edit_payload(schema, [edit])) == expected(
        '<boxes><box nc:operation="create"><id>1</id><outer><colour>red</colour>'
        "<inner><size>2</size><tags>a</tags><tags>b</tags></inner></outer></box></boxes>",
        namespace="urn:example:box",
        root="top",
    )


def test_new_entries_of_one_kind_keep_their_own_leaves_and_texts() -> None:
    edits = [
        Edit(NodeId("vrf", ("a",)), Operation.CREATE, {"route-targets/import": ("1", "2")}),
        Edit(NodeId("vrf", ("b",)), Operation.CREATE, {"route-targets/import": ("3",)}),
        Edit(NodeId("vrf", ("c",)), Operation.CREATE, {"route-targets/import": "4", "rd": ""}),
        Edit(NodeId("vrf", ("d",)), Operation.CREATE, {"route-targets/import": ("5", "6")}),
        Edit(NodeId("vrf", ("e",)), Operation.CREATE, {"route-targets/import": ()}),
    ]
    created = '<vrf nc:operation="create"><name>{}</name>{}</vrf>'
    vrfs = [
        ("a", "<route-targets><import>1</import><import>2</import></route-targets>"),
        ("b", "<route-targets><import>3</import></route-targets>"),
        ("c", "<rd></rd><route-targets><import>4</import></route-targets>"),
        ("d", "<route-targets><import>5</import><import>6</import></route-targets>"),
        ("e", "<route-targets/>"),
    ]
    body = "".join(created.format(name, leaves) for name, leaves in vrfs)
    assert canonical(edit_payload(SCHEMA, edits)) == expected(f"<vrfs>{body}</vrfs>")


def test_texts_and_keys_are_escaped_and_read_back_as_they_were() -> None:
    vrf = NodeId("vrf", ("a&b<c>",))
    leaves = {"description": "R&D <lab>\r\n\tfloor 2", "rd": "65000:1"}
    text = edit_payload_text(SCHEMA, [Edit(vrf, Operation.CREATE, leaves)])
    assert "R&amp;D &lt;lab&gt;&#13;" in text
    assert parse_config(SCHEMA, etree.fromstring(text)) == {vrf: leaves}


def test_a_character_xml_cannot_carry_is_refused() -> None:
    edit = Edit(VRF, Operation.CREATE, {"description": "bell\x07"})
    with pytest.raises(ValueError, match="cannot be sent in XML"):
        edit_payload_text(SCHEMA, [edit])
