"""netsla-router's operational state: the prober's rendering, the SIL build, and
``<get>`` of ``/nr:native-state`` served by netconfd through the SIL."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from lab import sil
from lab.nativestate import date_and_time, native_state
from lab.probes import ProbeConfig, ProbeState
from lab.state import LabState

NATIVE_NS = "urn:netsla:yang:netsla-router"
NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"
T0 = 1_790_000_000_000_000
STATE_FILTER = f'<native-state xmlns="{NATIVE_NS}"/>'
Connect = Callable[..., Any]


def _leaves(document: bytes) -> dict[str, dict[str, str]]:
    """Each probe entry of a native-state document or ``<get>`` reply, by id."""
    root = etree.fromstring(document)
    return {
        str(p.findtext(f"{{{NATIVE_NS}}}id")): {
            etree.QName(leaf).localname: str(leaf.text) for leaf in p
        }
        for p in root.iter(f"{{{NATIVE_NS}}}probe")
    }


def test_state_document_has_the_last_complete_test_and_the_last_reply() -> None:
    state = ProbeState(ProbeConfig(id=7, owner="svc", target="10.1.0.2", packets=2))
    state.record(test=0, sent_us=T0, rtt_us=400, done_us=T0 + 400)
    state.record(test=0, sent_us=T0 + 10, rtt_us=None, done_us=T0 + 3_000_010)
    state.record(test=1, sent_us=T0 + 20, rtt_us=900, done_us=T0 + 3_000_020)
    idle = ProbeState(ProbeConfig(id=3, owner="netsla", target="10.0.0.2"))
    probes = _leaves(native_state([state.snapshot(), idle.snapshot()]))
    assert list(probes) == ["3", "7"]
    assert probes["3"] == {"id": "3", "owner": "netsla", "target-address": "10.0.0.2"}
    assert probes["7"] == {
        "id": "7",
        "owner": "svc",
        "target-address": "10.1.0.2",
        "sent-probes": "2",
        "probe-responses": "1",
        "min-rtt-us": "400",
        "average-rtt-us": "400",
        "max-rtt-us": "400",
        "last-rtt-us": "900",  # the reply of the test still running
        "last-good-probe": date_and_time(T0 + 3_000_020),
        "last-probe-time": date_and_time(T0 + 3_000_020),
    }


def test_date_and_time_is_rfc3339_utc() -> None:
    assert date_and_time(T0 + 5) == "2026-09-21T14:13:20.000005Z"


def test_empty_state_is_an_empty_container() -> None:
    root = etree.fromstring(native_state([]))
    assert root.tag == f"{{{NATIVE_NS}}}native-state" and len(root) == 0


def test_sil_is_built_once_and_rebuilt_when_its_source_is_newer(tmp_path: Path) -> None:
    source = tmp_path / "netsla-router.c"
    source.write_bytes(sil.SOURCE.read_bytes())
    library = sil.ensure_built(tmp_path / "out", source=source)
    built = library.stat().st_mtime_ns
    assert library.name == "libnetsla-router.so" and library.read_bytes()[:4] == b"\x7fELF"
    assert sil.ensure_built(tmp_path / "out", source=source).stat().st_mtime_ns == built
    time.sleep(0.01)
    source.touch()
    assert sil.stale(source=source, library=library)
    assert sil.ensure_built(tmp_path / "out", source=source).stat().st_mtime_ns > built


def test_sil_build_error_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "broken.c"
    source.write_text("this is not C\n")
    with pytest.raises(sil.SilBuildError, match=r"cannot compile broken\.c") as caught:
        sil.ensure_built(tmp_path, source=source)
    assert "\n" not in str(caught.value)
    assert not list(tmp_path.glob("*.so")) and not list(tmp_path.glob(".lib*"))


def _probe_config(*, probe_id: int, target: str, delete: bool = False) -> str:
    config = etree.Element(f"{{{NC_NS}}}config", nsmap={None: NC_NS})  # type: ignore[dict-item]
    native = etree.SubElement(config, f"{{{NATIVE_NS}}}native", nsmap={None: NATIVE_NS})  # type: ignore[dict-item]
    probes = etree.SubElement(native, f"{{{NATIVE_NS}}}sla-probes")
    probe = etree.SubElement(probes, f"{{{NATIVE_NS}}}probe")
    if delete:
        probe.set(f"{{{NC_NS}}}operation", "delete")
    etree.SubElement(probe, f"{{{NATIVE_NS}}}id").text = str(probe_id)
    if not delete:
        etree.SubElement(probe, f"{{{NATIVE_NS}}}owner").text = "native-state-test"
        etree.SubElement(probe, f"{{{NATIVE_NS}}}target").text = target
        etree.SubElement(probe, f"{{{NATIVE_NS}}}interval-seconds").text = "1"
        etree.SubElement(probe, f"{{{NATIVE_NS}}}packets").text = "2"
    return etree.tostring(config).decode()


@pytest.mark.lab
def test_probe_configured_over_netconf_appears_in_get(lab: LabState, netconf: Connect) -> None:
    router = lab.router("pe1")
    probe_id = 4242
    with netconf(lab, router) as session:
        session.edit_config(
            target="candidate", config=_probe_config(probe_id=probe_id, target="10.1.0.2")
        )
        session.commit()
        try:
            deadline = time.monotonic() + 15
            probe: dict[str, str] = {}
            while time.monotonic() < deadline and "sent-probes" not in probe:
                reply = session.get(filter=("subtree", STATE_FILTER))
                probe = _leaves(reply.xml.encode()).get(str(probe_id), {})
                time.sleep(0.5)
        finally:
            session.edit_config(
                target="candidate", config=_probe_config(probe_id=probe_id, target="", delete=True)
            )
            session.commit()
    assert probe["owner"] == "native-state-test" and probe["target-address"] == "10.1.0.2"
    assert probe["sent-probes"] == "2" and probe["probe-responses"] == "2"
    assert 0 < int(probe["min-rtt-us"]) <= int(probe["average-rtt-us"]) <= int(probe["max-rtt-us"])
    assert int(probe["last-rtt-us"]) > 0 and probe["last-good-probe"].endswith("Z")
