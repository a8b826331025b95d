"""The collector's vocabulary: metric groups, configuration, poll results, readers.

Plain data and Protocols shared by :mod:`controller.collector` and its
callers (the CLI, the gRPC server); no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from controller.store.telemetry import RetentionPolicy
from southbound.opstate import InterfaceState, NativeProbeState
from southbound.snmp_endpoint import SnmpVersion


class MetricGroup(StrEnum):
    IF_MIB = "if-mib"  # IF-MIB counters and status, sysUpTime (SNMP)
    PROBES = "probes"  # DISMAN-PING-MIB pingResultsTable and pingProbeHistoryTable (SNMP)
    NETCONF_STATE = "netconf-state"  # ietf-interfaces and native state (NETCONF <get>)


class StateReader(Protocol):
    """Reads a device's operational state over NETCONF ``<get>`` (RFC 6241 section 7.7)."""

    async def interfaces(self, device: str) -> list[InterfaceState]:
        """ietf-interfaces state (RFC 8343)."""
        ...

    async def native_probes(self, device: str) -> list[NativeProbeState]:
        """The native module's probe state; empty where the platform has none."""
        ...

    async def close(self) -> None: ...


def _default_intervals() -> dict[MetricGroup, float]:
    return {
        MetricGroup.IF_MIB: 10.0,
        MetricGroup.PROBES: 30.0,
        MetricGroup.NETCONF_STATE: 60.0,
    }


@dataclass(frozen=True, kw_only=True)
class CollectorConfig:
    intervals: Mapping[MetricGroup, float] = field(default_factory=_default_intervals)
    max_in_flight: int = 8
    snmp_version: SnmpVersion = SnmpVersion.AUTO
    snmp_timeout: float = 1.0
    snmp_retries: int = 1
    max_repetitions: int = 32
    poll_deadline: float = 10.0
    flush_interval: float = 1.0
    batch_size: int = 10_000
    failures_to_open: int = 1
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    maintenance_interval: float = 300.0


@dataclass(frozen=True, kw_only=True)
class PollResult:
    """One poll of one metric group of one device."""

    device: str
    group: MetricGroup
    at_us: int
    duration_ms: int
    samples: int
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "group": str(self.group),
            "ok": self.error is None,
            "samples": self.samples,
            "duration_ms": self.duration_ms,
            "error": self.error,
        }
