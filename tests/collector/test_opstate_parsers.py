"""Parsers of IF-MIB, DISMAN-PING-MIB and ietf-interfaces state (pure)."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from southbound import oids
from southbound.netconf_state import (
    IF_NS,
    NetconfStateError,
    interfaces_state_filter,
    parse_interfaces_state,
)
from southbound.opstate import AdminStatus, InterfaceCounter, OperStatus, ProbeStatus
from southbound.snmp_tables import (
    MibDecodeError,
    date_and_time,
    interfaces_from_if_mib,
    probe_results,
    split_string_index,
    string_index,
)


def test_if_mib_columns_become_interfaces() -> None:
    columns = {
        oids.IF_NAME: {(1,): b"lo", (3,): b"eth1"},
        oids.IF_OPER_STATUS: {(1,): 1, (3,): 7},
        oids.IF_ADMIN_STATUS: {(1,): 1, (3,): 1},
        oids.IF_LAST_CHANGE: {(1,): 0, (3,): 4_200},
        oids.IF_HC_IN_OCTETS: {(1,): 10, (3,): 2**64 - 1},
        oids.IF_IN_ERRORS: {(3,): 4},
        oids.IF_COUNTER_DISCONTINUITY_TIME: {(3,): 0},
    }
    lo, eth1 = interfaces_from_if_mib(columns)
    assert (lo.name, lo.if_index, lo.oper_status) == ("lo", 1, OperStatus.UP)
    assert eth1.oper_status is OperStatus.LOWER_LAYER_DOWN
    assert eth1.admin_status is AdminStatus.UP
    assert eth1.last_change == 4_200
    assert eth1.counters == {InterfaceCounter.IN_OCTETS: 2**64 - 1, InterfaceCounter.IN_ERRORS: 4}
    assert eth1.discontinuity == 0


def test_if_mib_name_falls_back_to_descr_then_index() -> None:
    columns = {oids.IF_DESCR: {(2,): b"eth0"}, oids.IF_OPER_STATUS: {(2,): 2, (5,): 1}}
    names = [i.name for i in interfaces_from_if_mib(columns)]
    assert names == ["eth0", "5"]


def test_counter_widths_follow_if_mib() -> None:
    assert InterfaceCounter.IN_OCTETS.bits == 64
    assert InterfaceCounter.OUT_UNICAST_PKTS.bits == 64
    assert InterfaceCounter.IN_ERRORS.bits == 32


def test_string_index_round_trip_and_errors() -> None:
    index = (*string_index("netsla", "pe1-pe2"), 7)
    assert split_string_index(index, 2) == (["netsla", "pe1-pe2"], (7,))
    with pytest.raises(MibDecodeError):
        split_string_index((9, 1, 2), 1)


def test_date_and_time_with_and_without_offset() -> None:
    utc = date_and_time(bytes([0x07, 0xEA, 11, 26, 10, 30, 5, 3]))
    assert utc == dt.datetime(2026, 11, 26, 10, 30, 5, 300_000, tzinfo=dt.UTC)
    east = date_and_time(bytes([0x07, 0xEA, 11, 26, 12, 30, 5, 0]) + b"+\x02\x00")
    assert east == dt.datetime(2026, 11, 26, 10, 30, 5, tzinfo=dt.UTC)
    assert date_and_time(b"\x00" * 8) is None


def test_ping_results_rows() -> None:
    row = string_index("netsla", "17")
    columns = {
        oids.PING_RESULTS_OPER_STATUS: {row: 1},
        oids.PING_RESULTS_IP_TARGET_ADDRESS_TYPE: {row: 1},
        oids.PING_RESULTS_IP_TARGET_ADDRESS: {row: bytes([10, 0, 12, 2])},
        oids.PING_RESULTS_MIN_RTT: {row: 9},
        oids.PING_RESULTS_MAX_RTT: {row: 31},
        oids.PING_RESULTS_AVERAGE_RTT: {row: 14},
        oids.PING_RESULTS_PROBE_RESPONSES: {row: 19},
        oids.PING_RESULTS_SENT_PROBES: {row: 20},
        oids.PING_RESULTS_RTT_SUM_OF_SQUARES: {row: 4_400},
    }
    (result,) = probe_results(columns)
    assert (result.owner, result.test, result.status) == ("netsla", "17", ProbeStatus.ENABLED)
    assert result.target == "10.0.12.2"
    assert (result.min_rtt_ms, result.average_rtt_ms, result.max_rtt_ms) == (9, 14, 31)
    assert result.loss_ratio == pytest.approx(0.05)
    assert result.last_good_probe is None


def test_ping_results_rejects_extra_index_parts() -> None:
    with pytest.raises(MibDecodeError):
        probe_results({oids.PING_RESULTS_OPER_STATUS: {(*string_index("a", "b"), 1): 1}})


REPLY = f"""
<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><data>
  <interfaces-state xmlns="{IF_NS}">
    <interface>
      <name>eth1</name>
      <admin-status>up</admin-status>
      <oper-status>down</oper-status>
      <last-change>2026-11-26T10:00:00Z</last-change>
      <if-index>3</if-index>
      <statistics>
        <discontinuity-time>2026-11-26T09:00:00+01:00</discontinuity-time>
        <in-octets>18446744073709551615</in-octets>
        <in-unicast-pkts>12</in-unicast-pkts>
        <out-octets>900</out-octets>
        <in-broadcast-pkts>3</in-broadcast-pkts>
      </statistics>
    </interface>
    <interface><name>lo</name><oper-status>up</oper-status></interface>
  </interfaces-state>
  <interfaces xmlns="{IF_NS}">
    <interface><name>eth9</name><enabled>true</enabled></interface>
  </interfaces>
</data></rpc-reply>
"""


def test_interfaces_state_reply() -> None:
    eth1, lo = parse_interfaces_state(REPLY)
    assert eth1.oper_status is OperStatus.DOWN
    assert eth1.if_index == 3
    assert eth1.last_change == dt.datetime(2026, 11, 26, 10, tzinfo=dt.UTC)
    assert eth1.discontinuity == dt.datetime(2026, 11, 26, 8, tzinfo=dt.UTC)
    assert eth1.counters == {
        InterfaceCounter.IN_OCTETS: 2**64 - 1,
        InterfaceCounter.IN_UNICAST_PKTS: 12,
        InterfaceCounter.OUT_OCTETS: 900,
    }
    assert lo.name == "lo"
    assert lo.counters == {}


def test_interfaces_state_rejects_unknown_status() -> None:
    bad = REPLY.replace("<oper-status>down</oper-status>", "<oper-status>sideways</oper-status>")
    with pytest.raises(NetconfStateError, match="sideways"):
        parse_interfaces_state(bad)


def test_filter_selects_interfaces_state() -> None:
    element = interfaces_state_filter()
    assert element.get("type") == "subtree"
    (child,) = list(element)
    assert etree.QName(child).localname == "interfaces-state"
    assert etree.QName(child).namespace == IF_NS
