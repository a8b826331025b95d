"""Instance documents as received: guarded reading and node removal.

Before libyang sees a document, it is read here with limits: its size, its
nesting depth, and for XML the refusal of any DOCTYPE (so no entity
expansion, "billion laughs", and no external entity can be fetched).  XML
is parsed by lxml with entity resolution, network access and huge trees
switched off.

A parsed document can remove the node at a YANG data path (as libyang
writes it, RFC 8040-style ``/module:node/list[key='v']``): validation
removes each faulty node and parses again, to report every problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lxml import etree

from controller.render.xml import NETCONF_BASE
from controller.yangerrors import ProblemCode
from controller.yangmodels import DataFormat

_WRAPPERS = {"config", "data"}
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_STEP_PREDICATE = re.compile(r"\[(?P<key>[^=\]]+)=(?P<q>['\"])(?P<val>.*?)(?P=q)\]")


@dataclass(frozen=True)
class Limits:
    """Limits on what a document may cost before it is refused."""

    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 64
    max_problems: int = 200


class DocumentRefused(Exception):
    """The document cannot be read at all (internal; becomes one problem)."""

    def __init__(self, code: ProblemCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Step:
    """One step of a data path: node name (maybe module-qualified), key values."""

    name: str
    keys: tuple[tuple[str, str], ...]

    @property
    def local(self) -> str:
        return self.name.rpartition(":")[2]


def _separators(path: str) -> list[int]:
    """Indices of the ``/`` that separate steps (outside key predicates and quotes)."""
    found: list[int] = []
    depth, quote = 0, ""
    for i, ch in enumerate(path):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "/" and depth == 0:
            found.append(i)
    return found


def parent_path(path: str) -> str:
    """The data path of the parent of the node at ``path`` ('' at the top)."""
    separators = _separators(path)
    return path[: separators[-1]] if separators else ""


def split_path(path: str) -> list[Step]:
    """Split ``/a:b/c[k='v']/d`` into steps, honouring quotes in key values."""
    steps: list[str] = []
    start = 1
    for i in _separators(path):
        if i > 0:
            steps.append(path[start:i])
            start = i + 1
    if len(path) > start:
        steps.append(path[start:])
    result = []
    for raw in steps:
        head = raw.split("[", 1)[0]
        keys = tuple(
            (m["key"].strip(), m["val"]) for m in _STEP_PREDICATE.finditer(raw[len(head) :])
        )
        result.append(Step(head, keys))
    return result


def check_size(text: bytes, limits: Limits) -> None:
    if len(text) > limits.max_bytes:
        raise DocumentRefused(
            ProblemCode.DOCUMENT_TOO_LARGE,
            f"document has {len(text)} bytes, more than the limit of {limits.max_bytes}",
        )


class JsonDocument:
    """An RFC 7951 JSON document held as Python data."""

    fmt = DataFormat.JSON

    def __init__(self, text: bytes, limits: Limits) -> None:
        check_size(text, limits)
        try:
            data = json.loads(text)
        except RecursionError as exc:
            raise _too_deep(limits) from exc
        except UnicodeDecodeError as exc:
            raise DocumentRefused(
                ProblemCode.MALFORMED_JSON, f"not UTF-8 text: {exc.reason}"
            ) from exc
        except json.JSONDecodeError as exc:
            raise DocumentRefused(
                ProblemCode.MALFORMED_JSON, f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from exc
        if not isinstance(data, dict):
            raise DocumentRefused(ProblemCode.MALFORMED_JSON, "the document must be a JSON object")
        if _json_depth(data) > limits.max_depth:
            raise _too_deep(limits)
        self.data: dict[str, Any] = data
        self._pristine = True
        self._text = text

    def serialise(self) -> bytes:
        return self._text if self._pristine else json.dumps(self.data).encode()

    def remove(self, path: str, *, value: str | None = None) -> bool:
        """Remove the node at ``path``; False when it is not found.

        libyang names a list entry whose key is invalid without its key
        (``.../list/key``): then the entry whose key is ``value`` goes.
        """
        steps = split_path(path)
        parent: Any = self.data
        for index, step in enumerate(steps[:-1]):
            found = _json_step(parent, step)
            if found is None and value is not None and index == len(steps) - 2:
                removed = _json_remove_entry(parent, step, steps[-1], value)
                self._pristine = self._pristine and not removed
                return removed
            parent = found
            if parent is None:
                return False
        removed = _json_remove(parent, steps[-1]) if steps else False
        self._pristine = self._pristine and not removed
        return removed


def _too_deep(limits: Limits) -> DocumentRefused:
    return DocumentRefused(
        ProblemCode.DOCUMENT_TOO_DEEP, f"document is nested deeper than {limits.max_depth} levels"
    )


def _json_depth(data: Any) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return deepest


def _json_key(container: dict[str, Any], step: Step) -> str | None:
    for key in container:
        if key == step.name or key.rpartition(":")[2] == step.local:
            return key
    return None


def json_member(node: Any, name: str) -> Any:
    """``node``'s member ``name``, written with or without its module prefix (RFC 7951).

    None when ``node`` is no JSON object or has no such member.
    """
    if not isinstance(node, dict) or (key := _json_key(node, Step(name, ()))) is None:
        return None
    return node[key]


def _matches(entry: Any, step: Step) -> bool:
    if not isinstance(entry, dict):
        return any(k == "." and str(entry) == v for k, v in step.keys)
    return all(
        str(entry.get(k, entry.get(_json_key(entry, Step(k, ())) or ""))) == v for k, v in step.keys
    )


def _json_step(node: Any, step: Step) -> Any:
    if not isinstance(node, dict) or (key := _json_key(node, step)) is None:
        return None
    value = node[key]
    if isinstance(value, list):
        return next((e for e in value if _matches(e, step)), None) if step.keys else None
    return value


def _json_remove(parent: Any, step: Step) -> bool:
    if not isinstance(parent, dict) or (key := _json_key(parent, step)) is None:
        return False
    value = parent[key]
    if isinstance(value, list) and step.keys:
        entry = next((e for e in value if _matches(e, step)), None)
        if entry is None:
            return False
        value.remove(entry)
        if not value:
            del parent[key]
        return True
    del parent[key]
    return True


def _json_remove_entry(parent: Any, step: Step, key: Step, value: str) -> bool:
    if not isinstance(parent, dict) or (name := _json_key(parent, step)) is None:
        return False
    entries = parent[name]
    if not isinstance(entries, list):
        return False
    for entry in entries:
        if isinstance(entry, dict) and str(entry.get(key.name, entry.get(key.local))) == value:
            entries.remove(entry)
            return True
    return False


class XmlDocument:
    """An XML instance document parsed by lxml without DTDs or entities."""

    fmt = DataFormat.XML

    def __init__(self, text: bytes, limits: Limits) -> None:
        check_size(text, limits)
        if _DOCTYPE.search(text):
            raise DocumentRefused(
                ProblemCode.HOSTILE_XML,
                "DOCTYPE and ENTITY declarations are refused (entity expansion, external entities)",
            )
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            dtd_validation=False,
            remove_comments=True,
            remove_pis=True,
        )
        try:
            root = etree.fromstring(text, parser)
        except etree.XMLSyntaxError as exc:
            raise DocumentRefused(ProblemCode.MALFORMED_XML, str(exc)) from exc
        if _xml_depth(root) > limits.max_depth:
            raise _too_deep(limits)
        wrapped = etree.QName(root).localname in _WRAPPERS and etree.QName(root).namespace in (
            NETCONF_BASE,
            None,
        )
        self.tops: list[etree._Element] = list(root) if wrapped else [root]

    def serialise(self) -> bytes:
        return b"".join(etree.tostring(top) for top in self.tops)

    def remove(self, path: str, *, value: str | None = None) -> bool:
        """Remove the element at ``path``; False when it is not found."""
        steps = split_path(path)
        if value is not None and len(steps) > 1 and not steps[-2].keys:
            # An invalid key: remove its list entry (see JsonDocument.remove).
            steps = [*steps[:-2], Step(steps[-2].name, ((steps[-1].local, value),))]
        if not steps:
            return False
        if len(steps) == 1:
            hits = [t for t in self.tops if _xml_matches(t, steps[0])]
            for hit in hits:
                self.tops.remove(hit)
            return bool(hits)
        node = next((t for t in self.tops if _xml_matches(t, steps[0])), None)
        for step in steps[1:-1]:
            node = None if node is None else next((c for c in node if _xml_matches(c, step)), None)
        target = (
            None if node is None else next((c for c in node if _xml_matches(c, steps[-1])), None)
        )
        if node is None or target is None:
            return False
        node.remove(target)
        return True


def _xml_children(element: etree._Element) -> Iterator[etree._Element]:
    return (c for c in element if isinstance(c.tag, str))


def _xml_matches(element: etree._Element, step: Step) -> bool:
    if not isinstance(element.tag, str) or etree.QName(element).localname != step.local:
        return False
    for key, value in step.keys:
        if key == ".":
            if (element.text or "").strip() != value:
                return False
            continue
        child = next(
            (
                c
                for c in _xml_children(element)
                if etree.QName(c).localname == key.rpartition(":")[2]
            ),
            None,
        )
        if child is None or (child.text or "").strip() != value:
            return False
    return True


def _xml_depth(root: etree._Element) -> int:
    deepest, depth = 0, 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


def read_document(text: bytes, fmt: DataFormat, limits: Limits) -> JsonDocument | XmlDocument:
    """Read ``text`` as ``fmt``; raise :class:`DocumentRefused` when it cannot be."""
    if fmt is DataFormat.JSON:
        return JsonDocument(text, limits)
    return XmlDocument(text, limits)
