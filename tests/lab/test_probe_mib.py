"""The prober's pure parts: probe configuration, test and history bookkeeping,
DISMAN-PING-MIB rows and the pass_persist protocol, ICMP packets."""

from __future__ import annotations

import datetime as dt
import struct

from lab.pingmib import MibView, Responder, Var, VarType, date_and_time, mib_view, parse_oid
from lab.prober import checksum, echo_reply, echo_request
from lab.probes import (
    DEFAULT_OWNER,
    ProbeConfig,
    ProbeState,
    ProbeType,
    ResponseStatus,
    dump,
    load,
    parse_probes,
)
from southbound import oids
from southbound.snmp_tables import probe_history, probe_results, split_string_index, string_index

NS = 'xmlns="urn:netsla:yang:netsla-router"'
STARTUP = f"""<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <native {NS}><sla-probes>
    <probe><id>9</id><target>10.1.0.2</target></probe>
    <probe><id>3</id><owner>vpn1:a->b</owner><type>udp-echo</type><vrf>v1</vrf>
      <source>10.1.0.1</source><target>10.0.0.2</target><interval-seconds>5</interval-seconds>
      <packets>20</packets><dscp>46</dscp></probe>
    <probe><id>4</id></probe>
  </sla-probes></native>
</config>""".encode()
T0 = 1_790_000_000_000_000


def probe(**fields: object) -> ProbeConfig:
    values: dict[str, object] = {"id": 7, "owner": "svc", "target": "10.1.0.2", "packets": 2}
    values.update(fields)
    return ProbeConfig(**values)  # type: ignore[arg-type]


def test_probes_are_read_from_the_committed_config_with_the_models_defaults() -> None:
    probes = parse_probes(STARTUP)
    assert [p.id for p in probes] == [3, 9]  # the one without a target is skipped
    full, bare = probes
    assert full == ProbeConfig(
        id=3,
        owner="vpn1:a->b",
        target="10.0.0.2",
        type=ProbeType.UDP_ECHO,
        vrf="v1",
        source="10.1.0.1",
        interval_seconds=5,
        packets=20,
        dscp=46,
    )
    assert (bare.owner, bare.interval_seconds, bare.packets, bare.dscp) == (
        DEFAULT_OWNER,
        10,
        10,
        0,
    )
    assert bare.spacing_us == 1_000_000 and full.spacing_us == 250_000
    assert bare.test_name == "9"


def test_results_row_shows_the_last_complete_test() -> None:
    state = ProbeState(probe())
    state.record(test=0, sent_us=T0, rtt_us=1_500, done_us=T0 + 1_500)
    assert state.snapshot().last_test is None  # test 0 still has a packet in flight
    state.record(test=1, sent_us=T0 + 2, rtt_us=None, done_us=T0 + 3_000_002)
    state.record(test=0, sent_us=T0 + 1, rtt_us=2_500, done_us=T0 + 2_501)
    test = state.snapshot().last_test
    assert test is not None
    assert (test.sent, test.responses, test.min_rtt_us, test.max_rtt_us) == (2, 2, 1_500, 2_500)
    assert test.average_rtt_us == 2_000 and test.sum_of_squares_ms == 2**2 + 3**2
    state.record(test=1, sent_us=T0 + 3, rtt_us=None, done_us=T0 + 3_000_003)
    test = state.snapshot().last_test
    assert test is not None and (test.sent, test.responses, test.average_rtt_us) == (2, 0, None)
    assert state.snapshot().last_good_us == T0 + 2_501


