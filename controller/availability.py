"""Availability of devices and interfaces, decided from poll outcomes.

Pure state machine: it is told each poll's outcome and answers with the
events to open or close; the collector writes them to the store.

- A device is unavailable from the first of ``failures_to_open`` failed
  polls in a row (its start time is that first failure's time) until the
  first poll that succeeds again (its end time).  Both times are therefore
  late by at most one polling interval.
- An interface is down while its administrative status is up and its
  operational status is neither up nor dormant (RFC 2863 section 3.1.13:
  dormant is a ready-to-go state; testing is a chosen state).  Over SNMP the
  change time comes from ifLastChange (RFC 2863 section 6), converted from
  the agent's sysUpTime to wall-clock time; otherwise it is the poll time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from controller.store.availability import EventKind
from southbound.opstate import AdminStatus, InterfaceState, OperStatus

_UP_LIKE = {OperStatus.UP, OperStatus.DORMANT, OperStatus.TESTING}
US_PER_TICK = 10_000  # TimeTicks are hundredths of a second


class Action(StrEnum):
    OPEN = "open"
    CLOSE = "close"


@dataclass(frozen=True, kw_only=True)
class EventChange:
    action: Action
    device: str
    interface: str  # "" for the device itself
    kind: EventKind
    at_us: int
    reason: str = ""


@dataclass
class _DeviceState:
    failures: int = 0
    first_failure_us: int | None = None
    down: bool = False


@dataclass
class AvailabilityTracker:
    """Open events by (device, interface); ``failures_to_open`` failed polls open one."""

    failures_to_open: int = 1
    _devices: dict[str, _DeviceState] = field(default_factory=dict)
    _down_interfaces: set[tuple[str, str]] = field(default_factory=set)

    def seed(self, open_events: Iterable[tuple[str, str, EventKind]]) -> None:
        """Events still open in the store (from an earlier run of the collector)."""
        for device, interface, kind in open_events:
            if kind is EventKind.DEVICE_UNREACHABLE:
                self._devices.setdefault(device, _DeviceState()).down = True
            else:
                self._down_interfaces.add((device, interface))

    def device_down(self, device: str) -> bool:
        state = self._devices.get(device)
        return state is not None and state.down

    def poll(self, device: str, *, at_us: int, error: str | None) -> list[EventChange]:
        """The outcome of one heartbeat poll of ``device``."""
        state = self._devices.setdefault(device, _DeviceState())
        if error is None:
            state.failures, state.first_failure_us = 0, None
            if state.down:
                state.down = False
                return [_event(Action.CLOSE, device, "", EventKind.DEVICE_UNREACHABLE, at_us)]
            return []
        state.failures += 1
        if state.first_failure_us is None:
            state.first_failure_us = at_us
        if state.down or state.failures < self.failures_to_open:
            return []
        state.down = True
        return [
            _event(
                Action.OPEN,
                device,
                "",
                EventKind.DEVICE_UNREACHABLE,
                state.first_failure_us,
                reason=error,
            )
        ]

    def interfaces(
        self,
        device: str,
        states: Iterable[InterfaceState],
        *,
        at_us: int,
        uptime: int | None = None,
    ) -> list[EventChange]:
        """Open or close interface-down events from one reading of the interfaces."""
        changes = []
        for state in states:
            key = (device, state.name)
            down = state.admin_status is AdminStatus.UP and (
                state.oper_status is not None and state.oper_status not in _UP_LIKE
            )
            when = change_time(state, at_us=at_us, uptime=uptime)
            if down and key not in self._down_interfaces:
                self._down_interfaces.add(key)
                reason = f"oper-status {state.oper_status}"
                changes.append(
                    _event(
                        Action.OPEN,
                        device,
                        state.name,
                        EventKind.INTERFACE_DOWN,
                        when,
                        reason=reason,
                    )
                )
            elif not down and key in self._down_interfaces and state.oper_status is not None:
                self._down_interfaces.discard(key)
                changes.append(
                    _event(Action.CLOSE, device, state.name, EventKind.INTERFACE_DOWN, when)
                )
        return changes


def _event(
    action: Action, device: str, interface: str, kind: EventKind, at_us: int, *, reason: str = ""
) -> EventChange:
    return EventChange(
        action=action, device=device, interface=interface, kind=kind, at_us=at_us, reason=reason
    )


def change_time(state: InterfaceState, *, at_us: int, uptime: int | None) -> int:
    """Wall-clock time of the interface's last status change, or ``at_us`` if unknown.

    ifLastChange is the sysUpTime of the change (RFC 2863 section 6); zero
    means "before the agent started", for which the poll time is used.
    RFC 8343's last-change is a date-and-time already.
    """
    last = state.last_change
    if isinstance(last, dt.datetime):
        return min(at_us, int(last.timestamp() * 1_000_000))
    if isinstance(last, int) and uptime is not None and 0 < last <= uptime:
        return at_us - (uptime - last) * US_PER_TICK
    return at_us
