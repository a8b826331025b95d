"""Polling a device's SLA probes over SNMP: results as gauges, history rows as packets.

DISMAN-PING-MIB (RFC 4560, section 4): ``pingResultsTable`` gives each
probe's most recent test; ``pingProbeHistoryTable`` (and netsla's
augmentation) one row per packet.  The history is walked per probe from
where the previous poll ended (:class:`~controller.probe_history.HistoryCursor`),
so a poll reads the new rows only, not the hundreds a device keeps per
probe; a probe whose device restarted its indexes is read whole again.
"""

from __future__ import annotations

from controller.probe_history import HistoryCursor
from controller.sampling import Sampler, Source
from controller.store.probes import ProbePacket
from controller.store.telemetry import Sample
from southbound import oids
from southbound.opstate import ProbeHistoryEntry
from southbound.snmp import SnmpPoller
from southbound.snmp_endpoint import SnmpEndpoint
from southbound.snmp_tables import (
    HISTORY_COLUMNS,
    history_subtree,
    probe_history_of_subtrees,
    probe_results,
)

US = 1_000_000
_Probe = tuple[str, str]  # owner, test name


class ProbeReader:
    """One device's probe poll: results and the history rows not taken yet."""

    def __init__(self, *, snmp: SnmpPoller, history: HistoryCursor, max_repetitions: int) -> None:
        self._snmp = snmp
        self._history = history
        self._max_repetitions = max_repetitions

    async def poll(
        self, device: str, endpoint: SnmpEndpoint
    ) -> tuple[list[Sample], list[ProbePacket]]:
        walk = await self._snmp.walk(
            endpoint,
            oids.PING_RESULTS_POLL_COLUMNS,
            with_uptime=False,
            max_repetitions=self._max_repetitions,
        )
        at_us = int(walk.received_at * US)
        results = probe_results(walk.columns)
        samples = Sampler.probes(device=device, source=Source.SNMP, results=results, at_us=at_us)
        resume = self._history.resume_after
        starts = {(r.owner, r.test): resume(device, r.owner, r.test) for r in results}
        entries = await self._rows(endpoint, starts)
        restarted = {
            probe
            for probe, start in starts.items()
            if start is not None and not self._history.continuous(device, *probe, entries)
        }
        if restarted:
            entries = [e for e in entries if (e.owner, e.test) not in restarted]
            entries += await self._rows(endpoint, dict.fromkeys(restarted))
        return samples, self._history.new_packets(device=device, entries=entries)

    async def _rows(
        self, endpoint: SnmpEndpoint, starts: dict[_Probe, int | None]
    ) -> list[ProbeHistoryEntry]:
        """History rows of some probes, each after its start index (``None``: all)."""
        if not starts:
            return []
        subtrees = {
            history_subtree(column, owner, test): start
            for (owner, test), start in starts.items()
            for column in HISTORY_COLUMNS
        }
        walk = await self._snmp.walk(
            endpoint,
            list(subtrees),
            with_uptime=False,
            max_repetitions=self._max_repetitions,
            starts={tree: (start,) for tree, start in subtrees.items() if start is not None},
        )
        return probe_history_of_subtrees(walk.columns, starts)