def test_history_is_bounded_and_its_index_wraps_to_one() -> None:
    state = ProbeState(probe(), history_rows=3, index_max=4)
    for n in range(6):
        state.record(test=n // 2, sent_us=T0 + n, rtt_us=100, done_us=T0 + n + 100)
    history = state.snapshot().history
    assert [p.index for p in history] == [4, 1, 2]
    assert [p.sent_us for p in history] == [T0 + 3, T0 + 4, T0 + 5]


def test_a_restarted_prober_continues_the_history_from_its_results_file() -> None:
    state = ProbeState(probe())
    state.record(test=0, sent_us=T0, rtt_us=None, done_us=T0 + 3_000_000)
    state.record(test=0, sent_us=T0 + 1, rtt_us=900, done_us=T0 + 901)
    [snapshot] = load(dump([state.snapshot()]))
    assert snapshot == state.snapshot()
    again = ProbeState(probe())
    again.restore(snapshot)
    assert again.record(test=0, sent_us=T0 + 2, rtt_us=1, done_us=T0 + 3).index == 3
    assert again.snapshot().last_test == state.snapshot().last_test


def test_timed_out_packets_report_the_time_out_as_response() -> None:
    state = ProbeState(probe())
    lost = state.record(test=0, sent_us=T0, rtt_us=None, done_us=T0 + 3_000_000)
    got = state.record(test=0, sent_us=T0, rtt_us=1_600, done_us=T0 + 1_600)
    assert (lost.status, lost.response_ms) == (ResponseStatus.REQUEST_TIMED_OUT, 3000)
    assert (got.status, got.response_ms) == (ResponseStatus.RESPONSE_RECEIVED, 2)
    assert (lost.status.code, got.status.code) == (4, 1)  # RFC 4560 OperationResponseStatus


def _walk_columns(view: MibView, column: str) -> dict[tuple[int, ...], int | bytes]:
    """What an SNMP walk of one column would return, decoded like the collector's poller."""
    prefix = oids.oid_tuple(column)
    cells: dict[tuple[int, ...], int | bytes] = {}
    found = view.next(prefix)
    while found is not None and found[0][: len(prefix)] == prefix:
        cells[found[0][len(prefix) :]] = found[1].value
        found = view.next(found[0])
    return cells


def _view() -> tuple[ProbeState, MibView]:
    state = ProbeState(probe(owner="vpn1"))
    state.record(test=0, sent_us=T0, rtt_us=1_234, done_us=T0 + 1_234)
    state.record(test=0, sent_us=T0 + 500_000, rtt_us=None, done_us=T0 + 3_500_000)
    return state, mib_view([state.snapshot()])


def test_mib_rows_parse_back_with_the_collectors_parsers() -> None:
    _state, view = _view()
    results = probe_results({c: _walk_columns(view, c) for c in oids.PING_RESULTS_POLL_COLUMNS})
    [row] = results
    assert (row.owner, row.test, row.target) == ("vpn1", "7", "10.1.0.2")
    assert (row.sent, row.responses, row.min_rtt_ms, row.loss_ratio) == (2, 1, 1, 0.5)
    assert row.last_good_probe == dt.datetime.fromtimestamp((T0 + 1_234) // 100_000 / 10, dt.UTC)
    columns = oids.PROBE_HISTORY_POLL_COLUMNS + oids.NETSLA_HISTORY_POLL_COLUMNS
    got, lost = probe_history({c: _walk_columns(view, c) for c in columns})
    assert (got.index, got.status, got.response_ms, got.rtt_us, got.sent_us) == (
        1, 1, 1, 1_234, T0,
    )  # fmt: skip
    assert (lost.index, lost.status, lost.response_ms, lost.rtt_us) == (2, 4, 3000, None)
    assert lost.sent_us == T0 + 500_000


def test_index_is_owner_and_test_name_as_length_prefixed_strings() -> None:
    _state, view = _view()
    column = oids.oid_tuple(oids.PING_RESULTS_OPER_STATUS)
    name, var = view.next(column) or ((), Var(VarType.INTEGER, 0))
    index = name[len(column) :]
    assert index == string_index("vpn1", "7")
    assert split_string_index(index, 2) == (["vpn1", "7"], ())
    assert var == Var(VarType.INTEGER, 1)


def test_date_and_time_is_eleven_octets_of_utc() -> None:
    at = dt.datetime(2026, 11, 26, 13, 4, 5, 678_000, tzinfo=dt.UTC)
    octets = date_and_time(int(at.timestamp() * 1_000_000))
    assert octets == struct.pack("!HBBBBBBcBB", 2026, 11, 26, 13, 4, 5, 6, b"+", 0, 0)


def test_pass_persist_protocol() -> None:
    _state, view = _view()
    root = oids.oid_tuple(oids.PING_MIB)
    responder = Responder(root=root, view=lambda: view)
    assert responder.feed("PING\n") == ["PONG"]
    assert responder.feed("getnext\n") == []
    first = responder.feed(f".{oids.PING_MIB}\n")
    assert first[0].startswith(f".{oids.PING_RESULTS_OPER_STATUS}.4.") and first[1:] == [
        "integer",
        "1",
    ]
    index = ".".join(map(str, string_index("vpn1", "7")))
    address = f".{oids.PING_RESULTS_IP_TARGET_ADDRESS}.{index}"
    assert responder.feed("get") == []
    assert responder.feed(address) == [address, "octet", "0a 01 00 02"]
    assert responder.feed("get") == []
    assert responder.feed(f"{address}.9") == ["NONE"]
    # GETNEXT never leaves the registered subtree (the augmentation is another one).
    last_history = f".{oids.PING_PROBE_HISTORY_TIME}.{index}.2"
    assert responder.feed("getnext") == []
    assert responder.feed(last_history) == ["NONE"]
    assert responder.feed("set") == [] and responder.feed(address) == []
    assert responder.feed("octet 0a 00 00 01") == ["not-writable"]
    assert responder.feed("getnext") == [] and responder.feed("not an oid") == ["NONE"]
    assert parse_oid(".1.3.6") == (1, 3, 6)


def test_augmentation_subtree_answers_on_its_own() -> None:
    _state, view = _view()
    responder = Responder(root=oids.oid_tuple(oids.NETSLA_ENTERPRISE), view=lambda: view)
    responder.feed("getnext")
    index = ".".join(map(str, string_index("vpn1", "7")))
    assert responder.feed(".1.3") == [
        f".{oids.NETSLA_PROBE_HISTORY_RTT_US}.{index}.1",
        "gauge",
        "1234",
    ]


def test_echo_request_checksum_and_reply_parsing() -> None:
    request = echo_request(ident=0x1234, seq=7)
    assert checksum(request) == 0  # RFC 1071: a packet with its checksum sums to zero
    assert request[:1] == b"\x08" and struct.unpack("!HH", request[4:8]) == (0x1234, 7)
    reply = b"\x00" + request[1:]
    ip = bytes([0x45]) + bytes(11) + bytes([10, 1, 0, 2]) + bytes([10, 1, 0, 1])
    assert echo_reply(ip + reply) == ("10.1.0.2", 0x1234, 7)
    assert echo_reply(ip + request) is None  # our own request is not a reply
    assert echo_reply(b"\x45") is None
