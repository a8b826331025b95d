"""netsla-router's ``/nr:native-state`` over NETCONF: filter, parser and samples (pure)."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from controller.collector_config import MetricGroup
from controller.sampling import Sampler, Source
from southbound.netconf_state import (
    NATIVE_NS,
    NETCONF_NS,
    NetconfStateError,
    native_state_filter,
    parse_native_state,
)
from southbound.opstate import NativeProbeState

T0 = 1_790_000_000_000_000
REPLY = f"""
<rpc-reply xmlns="{NETCONF_NS}" message-id="101">
  <data>
    <native-state xmlns="{NATIVE_NS}">
      <probe>
        <id>3</id>
        <owner>netsla</owner>
        <target-address>10.0.0.2</target-address>
      </probe>
      <probe>
        <id>7</id>
        <owner>vpn1</owner>
        <target-address>10.1.0.2</target-address>
        <sent-probes>5</sent-probes>
        <probe-responses>4</probe-responses>
        <min-rtt-us>412</min-rtt-us>
        <average-rtt-us>1250</average-rtt-us>
        <max-rtt-us>3999</max-rtt-us>
        <last-rtt-us>977</last-rtt-us>
        <last-good-probe>2026-09-21T14:13:20.000005Z</last-good-probe>
        <last-probe-time>2026-09-21T16:13:21+02:00</last-probe-time>
      </probe>
    </native-state>
  </data>
</rpc-reply>
"""


def _probe(reply: str, leaf: str, value: str) -> str:
    """``REPLY`` with probe 7's ``leaf`` set to ``value``."""
    root = etree.fromstring(reply.encode())
    for probe in root.iter(f"{{{NATIVE_NS}}}probe"):
        if probe.findtext(f"{{{NATIVE_NS}}}id") == "7":
            element = probe.find(f"{{{NATIVE_NS}}}{leaf}")
            assert element is not None
            element.text = value
    return etree.tostring(root).decode()


def test_filter_selects_the_native_state_container() -> None:
    wrapper = native_state_filter()
    assert wrapper.tag == f"{{{NETCONF_NS}}}filter" and wrapper.get("type") == "subtree"
    assert [child.tag for child in wrapper] == [f"{{{NATIVE_NS}}}native-state"]
    assert len(wrapper[0]) == 0  # a selection node: the whole container


def test_reply_becomes_typed_probes_in_microseconds() -> None:
    idle, busy = parse_native_state(REPLY)
    assert idle == NativeProbeState(
        probe_id=3, owner="netsla", target="10.0.0.2", sent=None, responses=None,
        min_rtt_us=None, average_rtt_us=None, max_rtt_us=None, last_rtt_us=None,
        last_good_probe=None, last_probe_time=None,
    )  # fmt: skip
    assert (busy.probe_id, busy.test, busy.owner, busy.target) == (7, "7", "vpn1", "10.1.0.2")
    assert (busy.sent, busy.responses) == (5, 4)
    assert (busy.min_rtt_us, busy.average_rtt_us, busy.max_rtt_us) == (412, 1250, 3999)
    assert busy.last_rtt_us == 977
    assert busy.last_good_probe == dt.datetime(2026, 9, 21, 14, 13, 20, 5, tzinfo=dt.UTC)
    assert busy.last_probe_time == dt.datetime(2026, 9, 21, 14, 13, 21, tzinfo=dt.UTC)
    assert (busy.min_rtt_ms, busy.average_rtt_ms, busy.max_rtt_ms) == (0.412, 1.25, 3.999)
    assert busy.loss_ratio == pytest.approx(0.2)


def test_data_element_and_bytes_parse_alike() -> None:
    root = etree.fromstring(REPLY.encode())
    data = root.find(f"{{{NETCONF_NS}}}data")
    assert data is not None
    assert parse_native_state(data) == parse_native_state(REPLY.encode())


@pytest.mark.parametrize(
    "reply",
    [
        f'<data xmlns="{NETCONF_NS}"/>',
        f'<data xmlns="{NETCONF_NS}"><native-state xmlns="{NATIVE_NS}"/></data>',
    ],
)
def test_no_container_or_an_empty_one_is_no_probes(reply: str) -> None:
    assert parse_native_state(reply) == []


@pytest.mark.parametrize(
    ("leaf", "value", "message"),
    [
        ("sent-probes", "five", r"probe 7: bad sent-probes 'five'"),
        ("min-rtt-us", "-1", r"probe 7: bad min-rtt-us '-1'"),
        ("max-rtt-us", "4294967296", r"probe 7: bad max-rtt-us"),  # uint32 range
        ("last-good-probe", "yesterday", r"bad date-and-time 'yesterday'"),
        ("id", "", r"probe without an id"),
    ],
)
def test_malformed_leaves_are_refused(leaf: str, value: str, message: str) -> None:
    with pytest.raises(NetconfStateError, match=message):
        parse_native_state(_probe(REPLY, leaf, value))


def test_native_probes_become_netconf_samples_in_milliseconds() -> None:
    samples = Sampler.probes(
        device="pe1", source=Source.NETCONF, results=parse_native_state(REPLY), at_us=T0
    )
    values = {(s.series.object, s.series.metric): s.value for s in samples}
    assert {s.series.source for s in samples} == {"netconf"}
    assert {s.at_us for s in samples} == {T0}
    assert values == {
        ("vpn1/7", "rtt-min-ms"): 0.412,
        ("vpn1/7", "rtt-avg-ms"): 1.25,
        ("vpn1/7", "rtt-max-ms"): 3.999,
        ("vpn1/7", "probes-sent"): 5.0,
        ("vpn1/7", "probes-received"): 4.0,
        ("vpn1/7", "loss-ratio"): pytest.approx(0.2),
    }  # the idle probe 3 has no figures yet: no samples


def test_metric_groups_are_named_by_what_they_read() -> None:
    assert [g.value for g in MetricGroup] == ["if-mib", "probes", "netconf-state"]
    with pytest.raises(ValueError):
        MetricGroup("netconf-interfaces")
