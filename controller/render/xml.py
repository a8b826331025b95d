"""XML payloads for NETCONF, built with lxml from plain data, and parsed back.

Every namespace netsla writes is named here.  :func:`edit_payload` turns
:class:`controller.diff.Edit` lists into the ``<config>`` of an
edit-config (RFC 6241, Section 7.2) with ``nc:operation`` attributes;
:func:`parse_config` turns a get-config ``<data>`` into plain data.
"""

from __future__ import annotations

from collections.abc import Iterable

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
OPERATION = f"{{{NETCONF_BASE}}}operation"
REMOVE = "remove"  # RFC 6241, Section 7.2: delete if present, no error if absent

_Element = etree._Element


class _Builder:
    """Builds one <config> tree, reusing elements for shared ancestors."""

    def __init__(self, schema: PlatformSchema) -> None:
        self.schema = schema
        self.ns = schema.namespace
        self._names: dict[str, str] = {}  # qualified names, made once per payload
        self.config = etree.Element(f"{{{NETCONF_BASE}}}config", nsmap={"nc": NETCONF_BASE})
        self.root = etree.SubElement(self.config, self.q(schema.root), nsmap={None: self.ns})  # type: ignore[dict-item]
        self._index: dict[tuple[str | None, ...], _Element] = {}
        self._ops: dict[int, str] = {}

    def q(self, name: str) -> str:
        found = self._names.get(name)
        if found is None:
            found = self._names[name] = f"{{{self.ns}}}{name}"
        return found

    def entry(self, kind: ListSchema, keys: tuple[str, ...]) -> _Element:
        element, values = self.root, iter(keys)
        path: tuple[str | None, ...] = ()
        for step in kind.steps:
            key_value = next(values) if step.key else None
            path = (*path, step.element, key_value)
            found = self._index.get(path)
            if found is None:
                found = etree.SubElement(element, self.q(step.element))
                if step.key is not None and key_value is not None:
                    etree.SubElement(found, self.q(step.key)).text = key_value
                self._index[path] = found
            element = found
        return element

    def inherited(self, element: _Element) -> str:
        parent = element.getparent()
        while parent is not None:
            if id(parent) in self._ops:
                return self._ops[id(parent)]
            parent = parent.getparent()
        return Operation.MERGE.value

    def leaf(self, entry: _Element, name: str) -> tuple[_Element, str]:
        *containers, leaf = name.split("/")
        parent = entry
        for container in containers:
            found = parent.find(self.q(container))
            parent = found if found is not None else etree.SubElement(parent, self.q(container))
        return parent, leaf

    def set_leaf(self, entry: _Element, name: str, value: LeafValue) -> None:
        parent, leaf = (entry, name) if "/" not in name else self.leaf(entry, name)
        tag = self.q(leaf)
        if isinstance(value, tuple):
            for item in value:
                etree.SubElement(parent, tag).text = item
        else:
            etree.SubElement(parent, tag).text = value

    def add(self, edit: Edit) -> None:
        entry = self.entry(self.schema.kind(edit.node.kind), edit.node.keys)
        operation = edit.operation.value
        if self.inherited(entry) != operation:
            entry.set(OPERATION, operation)
        self._ops[id(entry)] = operation
        for name, value in sorted(edit.set.items()):
            self.set_leaf(entry, name, value)
        for name in edit.remove:
            parent, leaf = self.leaf(entry, name)
            etree.SubElement(parent, self.q(leaf)).set(OPERATION, REMOVE)
        for name, values in sorted(edit.remove_entries.items()):
            parent, leaf = self.leaf(entry, name)
            for value in values:
                gone = etree.SubElement(parent, self.q(leaf))
                gone.text = value
                gone.set(OPERATION, REMOVE)


def edit_payload(schema: PlatformSchema, edits: Iterable[Edit]) -> _Element:
    """The ``<config>`` element of an edit-config carrying ``edits``."""
    builder = _Builder(schema)
    # Parents before children, so that inherited operations are known.
    for edit in sorted(edits, key=lambda e: len(schema.kind(e.node.kind).steps)):
        builder.add(edit)
    return builder.config


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
