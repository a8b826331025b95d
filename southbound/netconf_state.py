"""Interface operational state over NETCONF: ``<get>`` filters and reply parsers.

ietf-interfaces (RFC 8343) carries interface state in two places: the
deprecated ``/interfaces-state`` tree (RFC 8343 Appendix A, the only one a
non-NMDA server such as the lab's netconfd has) and, on NMDA servers, the
operational ``/interfaces`` tree (section 5).  The parser reads both.

The builders and parsers are pure; :func:`fetch_interfaces_state` is the thin
I/O step over any session object with an ncclient-like ``get(filter=...)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from lxml import etree

from southbound.errors import SouthboundError
from southbound.opstate import AdminStatus, InterfaceCounter, InterfaceState, OperStatus

IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
NETCONF_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
NATIVE_NS = "urn:netsla:yang:netsla-router"

_IF = f"{{{IF_NS}}}"

_Status = TypeVar("_Status", OperStatus, AdminStatus)


class NetconfStateError(SouthboundError, ValueError):
    """A ``<get>`` reply does not have the shape of its YANG module."""


def _subtree_filter(namespace: str, top: str) -> etree._Element:
    """``<filter type="subtree">`` holding one empty top-level node (RFC 6241 section 6.4.2)."""
    wrapper = etree.Element(f"{{{NETCONF_NS}}}filter", nsmap={"nc": NETCONF_NS})
    wrapper.set("type", "subtree")
    etree.SubElement(wrapper, f"{{{namespace}}}{top}", nsmap={None: namespace})  # type: ignore[dict-item]
    return wrapper


def interfaces_state_filter() -> etree._Element:
    """Subtree filter selecting ``/if:interfaces-state`` (RFC 8343 Appendix A)."""
    return _subtree_filter(IF_NS, "interfaces-state")


def native_state_filter() -> etree._Element:
    """Subtree filter selecting the router's native module (``/nr:native``)."""
    return _subtree_filter(NATIVE_NS, "native")


def _date_and_time(text: str | None) -> dt.datetime | None:
    """ietf-yang-types date-and-time (RFC 6991 section 3, RFC 3339 profile)."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip()).astimezone(dt.UTC)
    except ValueError as exc:
        raise NetconfStateError(f"bad date-and-time {text!r}") from exc


def _leaf(element: etree._Element, name: str) -> str | None:
    child = element.find(f"{_IF}{name}")
    return None if child is None or child.text is None else child.text.strip()


def _enum(kind: type[_Status], text: str | None) -> _Status | None:
    if text is None:
        return None
    try:
        return kind(text)
    except ValueError as exc:
        raise NetconfStateError(f"unknown {kind.__name__} {text!r}") from exc


def _interface(element: etree._Element) -> InterfaceState:
    name = _leaf(element, "name")
    if not name:
        raise NetconfStateError("interface without a name")
    counters: dict[InterfaceCounter, int] = {}
    discontinuity = None
    statistics = element.find(f"{_IF}statistics")
    if statistics is not None:
        discontinuity = _date_and_time(_leaf(statistics, "discontinuity-time"))
        for counter in InterfaceCounter:
            text = _leaf(statistics, counter.value)
            if text is not None:
                try:
                    counters[counter] = int(text)
                except ValueError as exc:
                    raise NetconfStateError(f"{name}: bad {counter} {text!r}") from exc
    if_index = _leaf(element, "if-index")
    return InterfaceState(
        name=name,
        oper_status=_enum(OperStatus, _leaf(element, "oper-status")),
        admin_status=_enum(AdminStatus, _leaf(element, "admin-status")),
        if_index=int(if_index) if if_index and if_index.isdigit() else None,
        last_change=_date_and_time(_leaf(element, "last-change")),
        discontinuity=discontinuity,
        counters=counters,
    )


def parse_interfaces_state(data: etree._Element | bytes | str) -> list[InterfaceState]:
    """Interfaces from a ``<get>`` reply or its ``<data>`` element.

    Reads ``interfaces-state/interface`` (RFC 8343 Appendix A) and, for NMDA
    servers, the state leaves of ``interfaces/interface`` (section 5); an
    interface in both is taken from ``interfaces-state``.
    """
    if isinstance(data, str):
        data = data.encode()
    root = etree.fromstring(data) if isinstance(data, bytes) else data
    found: dict[str, InterfaceState] = {}
    for path in ("interfaces-state", "interfaces"):
        for element in root.iter(f"{_IF}{path}"):
            for item in element.findall(f"{_IF}interface"):
                state = _interface(item)
                if state.oper_status is None and not state.counters:
                    continue  # configuration only, no state
                found.setdefault(state.name, state)
    return list(found.values())


def fetch_interfaces_state(get: Callable[..., Any]) -> list[InterfaceState]:
    """Run ``get(filter=...)`` (an ncclient manager's ``get``) and parse the reply.

    Blocking, as ncclient is; call it through ``asyncio.to_thread``.
    """
    reply = get(filter=interfaces_state_filter())
    data = getattr(reply, "data_ele", None)
    if data is None:
        raise NetconfStateError("<get> reply without <data>")
    return parse_interfaces_state(data)
