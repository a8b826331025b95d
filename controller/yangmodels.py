"""netsla's YANG module set, loaded into libyang, and a thin data-tree API.

The module set is the standard ``ietf-l3vpn-svc`` (RFC 8299) from the folder
pyang installs, with the features netsla implements, plus netsla's own
modules: ``netsla-sla``, ``netsla-l3vpn-svc-ext``,
``netsla-l3vpn-svc-deviations`` and the lab router's ``netsla-router``.

libyang's Python binding turns every failure into one string; netsla needs
each error's code, message and data path, so this module reads libyang's
error records (``ly_err_first``, RFC 7950-style "data location" paths)
through the binding's CFFI handles.  It is the only module that does.

libyang 2.1 (Debian 12) stops a parse or a validation at the first error
(``LYD_VALIDATE_MULTI_ERROR`` arrived in later releases); the caller
(:mod:`controller.validation`) repeats parse and validation after removing
each faulty node to report every problem.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from functools import cache
from typing import Any

import libyang
from _libyang import ffi, lib

import yang
from controller.errors import ControllerError

L3VPN_SVC = "ietf-l3vpn-svc"
L3VPN_SVC_FEATURES = ("ipv4", "qos", "qos-custom", "rtg-bgp")
NETSLA_MODULES = (
    "netsla-sla",
    "netsla-l3vpn-svc-ext",
    "netsla-l3vpn-svc-deviations",
    "netsla-router",
)

_LOCATION = re.compile(r'^(Data|Schema) location "(?P<path>.*)"(, line number (?P<line>\d+))?\.?$')


class ModelLoadError(ControllerError):
    """netsla's YANG modules could not be loaded: an installation problem."""


class DataFormat(StrEnum):
    """Encodings of instance data: RFC 7951 JSON or RFC 7950 XML."""

    JSON = "json"
    XML = "xml"


class ErrorKind(IntEnum):
    """libyang's validation error classes (``LY_VECODE``)."""

    NONE = 0
    SYNTAX = 1
    REFERENCE = 4
    XPATH = 5
    SEMANTICS = 6
    SYNTAX_XML = 7
    SYNTAX_JSON = 8
    DATA = 9
    OTHER = 10


@dataclass(frozen=True)
class LyError:
    """One error record of libyang: class, message, data path and line."""

    kind: int
    message: str
    path: str | None
    line: int | None
    apptag: str | None
    schema_path: bool = False


@dataclass(frozen=True)
class ModelSet:
    """A compiled libyang context holding netsla's module set."""

    context: libyang.Context
    lock: threading.Lock

    def xml_prefixes(self) -> dict[str, str]:
        """Prefix -> namespace of every module, as libyang writes identities in XML."""
        prefixes: dict[str, str] = {}
        for module in self.context:
            prefixes.setdefault(module.prefix(), ffi.string(module.cdata.ns).decode())
        return prefixes


def _c(text: str) -> Any:
    return ffi.new("char[]", text.encode())


@cache
def model_set() -> ModelSet:
    """The process-wide compiled module set (built on first use)."""
    search = ":".join(str(p) for p in yang.search_path())
    ctx = libyang.Context(search)
    lib.ly_log_options(lib.LY_LOSTORE)
    lib.ly_set_log_clb(ffi.NULL, True)  # keep the data path of each error
    features = [_c(f) for f in L3VPN_SVC_FEATURES]
    array = ffi.new("char *[]", [*features, ffi.NULL])
    if lib.ly_ctx_load_module(ctx.cdata, _c(L3VPN_SVC), ffi.NULL, array) == ffi.NULL:
        raise ModelLoadError(f"cannot load {L3VPN_SVC}: {_drain(ctx)}")
    for name in NETSLA_MODULES:
        if lib.ly_ctx_load_module(ctx.cdata, _c(name), ffi.NULL, ffi.NULL) == ffi.NULL:
            raise ModelLoadError(f"cannot load {name}: {_drain(ctx)}")
    _take_errors(ctx)
    return ModelSet(context=ctx, lock=threading.Lock())


def _text(cstr: Any) -> str | None:
    return None if cstr == ffi.NULL else ffi.string(cstr).decode("utf-8", "replace")


