"""XML payloads for NETCONF, written from plain data, and parsed back with lxml.

Every namespace netsla writes is named here.  :func:`edit_payload_text` turns
:class:`controller.diff.Edit` lists into the ``<config>`` of an
edit-config (RFC 6241, Section 7.2) with ``nc:operation`` attributes, as
the text that is sent (:func:`edit_payload`: the same as an lxml element);
:func:`parse_config` turns a get-config ``<data>`` into plain data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from lxml import etree

from controller.diff import Edit, Operation
from controller.render.tree import (
    Config,
    LeafValue,
    ListSchema,
    NodeId,
    PlatformSchema,
    canonical_leaves,
)

NETCONF_BASE = "urn:ietf:params:xml:ns:netconf:base:1.0"
REMOVE = "remove"  # RFC 6241, Section 7.2: delete if present, no error if absent

_Element = etree._Element


class _Position(NamedTuple):
    """One step on the way to a kind of list entry, as the builder indexes and makes it."""

    path: str  # the steps from the root: ``/vrfs/vrf[]`` (``[]``: a list entry)
    keys: int  # how many of the node's keys lead here
    tag: str  # element name
    key_tag: str | None  # key leaf name of a list entry


# Characters XML 1.0 cannot carry (Section 2.2), and lone surrogates.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _escaped(text: str) -> str:
    """``text`` as element content (``\\r`` kept as a reference, as lxml writes it).

    Raises ValueError for a character XML cannot carry (validated data has none).
    """
    if not text.isprintable():  # control characters, tab and line ends included
        bad = _NOT_XML.search(text)
        if bad is not None:
            raise ValueError(f"character {bad.group()!r} cannot be sent in XML: {text!r}")
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


class _Node:
    """An element of the payload being built: its operation and content, written at the end."""

    __slots__ = ("containers", "content", "operation", "tag")

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.operation: str | None = None  # written as nc:operation
        self.content: list[_Node | str] = []  # child elements, leaves already as text
        self.containers: dict[str, _Node] = {}  # child containers by name

    def write(self, out: list[str], attributes: str = "") -> None:
        out.append("<" + self.tag + attributes)
        if self.operation is not None:
            out.append(f' nc:operation="{self.operation}"')
        if not self.content:
            out.append("/>")
            return
        out.append(">")
        for part in self.content:
            if isinstance(part, str):
                out.append(part)
            else:
                part.write(out)
        out.append("</" + self.tag + ">")


class _Builder:
    """Builds the text of one <config>, reusing elements for shared ancestors.

    Every element made for a step is indexed by its path and the keys
    leading to it, with the operation in force on it (its own, else its
    parent's), so that neither lookups nor inherited operations walk the
    tree.  Leaves are made into text as they are added; the elements are
    written out once, at the end.
    """

    def __init__(self, schema: PlatformSchema) -> None:
        self.schema = schema
        self.root = _Node(schema.root)
        self._positions: dict[str, tuple[_Position, ...]] = {}  # per kind
        self._leaves: dict[str, tuple[str, str]] = {}  # leaf name -> (its containers, tag)
        self._index: dict[tuple[str, tuple[str, ...]], tuple[_Node, str]] = {}

    def positions(self, kind: str) -> tuple[_Position, ...]:
        found = self._positions.get(kind)
        if found is None:
            path, keys, made = "", 0, []
            for step in self.schema.kind(kind).steps:
                keys += step.key is not None
                path += f"/{step.element}" + ("[]" if step.key is not None else "")
                made.append(_Position(path, keys, step.element, step.key))
            found = self._positions[kind] = tuple(made)
        return found

    def element(
        self, positions: tuple[_Position, ...], depth: int, keys: tuple[str, ...]
    ) -> tuple[_Node, str]:
        """The element of ``positions[depth]`` for ``keys`` (made if missing), its operation."""
        if depth < 0:
            return self.root, Operation.MERGE
        at = positions[depth]
        index = (at.path, keys[: at.keys])
        found = self._index.get(index)
        if found is None:
            parent, operation = self.element(positions, depth - 1, keys)
            found = self._index[index] = (self.make(parent, at, keys), operation)
        return found

    def make(self, parent: _Node, at: _Position, keys: tuple[str, ...]) -> _Node:
        if at.key_tag is None:  # a container: one per parent, whoever needs it first
            return self.container(parent, at.tag)
        made = _Node(at.tag)
        key = _escaped(keys[at.keys - 1])
        made.content.append(f"<{at.key_tag}>{key}</{at.key_tag}>")
        parent.content.append(made)
        return made

    def leaf(self, name: str) -> tuple[str, str]:
        """A leaf's containers (``a/b``, or empty) and its element name."""
        found = self._leaves.get(name)
        if found is None:
            containers, _, leaf = name.rpartition("/")
            found = self._leaves[name] = (containers, leaf)
        return found

    @staticmethod
    def container(entry: _Node, name: str) -> _Node:
        """The container ``name`` (``a/b``) of ``entry``, made if missing."""
        node = entry
        for own in name.split("/"):
            found = node.containers.get(own)
            if found is None:
                found = node.containers[own] = _Node(own)
                node.content.append(found)
            node = found
        return node

    def add(self, edit: Edit) -> None:
        """The edit's entry, with its operation where it differs from the inherited one."""
        keys, operation = edit.node.keys, edit.operation
        positions = self.positions(edit.node.kind)
        last = len(positions) - 1
        index = (positions[last].path, keys[: positions[last].keys])
        found = self._index.get(index)
        parent, inherited = self.element(positions, last - 1, keys)
        entry = self.make(parent, positions[last], keys) if found is None else found[0]
        self.add_leaves(entry, edit)
        if inherited != operation:
            entry.operation = operation
        self._index[index] = (entry, operation)

    def add_leaves(self, entry: _Node, edit: Edit) -> None:
        names = self._leaves
        leaves = edit.set
        for name in sorted(leaves):
            containers, tag = names.get(name) or self.leaf(name)
            parent = self.container(entry, containers) if containers else entry
            value = leaves[name]
            if isinstance(value, tuple):
                for item in value:
                    parent.content.append(f"<{tag}>{_escaped(item)}</{tag}>")
            else:
                parent.content.append(f"<{tag}>{_escaped(value)}</{tag}>")
        for name in edit.remove:
            containers, tag = self.leaf(name)
            parent = self.container(entry, containers) if containers else entry
            parent.content.append(f'<{tag} nc:operation="{REMOVE}"/>')
        for name, gone in sorted(edit.remove_entries.items()):
            containers, tag = self.leaf(name)
            parent = self.container(entry, containers) if containers else entry
            for value in gone:
                parent.content.append(f'<{tag} nc:operation="{REMOVE}">{_escaped(value)}</{tag}>')

    def text(self) -> str:
        out = [f'<nc:config xmlns:nc="{NETCONF_BASE}">']
        self.root.write(out, f' xmlns="{self.schema.namespace}"')
        out.append("</nc:config>")
        return "".join(out)


def edit_payload_text(schema: PlatformSchema, edits: Iterable[Edit]) -> str:
    """The ``<config>`` of an edit-config carrying ``edits``, as XML text.

    What the transactions send (:meth:`southbound.netconf.NetconfSession.edit_config`
    takes it as it is: no element tree is made on the way).
    """
    builder = _Builder(schema)
    depth = {kind.kind: len(kind.steps) for kind in schema.lists}
    # Parents before children, so that inherited operations are known.
    for edit in sorted(edits, key=lambda e: depth[e.node.kind]):
        builder.add(edit)
    return builder.text()


def edit_payload(schema: PlatformSchema, edits: Iterable[Edit]) -> _Element:
    """The ``<config>`` element of an edit-config carrying ``edits`` (to show or inspect)."""
    return etree.fromstring(edit_payload_text(schema, edits))


def _leaves(
    element: _Element, kind: ListSchema, skip: set[str], prefix: str = ""
) -> dict[str, LeafValue]:
    out: dict[str, LeafValue] = {}
    key_leaf = kind.steps[-1].key
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = prefix + etree.QName(child).localname
        if name in skip or (not prefix and name == key_leaf):
            continue
        if len(child):
            out.update(_leaves(child, kind, skip, prefix=f"{name}/"))
        elif name in kind.leaf_lists:
            previous = out.get(name, ())
            out[name] = (*(previous if isinstance(previous, tuple) else ()), child.text or "")
        else:
            out[name] = child.text or ""
    return out


def parse_config(schema: PlatformSchema, data: _Element) -> Config:
    """Plain data of every list entry of ``schema`` found under ``data``.

    ``data`` is a get-config ``<data>`` element (or anything holding the
    native root).  Leaves equal to their default are dropped, so that a
    device reporting defaults and one hiding them compare equal.
    """
    config: Config = {}
    root = data.find(f"{{{schema.namespace}}}{schema.root}")
    if root is None:
        return config
    for kind in schema.lists:
        nested = {s.steps[len(kind.steps)].element for s in schema.lists if kind.is_ancestor_of(s)}
        for element, keys in _entries(root, kind, schema.namespace):
            leaves = _leaves(element, kind, nested)
            if kind.key_names or leaves:
                config[NodeId(kind.kind, keys)] = canonical_leaves(kind, leaves)
    return config


def _entries(root: _Element, kind: ListSchema, ns: str) -> list[tuple[_Element, tuple[str, ...]]]:
    found: list[tuple[_Element, tuple[str, ...]]] = [(root, ())]
    for step in kind.steps:
        following: list[tuple[_Element, tuple[str, ...]]] = []
        for element, keys in found:
            for child in element.findall(f"{{{ns}}}{step.element}"):
                if step.key is None:
                    following.append((child, keys))
                else:
                    key = child.findtext(f"{{{ns}}}{step.key}")
                    following.append((child, (*keys, key or "")))
        found = following
    return found
