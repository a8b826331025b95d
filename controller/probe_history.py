"""Probe history rows turned into per-packet samples, each taken once (pure).

A device keeps the last rows of each probe's pingProbeHistoryTable (RFC 4560
section 4).  :class:`HistoryCursor` remembers the rows of the previous poll
of each probe and hands on only those not seen then, so the store sees each
packet about once; the store's key (series, send time, sequence) makes any
repeat harmless (a restarted collector).  A row is known by its history
index *and* its time, so the index's wrap (after 0xffffffff back to 1) and a
device restarting its indexes at 1 do not hide new packets.

Polls read only what is new: a probe seen before is walked from the row
before its newest known row (:meth:`HistoryCursor.resume_after`), so the
walk re-reads that row and then the new ones.  When that row is gone or has
another time (:meth:`HistoryCursor.continuous` is false: the device
restarted its indexes), the probe's whole history is read again.  A history
that moved on by more rows than the device keeps between two polls loses
the rows in between on the device itself, whatever the poller does.

Times: netsla's augmentation gives the send time in microseconds; a
standard agent gives only ``pingProbeHistoryTime`` (when the result was
determined, to the decisecond), so the send time is that minus
``pingProbeHistoryResponse``.  The delay is the round-trip time (the
microsecond value where published, else the milliseconds): ICMP echo
measures round trips, and one-way delay would need synchronised clocks.
"""

from __future__ import annotations

from collections.abc import Iterable

from controller.store.probes import ProbePacket
from southbound import oids
from southbound.opstate import ProbeHistoryEntry

US = 1_000_000
_ProbeKey = tuple[str, str, str]  # device, owner, test
_RowKey = tuple[int, int]  # history index, send time


def packet_of(device: str, entry: ProbeHistoryEntry) -> ProbePacket | None:
    """The packet a history row describes; ``None`` when it cannot be placed in time."""
    sent_us = entry.sent_us
    if sent_us is None:
        if entry.determined is None or entry.response_ms is None:
            return None
        determined_us = round(entry.determined.timestamp() * US)
        sent_us = determined_us - entry.response_ms * 1000
    if entry.status is None:
        return None
    delay_ms: float | None = None
    if entry.status == oids.RESPONSE_RECEIVED:
        if entry.rtt_us is not None:
            delay_ms = entry.rtt_us / 1000
        elif entry.response_ms is not None:
            delay_ms = float(entry.response_ms)
        else:
            return None
    return ProbePacket(
        device=device,
        owner=entry.owner,
        test=entry.test,
        seq=entry.index,
        sent_us=sent_us,
        delay_ms=delay_ms,
    )


class HistoryCursor:
    """The history rows already taken, per probe (those of its previous poll)."""

    def __init__(self) -> None:
        self._seen: dict[_ProbeKey, set[_RowKey]] = {}
        self._newest: dict[_ProbeKey, _RowKey] = {}

    def forget(self, device: str) -> None:
        for key in [k for k in self._seen if k[0] == device]:
            del self._seen[key]
            self._newest.pop(key, None)

    def resume_after(self, device: str, owner: str, test: str) -> int | None:
        """The history index to walk ``owner``/``test`` after; ``None``: walk it whole."""
        newest = self._newest.get((device, owner, test))
        if newest is None or newest[0] <= 1:
            return None
        return newest[0] - 1

    def continuous(
        self, device: str, owner: str, test: str, entries: Iterable[ProbeHistoryEntry]
    ) -> bool:
        """Whether a walk from :meth:`resume_after` carried on from the newest known row.

        It did when it read that row again with the same time, or only rows
        past it (the device dropped the row since: its history moved on).
        """
        newest = self._newest.get((device, owner, test))
        if newest is None:
            return True
        indexes = []
        for entry in entries:
            if (entry.owner, entry.test) != (owner, test):
                continue
            packet = packet_of(device, entry)
            if entry.index == newest[0]:
                return packet is not None and packet.sent_us == newest[1]
            indexes.append(entry.index)
        return bool(indexes) and min(indexes) > newest[0]

    def new_packets(
        self, *, device: str, entries: Iterable[ProbeHistoryEntry]
    ) -> list[ProbePacket]:
        """Packets of ``entries`` (one poll of ``device``) not taken before."""
        current: dict[_ProbeKey, set[_RowKey]] = {}
        packets = []
        for entry in entries:
            packet = packet_of(device, entry)
            if packet is None:
                continue
            probe = (device, entry.owner, entry.test)
            row = (packet.seq, packet.sent_us)
            current.setdefault(probe, set()).add(row)
            if row not in self._seen.get(probe, ()):
                packets.append(packet)
        self.forget(device)
        self._seen.update(current)
        self._newest.update({probe: max(rows) for probe, rows in current.items()})
        return packets
