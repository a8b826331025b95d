"""Operational state over NETCONF: ``<get>`` filters and reply parsers.

ietf-interfaces (RFC 8343) carries interface state in two places: the
deprecated ``/interfaces-state`` tree (RFC 8343 Appendix A, the only one a
non-NMDA server such as the lab's netconfd has) and, on NMDA servers, the
operational ``/interfaces`` tree (section 5).  The parser reads both.

netsla-router's native module has a ``config false`` container
``/nr:native-state`` whose list ``probe[id]`` holds each SLA probe's latest
complete test, named after DISMAN-PING-MIB's pingResultsTable (RFC 4560
section 4) with round-trip times in microseconds.

The builders and parsers are pure; :class:`NetconfStateReader` is the thin
I/O step: ``<get>`` (RFC 6241 section 7.7) over the sessions of
:mod:`southbound.netconf`, opened once per device and reused.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, TypeVar

from lxml import etree

from southbound import workers
from southbound.errors import SouthboundError
from southbound.inventory import Inventory
from southbound.netconf import NETCONF_NS, NetconfSession, Timeouts
from southbound.opstate import (
    AdminStatus,
    InterfaceCounter,
    InterfaceState,
    NativeProbeState,
    OperStatus,
)

IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
NATIVE_NS = "urn:netsla:yang:netsla-router"

_IF = f"{{{IF_NS}}}"
_NR = f"{{{NATIVE_NS}}}"

# Platforms whose native module has /nr:native-state (docs/CONTRACTS.md, Lab).
NATIVE_STATE_PLATFORMS = frozenset({"netsla-router"})

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
    """Subtree filter selecting the router's operational state (``/nr:native-state``)."""
    return _subtree_filter(NATIVE_NS, "native-state")


def _date_and_time(text: str | None) -> dt.datetime | None:
    """ietf-yang-types date-and-time (RFC 6991 section 3, RFC 3339 profile)."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.strip()).astimezone(dt.UTC)
    except ValueError as exc:
        raise NetconfStateError(f"bad date-and-time {text!r}") from exc


def _leaf(element: etree._Element, name: str, *, prefix: str = _IF) -> str | None:
    child = element.find(f"{prefix}{name}")
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


def _uint32(element: etree._Element, name: str, *, probe: str) -> int | None:
    """A YANG uint32 leaf (RFC 7950 section 9.2), absent: ``None``."""
    text = _leaf(element, name, prefix=_NR)
    if text is None:
        return None
    if not text.isdigit() or int(text) > 0xFFFFFFFF:
        raise NetconfStateError(f"probe {probe}: bad {name} {text!r}")
    return int(text)


def _native_probe(element: etree._Element) -> NativeProbeState:
    probe = _leaf(element, "id", prefix=_NR) or ""
    probe_id = _uint32(element, "id", probe=probe)
    if probe_id is None:
        raise NetconfStateError("native-state probe without an id")
    return NativeProbeState(
        probe_id=probe_id,
        owner=_leaf(element, "owner", prefix=_NR) or "",
        target=_leaf(element, "target-address", prefix=_NR),
        sent=_uint32(element, "sent-probes", probe=probe),
        responses=_uint32(element, "probe-responses", probe=probe),
        min_rtt_us=_uint32(element, "min-rtt-us", probe=probe),
        average_rtt_us=_uint32(element, "average-rtt-us", probe=probe),
        max_rtt_us=_uint32(element, "max-rtt-us", probe=probe),
        last_rtt_us=_uint32(element, "last-rtt-us", probe=probe),
        last_good_probe=_date_and_time(_leaf(element, "last-good-probe", prefix=_NR)),
        last_probe_time=_date_and_time(_leaf(element, "last-probe-time", prefix=_NR)),
    )


def parse_native_state(data: etree._Element | bytes | str) -> list[NativeProbeState]:
    """Probes of ``/nr:native-state`` from a ``<get>`` reply or its ``<data>`` element.

    An absent or empty container gives no probes (the router has none
    configured); probes come in the reply's order.
    """
    if isinstance(data, str):
        data = data.encode()
    root = etree.fromstring(data) if isinstance(data, bytes) else data
    return [
        _native_probe(item)
        for state in root.iter(f"{_NR}native-state")
        for item in state.findall(f"{_NR}probe")
    ]


class StateSession(NetconfSession):
    """A NETCONF session that also reads operational state with ``<get>``."""

    async def get(self, *, subtree: etree._Element) -> etree._Element:
        """The ``<data>`` element of a ``<get>`` with a subtree filter (RFC 6241 section 7.7)."""

        def call(manager: Any) -> etree._Element:
            data: etree._Element | None = manager.get(filter=subtree).data_ele
            if data is None:
                raise NetconfStateError("<get> reply without <data>")
            return data

        return await workers.run(self._run, "get", call)


class NetconfStateReader:
    """Operational state of the inventory's devices over ``<get>``, one kept session each."""

    def __init__(self, inventory: Inventory, *, timeouts: Timeouts | None = None) -> None:
        self._inventory = inventory
        self._timeouts = timeouts or Timeouts(connect=5.0, rpc=10.0)
        self._sessions: dict[str, StateSession] = {}

    def _session(self, device: str) -> StateSession:
        session = self._sessions.get(device)
        if session is None:
            session = StateSession(
                device=self._inventory.devices[device],
                inventory=self._inventory,
                timeouts=self._timeouts,
            )
            self._sessions[device] = session
        return session

    async def interfaces(self, device: str) -> list[InterfaceState]:
        """ietf-interfaces state (RFC 8343) of ``device``."""
        data = await self._session(device).get(subtree=interfaces_state_filter())
        return parse_interfaces_state(data)

    async def native_probes(self, device: str) -> list[NativeProbeState]:
        """``/nr:native-state`` probes of ``device``; none (no RPC) on other platforms."""
        if self._inventory.devices[device].platform not in NATIVE_STATE_PLATFORMS:
            return []
        data = await self._session(device).get(subtree=native_state_filter())
        return parse_native_state(data)

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self._sessions.values()))
        self._sessions.clear()
