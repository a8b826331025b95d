"""The router's operational state document, ``/nr:native-state`` (pure).

The prober renders its probes' results (:class:`lab.probes.ProbeSnapshot`)
as the XML of netsla-router's ``config false`` container ``native-state``
and writes it beside its JSON results; netconfd's instrumentation of the
module (:mod:`lab.sil`) returns the newest document on ``<get>``.  Leaf
names follow DISMAN-PING-MIB's pingResultsTable (RFC 4560, section 4), with
round-trip times in microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from lxml import etree

from lab.probes import NATIVE_NS, PacketResult, ProbeSnapshot


def date_and_time(time_us: int) -> str:
    """``yang:date-and-time`` (RFC 6991, section 3; RFC 3339) in UTC, to the microsecond."""
    moment = datetime.fromtimestamp(time_us / 1_000_000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _last_reply(history: tuple[PacketResult, ...]) -> PacketResult | None:
    return next((p for p in reversed(history) if p.rtt_us is not None), None)


def _leaves(snapshot: ProbeSnapshot) -> list[tuple[str, object | None]]:
    """(leaf, value) of one probe entry in schema order; None: leaf absent."""
    test = snapshot.last_test
    reply = _last_reply(snapshot.history)
    last = snapshot.history[-1] if snapshot.history else None
    good = snapshot.last_good_us
    return [
        ("id", snapshot.test_name),
        ("owner", snapshot.owner),
        ("target-address", snapshot.target),
        ("sent-probes", test.sent if test else None),
        ("probe-responses", test.responses if test else None),
        ("min-rtt-us", test.min_rtt_us if test else None),
        ("average-rtt-us", test.average_rtt_us if test else None),
        ("max-rtt-us", test.max_rtt_us if test else None),
        ("last-rtt-us", reply.rtt_us if reply else None),
        ("last-good-probe", date_and_time(good) if good is not None else None),
        ("last-probe-time", date_and_time(last.done_us) if last else None),
    ]


def native_state(snapshots: Iterable[ProbeSnapshot]) -> bytes:
    """The ``native-state`` document of ``snapshots`` (probes with a numeric id, by id)."""
    root = etree.Element(f"{{{NATIVE_NS}}}native-state", nsmap={None: NATIVE_NS})  # type: ignore[dict-item]
    numbered = [s for s in snapshots if s.test_name.isdigit()]
    for snapshot in sorted(numbered, key=lambda s: int(s.test_name)):
        entry = etree.SubElement(root, f"{{{NATIVE_NS}}}probe")
        for name, value in _leaves(snapshot):
            if value is not None:
                etree.SubElement(entry, f"{{{NATIVE_NS}}}{name}").text = str(value)
    return etree.tostring(root, encoding="utf-8")
