"""Probe history rows to per-packet samples: each taken once, stored once, read as chunks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from controller.probe_history import HistoryCursor, packet_of
from controller.store import open_store
from controller.store.probes import ProbePacket, ProbePacketRepository, ProbeRef
from southbound import oids
from southbound.opstate import ProbeHistoryEntry
from southbound.snmp_tables import (
    history_subtree,
    probe_history,
    probe_history_of_subtrees,
    string_index,
)

T0 = 1_790_000_000_000_000


def entry(
    index: int, sent_us: int | None, rtt_us: int | None, **fields: object
) -> ProbeHistoryEntry:
    values: dict[str, object] = {
        "owner": "vpn1",
        "test": "7",
        "index": index,
        "status": 1 if rtt_us is not None else 4,
        "response_ms": round(rtt_us / 1000) if rtt_us is not None else 3000,
        "determined": None,
        "rtt_us": rtt_us,
        "sent_us": sent_us,
    }
    values.update(fields)
    return ProbeHistoryEntry(**values)  # type: ignore[arg-type]


def test_each_row_is_taken_once_across_polls() -> None:
    cursor = HistoryCursor()
    first = [entry(1, T0, 1_500), entry(2, T0 + 1, None)]
    assert [p.seq for p in cursor.new_packets(device="pe1", entries=first)] == [1, 2]
    second = [*first[1:], entry(3, T0 + 2, 900)]
    [new] = cursor.new_packets(device="pe1", entries=second)
    assert (new.seq, new.delay_ms) == (3, 0.9)
    assert cursor.new_packets(device="pe1", entries=second) == []


def test_a_wrapped_or_restarted_index_is_a_new_packet() -> None:
    cursor = HistoryCursor()
    cursor.new_packets(device="pe1", entries=[entry(1, T0, 100), entry(2, T0 + 1, 100)])
    restarted = [entry(1, T0, 100), entry(2, T0 + 1, 100), entry(1, T0 + 9, 200)]
    [new] = cursor.new_packets(device="pe1", entries=restarted)
    assert (new.seq, new.sent_us) == (1, T0 + 9)


def test_a_probe_is_walked_whole_first_then_from_the_row_before_its_newest() -> None:
    cursor = HistoryCursor()
    assert cursor.resume_after("pe1", "vpn1", "7") is None
    cursor.new_packets(device="pe1", entries=[entry(4, T0, 100), entry(5, T0 + 1, 100)])
    assert cursor.resume_after("pe1", "vpn1", "7") == 4  # the walk re-reads row 5
    assert cursor.resume_after("pe1", "vpn1", "8") is None  # another probe: not seen yet
    assert cursor.resume_after("pe2", "vpn1", "7") is None


def test_a_walk_carries_on_when_it_meets_the_newest_row_again_or_only_later_ones() -> None:
    cursor = HistoryCursor()
    cursor.new_packets(device="pe1", entries=[entry(4, T0, 100), entry(5, T0 + 1, 100)])
    again = [entry(5, T0 + 1, 100), entry(6, T0 + 2, 100)]
    assert cursor.continuous("pe1", "vpn1", "7", again)
    moved_on = [entry(9, T0 + 5, 100)]  # the device dropped rows 5..8 meanwhile
    assert cursor.continuous("pe1", "vpn1", "7", moved_on)
    restarted = [entry(5, T0 + 90, 100)]  # row 5 now is another packet
    assert not cursor.continuous("pe1", "vpn1", "7", restarted)
    assert not cursor.continuous("pe1", "vpn1", "7", [])  # indexes start at 1 again
    other_probe = [entry(5, T0 + 1, 100, test="8")]
    assert not cursor.continuous("pe1", "vpn1", "7", other_probe)


def test_history_of_per_probe_subtrees_is_the_history_of_whole_columns() -> None:
    rows = {(1,): 1, (2,): 4}
    cells = {history_subtree(oids.PING_PROBE_HISTORY_STATUS, "vpn1", "7"): rows}
    cells[history_subtree(oids.PING_PROBE_HISTORY_RESPONSE, "vpn1", "7")] = {(1,): 2, (2,): 3000}
    cells[history_subtree(oids.PING_PROBE_HISTORY_STATUS, "netsla", "8")] = {(9,): 1}
    index = string_index("vpn1", "7")
    whole = {
        oids.PING_PROBE_HISTORY_STATUS: {(*index, 1): 1, (*index, 2): 4},
        oids.PING_PROBE_HISTORY_RESPONSE: {(*index, 1): 2, (*index, 2): 3000},
    }
    got = probe_history_of_subtrees(cells, [("vpn1", "7")])  # probe 8 not asked for
    assert got == probe_history(whole)
    assert [(e.test, e.index, e.status) for e in got] == [("7", 1, 1), ("7", 2, 4)]


def test_standard_agent_rows_are_placed_by_result_time_minus_response() -> None:
    determined = dt.datetime.fromtimestamp((T0 + 2_000_000) / 1e6, dt.UTC)
    got = packet_of("pe1", entry(5, None, None, status=1, response_ms=12, determined=determined))
    assert got is not None and (got.sent_us, got.delay_ms) == (T0 + 2_000_000 - 12_000, 12.0)
    lost = packet_of("pe1", entry(6, None, None, determined=determined))
    assert lost is not None and lost.delay_ms is None and lost.sent_us == T0 - 1_000_000
    assert packet_of("pe1", entry(7, None, None)) is None  # cannot be placed


def test_packets_are_stored_once_and_read_back_as_sample_chunks(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'p.db'}")
    repo = ProbePacketRepository(store)
    packets = [
        ProbePacket(device="pe1", owner="vpn1", test="7", seq=1, sent_us=T0, delay_ms=1.5),
        ProbePacket(device="pe1", owner="vpn1", test="7", seq=2, sent_us=T0 + 1, delay_ms=None),
        ProbePacket(device="pe2", owner="vpn1", test="7", seq=1, sent_us=T0, delay_ms=9.0),
    ]
    assert repo.write(packets) == 3
    assert repo.write(packets[:2]) == 0
    [chunk] = repo.chunks([ProbeRef(device="pe1", name="7")], since_us=T0, until_us=T0 + 10)
    assert chunk.probe_names == ("pe1/vpn1/7",)
    order = np.argsort(chunk.time_us)
    assert chunk.time_us[order].tolist() == [T0, T0 + 1]
    assert chunk.delay_ms[order][0] == 1.5 and np.isnan(chunk.delay_ms[order][1])
    named = list(repo.chunks([ProbeRef(device="pe2", name="vpn1/7")], since_us=0, until_us=T0 + 1))
    assert [c.probe_names for c in named] == [("pe2/vpn1/7",)]
    assert list(repo.chunks([ProbeRef(device="pe1", name="8")], since_us=0, until_us=T0)) == []
    assert repo.prune(now_us=T0 + 62 * 86_400 * 1_000_000 + 1) == 2
    store.close()
