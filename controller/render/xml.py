"""XML payloads for NETCONF, built with lxml from plain data, and parsed back.

Every namespace netsla writes is named here.  :func:`edit_payload` turns
:class:`controller.diff.Edit` lists into the ``<config>`` of an
edit-config (RFC 6241, Section 7.2) with ``nc:operation`` attributes;
:func:`parse_config` turns a get-config ``<data>`` into plain data.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from itertools import compress
from typing import NamedTuple

from lxml import etree

from controller.diff import Edit, Operation
from controller.render.tree import (
    Config,
    LeafValue,
    Leaves,
    ListSchema,
    NodeId,
    PlatformSchema,
    canonical_leaves,
)

NETCONF_BASE = "urn:ietf:params:xml:ns:netconf:base:1.0"
OPERATION = f"{{{NETCONF_BASE}}}operation"
REMOVE = "remove"  # RFC 6241, Section 7.2: delete if present, no error if absent

_Element = etree._Element


class _Position(NamedTuple):
    """One step on the way to a kind of list entry, as the builder indexes and makes it."""

    path: str  # the steps from the root: ``vrfs/vrf[]`` (``[]``: a list entry)
    keys: int  # how many of the node's keys lead here
    tag: str  # qualified element name
    key_tag: str | None  # qualified key leaf name of a list entry


class _Template(NamedTuple):
    """An entry with its key and leaves, copied for each new entry of the same leaf names."""

    element: _Element  # its texts are placeholders
    filled: tuple[bool, ...]  # per element of ``element.iter()``: whether it takes a text


class _Builder:
    """Builds one <config> tree, reusing elements for shared ancestors.

    Every element made for a step is indexed by its path and the keys
    leading to it, with the operation in force on it (its own, else its
    parent's), so that neither lookups nor inherited operations walk the tree.
    A new entry that only sets leaves is copied from a template made once
    per payload for its kind and leaf names (lxml copies a subtree in C,
    faster than making its elements one by one).
    """

    def __init__(self, schema: PlatformSchema) -> None:
        self.schema = schema
        self.ns = schema.namespace
        self._names: dict[str, str] = {}  # qualified names, made once per payload
        self._positions: dict[str, tuple[_Position, ...]] = {}  # per kind
        self._leaves: dict[str, tuple[str, str]] = {}  # leaf name -> (its containers, tag)
        self.config = etree.Element(f"{{{NETCONF_BASE}}}config", nsmap={"nc": NETCONF_BASE})
        self.root = etree.SubElement(self.config, self.q(schema.root), nsmap={None: self.ns})  # type: ignore[dict-item]
        self._index: dict[tuple[str, tuple[str, ...]], tuple[_Element, str]] = {}
        self._templates: dict[tuple[str | tuple[str, int], ...], _Template] = {}

    def q(self, name: str) -> str:
        found = self._names.get(name)
        if found is None:
            found = self._names[name] = f"{{{self.ns}}}{name}"
        return found

    def positions(self, kind: str) -> tuple[_Position, ...]:
        found = self._positions.get(kind)
        if found is None:
            path, keys, made = "", 0, []
            for step in self.schema.kind(kind).steps:
                keys += step.key is not None
                path += f"/{step.element}" + ("[]" if step.key is not None else "")
                key_tag = None if step.key is None else self.q(step.key)
                made.append(_Position(path, keys, self.q(step.element), key_tag))
            found = self._positions[kind] = tuple(made)
        return found

    def element(
        self, positions: tuple[_Position, ...], depth: int, keys: tuple[str, ...]
    ) -> tuple[_Element, str]:
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

    @staticmethod
    def make(parent: _Element, at: _Position, keys: tuple[str, ...]) -> _Element:
        made = etree.SubElement(parent, at.tag)
        if at.key_tag is not None:
            etree.SubElement(made, at.key_tag).text = keys[at.keys - 1]
        return made

    def leaf(self, name: str) -> tuple[str, str]:
        """A leaf's containers (``a/b``, or empty) and its qualified name."""
        found = self._leaves.get(name)
        if found is None:
            containers, _, leaf = name.rpartition("/")
            found = self._leaves[name] = (containers, self.q(leaf))
        return found

    def container(
        self, entry: _Element, name: str, made: dict[str, _Element], fresh: bool
    ) -> _Element:
        """The container ``name`` (``a/b``) of ``entry``, made if missing.

        ``made`` holds the containers of ``entry`` met so far; in an entry
        made for this edit (``fresh``) there is nothing else to look for.
        """
        found = made.get(name)
        if found is None:
            outer, _, own = name.rpartition("/")
            parent = self.container(entry, outer, made, fresh) if outer else entry
            tag = self.q(own)
            found = None if fresh else parent.find(tag)
            if found is None:
                found = etree.SubElement(parent, tag)
            made[name] = found
        return found

    def add(self, edit: Edit) -> None:
        """The edit's entry, with its operation where it differs from the inherited one."""
        keys, operation = edit.node.keys, edit.operation
        positions = self.positions(edit.node.kind)
        last = len(positions) - 1
        index = (positions[last].path, keys[: positions[last].keys])
        found = self._index.get(index)
        parent, inherited = self.element(positions, last - 1, keys)
        if found is None and edit.set and not edit.remove and not edit.remove_entries:
            entry = self.stamp(parent, positions[last], keys, edit.set)
        else:
            entry = self.make(parent, positions[last], keys) if found is None else found[0]
            self.add_leaves(entry, edit, fresh=found is None)
        if inherited != operation:
            entry.set(OPERATION, operation)
        self._index[index] = (entry, operation)

    def stamp(
        self, parent: _Element, at: _Position, keys: tuple[str, ...], leaves: Leaves
    ) -> _Element:
        """A new entry with its key and ``leaves``: a copy of the entry's template, filled."""
        texts = [] if at.key_tag is None else [keys[at.keys - 1]]
        shape: list[str | tuple[str, int]] = [at.path]
        for name in sorted(leaves):
            value = leaves[name]
            if isinstance(value, tuple):
                texts.extend(value)
                shape.append((name, len(value)))
            else:
                texts.append(value)
                shape.append(name)
        template = self._templates.get(tuple(shape))
        if template is None:
            template = self._templates[tuple(shape)] = self.template(at, leaves)
        made = copy.copy(template.element)  # lxml copies the whole subtree (no memo to keep)
        parent.append(made)
        for element, text in zip(compress(made.iter(), template.filled), texts, strict=True):
            element.text = text
        return made

    def template(self, at: _Position, leaves: Leaves) -> _Template:
        """An entry made as :meth:`make` and :meth:`add_leaves` would, every text a placeholder."""
        element = etree.Element(at.tag, nsmap={None: self.ns})  # type: ignore[dict-item]
        if at.key_tag is not None:
            etree.SubElement(element, at.key_tag).text = "-"
        placeholders = {
            n: ("-",) * len(v) if isinstance(v, tuple) else "-" for n, v in leaves.items()
        }
        self.set_leaves(element, placeholders, {}, fresh=True)
        return _Template(element, tuple(e.text is not None for e in element.iter()))

    def set_leaves(
        self, entry: _Element, leaves: Leaves, made: dict[str, _Element], *, fresh: bool
    ) -> None:
        names, new = self._leaves, etree.SubElement
        for name in sorted(leaves):
            containers, tag = names.get(name) or self.leaf(name)
            parent = self.container(entry, containers, made, fresh) if containers else entry
            value = leaves[name]
            if isinstance(value, tuple):
                for item in value:
                    new(parent, tag).text = item
            else:
                new(parent, tag).text = value

    def add_leaves(self, entry: _Element, edit: Edit, *, fresh: bool) -> None:
        made: dict[str, _Element] = {}
        self.set_leaves(entry, edit.set, made, fresh=fresh)
        for name in edit.remove:
            containers, tag = self.leaf(name)
            parent = self.container(entry, containers, made, fresh) if containers else entry
            etree.SubElement(parent, tag).set(OPERATION, REMOVE)
        for name, gone in sorted(edit.remove_entries.items()):
            containers, tag = self.leaf(name)
            parent = self.container(entry, containers, made, fresh) if containers else entry
            for value in gone:
                element = etree.SubElement(parent, tag)
                element.text = value
                element.set(OPERATION, REMOVE)


def edit_payload(schema: PlatformSchema, edits: Iterable[Edit]) -> _Element:
    """The ``<config>`` element of an edit-config carrying ``edits``."""
    builder = _Builder(schema)
    depth = {kind.kind: len(kind.steps) for kind in schema.lists}
    # Parents before children, so that inherited operations are known.
    for edit in sorted(edits, key=lambda e: depth[e.node.kind]):
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