def _take_errors(ctx: libyang.Context) -> list[LyError]:
    """Read and clear the error records libyang stored in ``ctx``."""
    errors: list[LyError] = []
    item = lib.ly_err_first(ctx.cdata)
    while item != ffi.NULL:
        path, line, schema_path = None, None, False
        match = _LOCATION.match(_text(item.path) or "")
        if match:
            path = match["path"]
            line = int(match["line"]) if match["line"] else None
            schema_path = match[1] == "Schema"
        errors.append(
            LyError(
                kind=int(item.vecode),
                message=_text(item.msg) or "unknown libyang error",
                path=path,
                line=line,
                apptag=_text(item.apptag),
                schema_path=schema_path,
            )
        )
        item = item.next
    lib.ly_err_clean(ctx.cdata, ffi.NULL)
    return errors


def _drain(ctx: libyang.Context) -> str:
    return "; ".join(e.message for e in _take_errors(ctx)) or "no detail"


class LyFailure(Exception):
    """A libyang call failed; ``errors`` holds libyang's records (internal)."""

    def __init__(self, errors: list[LyError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class DataTree:
    """An owned libyang data tree (all top-level siblings); free with :meth:`free`."""

    def __init__(self, models: ModelSet, root: Any) -> None:
        self._models = models
        self._root = root

    @property
    def empty(self) -> bool:
        return bool(self._root == ffi.NULL)

    def validate(self) -> None:
        """Validate the whole tree (RFC 7950 Section 8); raise :class:`LyFailure`."""
        ctx = self._models.context
        holder = ffi.new("struct lyd_node **", self._root)
        ret = lib.lyd_validate_all(holder, ctx.cdata, lib.LYD_VALIDATE_PRESENT, ffi.NULL)
        self._root = holder[0]
        if ret != lib.LY_SUCCESS:
            raise LyFailure(_take_errors(ctx) or [_unknown_error()])

    def find(self, path: str) -> Any:
        """The node at data ``path``, or None."""
        if self.empty:
            return None
        out = ffi.new("struct lyd_node **")
        ret = lib.lyd_find_path(self._root, _c(path), 0, out)
        _take_errors(self._models.context)
        return out[0] if ret == lib.LY_SUCCESS and out[0] != ffi.NULL else None

    def remove(self, path: str, *, last: bool = False) -> bool:
        """Free the subtree at data ``path`` (its last instance if ``last``).

        False when no node is there.  ``last`` picks the later of duplicate
        list entries, which the first one's path also names.
        """
        node = self._find_last(path) if last else self.find(path)
        if node is None:
            return False
        if node == self._root:
            self._root = node.next if node.next != ffi.NULL else ffi.NULL
        lib.lyd_free_tree(node)
        return True

    def value(self, path: str) -> str | None:
        """The canonical value of the leaf at ``path``, or None."""
        node = self.find(path)
        if node is None or node.schema == ffi.NULL or not node.schema.nodetype & lib.LYS_LEAF:
            return None
        return _text(lib.lyd_get_value(node))

    def _find_last(self, path: str) -> Any:
        # libyang finds a list entry by the hash of its keys, so the path
        # always yields the first of duplicates: walk its siblings instead.
        first = self.find(path)
        if first is None:
            return None
        wanted = _node_path(first)
        last, node = first, first.next
        while node != ffi.NULL:
            if node.schema == first.schema and _node_path(node) == wanted:
                last = node
            node = node.next
        return last

    def lacking(self, parent: str, name: str) -> str | None:
        """Data path of the first instance of schema node ``parent`` without child ``name``.

        libyang 2.1 names only the schema node of a missing mandatory node or
        choice; this finds the data instance that lacks it.  ``name`` may be
        a choice: then an instance lacks it when it has none of its nodes.
        """
        ctx = self._models.context
        snode = lib.lys_find_path(ctx.cdata, ffi.NULL, _c(parent), 0)
        while snode == ffi.NULL and parent.count("/") > 1:
            # A schema path may run through choice and case names, which are
            # not data nodes: go up to the data node holding them.
            parent = parent.rpartition("/")[0]
            snode = lib.lys_find_path(ctx.cdata, ffi.NULL, _c(parent), 0)
        _take_errors(ctx)
        if snode == ffi.NULL or self.empty:
            return None
        names = _choice_members(snode, name) or [name]
        found = ffi.new("struct ly_set **")
        xpath = f"{parent}[not({' or '.join(names)})]"
        if lib.lyd_find_xpath(self._root, _c(xpath), found) != lib.LY_SUCCESS:
            _take_errors(ctx)
            return None
        try:
            if found[0].count == 0:
                return None
            return _node_path(found[0].dnodes[0])
        finally:
            lib.ly_set_free(found[0], ffi.NULL)

    def dump(self, fmt: DataFormat) -> str:
        """The tree as RFC 7951 JSON or XML text, without default values."""
        if self.empty:
            return "{}" if fmt is DataFormat.JSON else ""
        out = ffi.new("char **")
        code = lib.LYD_JSON if fmt is DataFormat.JSON else lib.LYD_XML
        ret = lib.lyd_print_mem(out, self._root, code, lib.LYD_PRINT_WITHSIBLINGS)
        if ret != lib.LY_SUCCESS:
            raise LyFailure(_take_errors(self._models.context) or [_unknown_error()])
        try:
            return str(ffi.string(out[0]).decode())
        finally:
            lib.free(out[0])

    def dump_tops(self, fmt: DataFormat) -> list[str]:
        """Each top-level node of the tree as its own JSON or XML text."""
        texts: list[str] = []
        node = self._root
        code = lib.LYD_JSON if fmt is DataFormat.JSON else lib.LYD_XML
        while node != ffi.NULL:
            out = ffi.new("char **")
            if lib.lyd_print_mem(out, node, code, 0) != lib.LY_SUCCESS:
                raise LyFailure(_take_errors(self._models.context) or [_unknown_error()])
            try:
                texts.append(ffi.string(out[0]).decode())
            finally:
                lib.free(out[0])
            node = node.next
        return texts

    def free(self) -> None:
        if not self.empty:
            lib.lyd_free_all(self._root)
            self._root = ffi.NULL


def _node_path(node: Any) -> str:
    cpath = lib.lyd_path(node, lib.LYD_PATH_STD, ffi.NULL, 0)
    try:
        return str(ffi.string(cpath).decode())
    finally:
        lib.free(cpath)


def _choice_members(parent: Any, choice: str) -> list[str]:
    """Module-qualified names of the data nodes under ``choice`` of schema node ``parent``."""
    members: list[str] = []
    child = lib.lys_getnext(ffi.NULL, parent, ffi.NULL, 0)
    while child != ffi.NULL:
        ancestor = child.parent
        while ancestor not in (ffi.NULL, parent):
            if ancestor.nodetype == lib.LYS_CHOICE and ffi.string(ancestor.name).decode() == choice:
                members.append(
                    f"{ffi.string(child.module.name).decode()}:{ffi.string(child.name).decode()}"
                )
                break
            ancestor = ancestor.parent
        child = lib.lys_getnext(child, parent, ffi.NULL, 0)
    return members


def _unknown_error() -> LyError:
    return LyError(
        kind=ErrorKind.OTHER,
        message="libyang failed without detail",
        path=None,
        line=None,
        apptag=None,
    )


def parse(models: ModelSet, text: bytes, fmt: DataFormat, *, allow_state: bool) -> DataTree:
    """Parse instance data without validating it (types and schema only).

    Raises :class:`LyFailure` with libyang's first error.
    """
    ctx = models.context
    buf = ffi.new("char[]", text)
    source = ffi.new("struct ly_in **")
    if lib.ly_in_new_memory(buf, source) != lib.LY_SUCCESS:
        raise LyFailure(_take_errors(ctx) or [_unknown_error()])
    root = ffi.new("struct lyd_node **")
    options = lib.LYD_PARSE_ONLY | lib.LYD_PARSE_STRICT
    if not allow_state:
        options |= lib.LYD_PARSE_NO_STATE
    code = lib.LYD_JSON if fmt is DataFormat.JSON else lib.LYD_XML
    try:
        ret = lib.lyd_parse_data(ctx.cdata, ffi.NULL, source[0], code, options, 0, root)
    finally:
        lib.ly_in_free(source[0], 0)
    if ret != lib.LY_SUCCESS:
        if root[0] != ffi.NULL:
            lib.lyd_free_all(root[0])
        raise LyFailure(_take_errors(ctx) or [_unknown_error()])
    return DataTree(models, root[0])


@contextmanager
def locked(models: ModelSet) -> Iterator[ModelSet]:
    """libyang keeps errors per context: one user of a context at a time."""
    with models.lock:
        yield models
